// The EMQX 4.x etc/acl.conf file: Erlang-term rules tried in order, the first match decides.
//
//   {allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}.
//   {allow, {ipaddr, "127.0.0.1"}, pubsub, ["$SYS/#", "#"]}.
//   {deny, all, subscribe, ["$SYS/#", {eq, "#"}]}.
//   {allow, all}.
//
// Who: all | {user, "name"} | {client, "id"} | {clientid, "id"} | {ipaddr, "IP or CIDR"} |
// {'and', [who, ...]} | {'or', [who, ...]}. Access: subscribe | publish | pubsub. Topics:
// "filter" (may contain %u and %c) or {eq, "filter"} (taken literally, no placeholders).
// A two-element rule {allow|deny, who} covers every access and topic.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gatemq::auth {

enum class Access { subscribe, publish };
enum class Decision { allow, deny, nomatch };
// How a rule's topic is held against a SUBSCRIBE's filter (acl_subscribe_match).
//   topic:   as the seed (and Mosquitto) do: the filter as written is matched like a topic name,
//            so its `+` and `#` are plain characters that only a rule's wildcards (or the same
//            text) match. Deny "a/b" refuses "a/b" but not "#" or "a/+"; {eq, "#"} refuses "#".
//   overlap: on the safe side both ways: an allow rule must cover every topic the filter can
//            match ("a/#" covers "a/+/c"), a deny rule applies as soon as the filter can match
//            one topic it denies (deny "a/+" refuses "a/#" and "#").
enum class SubscribeMatch { topic, overlap };

struct AclClient {
  std::string client_id;
  std::optional<std::string> username;
  std::string peer_host;  // textual IPv4/IPv6 address, "[...]" brackets tolerated
};

// "<source>:<line>: <what was expected>" for syntax errors, "<path>: ..." when unreadable.
class AclError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace acl_detail {
struct Rule;
}

class AclRules {
 public:
  // Throws AclError for any syntax error; `source` names the text in messages.
  static AclRules parse(std::string_view text, const std::string& source);
  static AclRules load(const std::string& path);

  // For Access::publish `topic` is the topic name. For Access::subscribe it is the requested
  // filter ($share/<group>/ and $queue/ prefixes are stripped first), matched as `match` says;
  // {eq, F} applies only to exactly F either way.
  Decision check(const AclClient& client, Access access, std::string_view topic,
                 SubscribeMatch match = SubscribeMatch::topic) const;
  std::size_t size() const;

  AclRules();
  ~AclRules();
  AclRules(AclRules&&) noexcept;
  AclRules& operator=(AclRules&&) noexcept;
  AclRules(const AclRules&);
  AclRules& operator=(const AclRules&);

 private:
  std::vector<acl_detail::Rule> rules_;
};

}  // namespace gatemq::auth
