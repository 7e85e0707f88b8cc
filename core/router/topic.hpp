// Topic names and filters: validation, matching, shared-subscription syntax, mountpoints and
// placeholder templates. Pure functions, shared by the router, the retainer and every channel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatemq::router {

// A PUBLISH topic: non-empty, at most 65535 bytes, valid UTF-8 without U+0000, no wildcards,
// and at most max_levels levels (0 = unlimited).
bool is_valid_topic_name(std::string_view topic, std::size_t max_levels);
// A SUBSCRIBE filter: as above, but `+` may fill a whole level and `#` the whole last level.
// `$share/<group>/<filter>` and `$queue/<filter>` are accepted when the inner filter is.
bool is_valid_topic_filter(std::string_view filter, std::size_t max_levels);

bool has_wildcard(std::string_view filter);
// MQTT matching: `#` also matches the parent level ("a/#" matches "a"), `+` matches an empty
// level, and topics starting with `$` are not matched by filters starting with a wildcard.
bool topic_matches(std::string_view filter, std::string_view topic);

struct SharedFilter {
  std::string group;   // "$queue" for $queue/ subscriptions
  std::string filter;  // the filter inside
};
std::optional<SharedFilter> parse_shared(std::string_view filter);

// `$delayed/<seconds>/<topic>` (delayed publish): the delay and the topic to publish to; nullopt
// when the topic does not have that form (seconds in decimal, at most 10 digits, topic non-empty).
struct DelayedTopic {
  std::uint64_t seconds = 0;
  std::string_view topic;
};
bool is_delayed(std::string_view topic);
std::optional<DelayedTopic> parse_delayed(std::string_view topic);

// Puts the mountpoint in front of a topic or filter; for `$share/<g>/`, `$queue/` and
// `$delayed/<s>/` it goes in front of the inner topic.
std::string apply_mountpoint(std::string_view mountpoint, std::string_view topic);
// The topic without the mountpoint, or nullopt when the topic is outside it.
std::optional<std::string_view> strip_mountpoint(std::string_view mountpoint,
                                                 std::string_view topic);

struct PlaceholderValues {
  std::string_view client_id;  // %c
  std::string_view username;   // %u
  std::string_view endpoint;   // %e (gateways: LwM2M endpoint name)
  std::string_view peer;       // %a (peer address)
};
// Replaces %c, %u, %e, %a and %% in a mountpoint or topic template; other `%x` stay as written.
std::string expand_placeholders(std::string_view tmpl, const PlaceholderValues& values);

// Calls f(level) for every `/`-separated level of a topic (empty levels included).
template <class F>
void for_each_level(std::string_view topic, F&& f) {
  std::size_t start = 0;
  while (true) {
    const auto slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      f(topic.substr(start));
      return;
    }
    f(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace gatemq::router
