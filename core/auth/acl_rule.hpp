// The parsed form of one acl.conf rule and how it is matched against a client. Internal to the
// auth module: acl_file.cpp builds these, AclRules::check runs them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/acl_file.hpp"

namespace gatemq::auth::acl_detail {

// IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d, prefix + 96) so that one comparison serves
// both families and an IPv4 rule also matches a dual-stack socket's mapped peer address.
struct IpRange {
  std::array<std::uint8_t, 16> address{};
  unsigned prefix_bits = 128;
};
// "10.0.0.1", "192.168.1.0/24", "::1", "fe80::/10"; nullopt for anything else.
std::optional<IpRange> parse_ip_range(std::string_view text);
bool ip_range_contains(const IpRange& range, std::string_view host);

struct Who {
  enum class Kind { all, user, client, ipaddr, all_of, any_of };
  Kind kind = Kind::all;
  std::string name;          // user / client
  IpRange range;             // ipaddr
  std::vector<Who> members;  // all_of ('and') / any_of ('or'), never empty
};
bool who_matches(const Who& who, const AclClient& client);

struct TopicRule {
  std::string filter;
  bool exact = false;  // {eq, "..."}: literal, no wildcards, no placeholders
};

struct Rule {
  Decision permission = Decision::deny;
  Who who;
  bool every_access_and_topic = false;  // two-element form {allow, Who}
  bool subscribe = false;
  bool publish = false;
  std::vector<TopicRule> topics;
};
bool rule_matches(const Rule& rule, const AclClient& client, Access access, std::string_view topic,
                  SubscribeMatch match);

// For SubscribeMatch::overlap. True when every topic `requested` can match is also matched by
// `rule_filter`.
bool filter_covers(std::string_view rule_filter, std::string_view requested);
// True when some topic is matched by both filters.
bool filters_overlap(std::string_view a, std::string_view b);

}  // namespace gatemq::auth::acl_detail
