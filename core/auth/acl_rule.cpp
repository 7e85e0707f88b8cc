#include "core/auth/acl_rule.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/router/topic.hpp"

namespace gatemq::auth::acl_detail {
namespace {

constexpr unsigned kMappedPrefixBits = 96;

std::optional<std::array<std::uint8_t, 16>> parse_address(std::string_view text, bool* is_ipv4) {
  // inet_pton needs a C string; an embedded NUL would silently cut the text short.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string zero_terminated(text);
  std::array<std::uint8_t, 16> address{};
  in_addr v4{};
  if (inet_pton(AF_INET, zero_terminated.c_str(), &v4) == 1) {
    address[10] = 0xff;
    address[11] = 0xff;
    std::memcpy(address.data() + 12, &v4, 4);
    *is_ipv4 = true;
    return address;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, zero_terminated.c_str(), &v6) == 1) {
    std::memcpy(address.data(), &v6, 16);
    *is_ipv4 = false;
    return address;
  }
  return std::nullopt;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 unsigned bits) {
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i) {
    const unsigned take = std::min(bits, 8u);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

// A %u or %c value that is absent, empty, or could widen the filter (wildcards, extra levels)
// makes the rule topic not match: user "bob/x" must not reach into "users/bob/#".
bool is_safe_placeholder_value(std::string_view value) {
  return !value.empty() &&
         value.find_first_of(std::string_view("/+#\0", 4)) == std::string_view::npos;
}

std::optional<std::string> expand_placeholders(std::string_view filter, const AclClient& client) {
  std::string expanded;
  expanded.reserve(filter.size());
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == '%' && i + 1 < filter.size() &&
        (filter[i + 1] == 'u' || filter[i + 1] == 'c')) {
      std::string_view value;
      if (filter[i + 1] == 'c') {
        value = client.client_id;
      } else if (client.username) {
        value = *client.username;
      }
      if (!is_safe_placeholder_value(value)) return std::nullopt;
      expanded.append(value);
      ++i;
    } else {
      expanded.push_back(filter[i]);
    }
  }
  return expanded;
}

std::vector<std::string_view> levels_of(std::string_view topic) {
  std::vector<std::string_view> levels;
  router::for_each_level(topic, [&](std::string_view level) { levels.push_back(level); });
  return levels;
}

// A subscription's filter is matched like a topic name (its wildcards taken literally) unless
// `overlap` asks for the safe side both ways: an allow rule must cover the whole requested
// filter, while a deny rule applies as soon as the request could reach one topic it denies.
bool topic_rule_matches(const TopicRule& topic_rule, Decision permission, const AclClient& client,
                        Access access, std::string_view topic, SubscribeMatch match) {
  if (topic_rule.exact) return topic_rule.filter == topic;
  const auto filter = expand_placeholders(topic_rule.filter, client);
  if (!filter) return false;
  if (access == Access::publish || match == SubscribeMatch::topic) {
    return router::topic_matches(*filter, topic);
  }
  return permission == Decision::allow ? filter_covers(*filter, topic)
                                       : filters_overlap(*filter, topic);
}

bool is_wildcard_level(std::string_view level) {
  return level == "#" || level == "+";
}

// The broker checks what the subscription really selects, not the sharing wrapper.
// A malformed "$share/group" stays as written, where only `$`-rooted rules can reach it.
std::string_view without_share_prefix(std::string_view filter) {
  constexpr std::string_view queue = "$queue/";
  constexpr std::string_view share = "$share/";
  if (filter.starts_with(queue)) return filter.substr(queue.size());
  if (!filter.starts_with(share)) return filter;
  const auto slash = filter.find('/', share.size());
  return slash == std::string_view::npos ? filter : filter.substr(slash + 1);
}

}  // namespace

std::optional<IpRange> parse_ip_range(std::string_view text) {
  const auto slash = text.find('/');
  bool is_ipv4 = false;
  const auto address = parse_address(text.substr(0, slash), &is_ipv4);
  if (!address) return std::nullopt;
  IpRange range;
  range.address = *address;
  range.prefix_bits = 128;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    unsigned bits = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (bits > (is_ipv4 ? 32u : 128u)) return std::nullopt;
    range.prefix_bits = is_ipv4 ? bits + kMappedPrefixBits : bits;
  }
  return range;
}

bool ip_range_contains(const IpRange& range, std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  bool is_ipv4 = false;
  const auto address = parse_address(host, &is_ipv4);
  return address && same_prefix(range.address, *address, range.prefix_bits);
}

bool who_matches(const Who& who, const AclClient& client) {
  switch (who.kind) {
    case Who::Kind::all:
      return true;
    case Who::Kind::user:
      return client.username && *client.username == who.name;
    case Who::Kind::client:
      return client.client_id == who.name;
    case Who::Kind::ipaddr:
      return ip_range_contains(who.range, client.peer_host);
    case Who::Kind::all_of:
      return std::all_of(who.members.begin(), who.members.end(),
                         [&](const Who& member) { return who_matches(member, client); });
    case Who::Kind::any_of:
      return std::any_of(who.members.begin(), who.members.end(),
                         [&](const Who& member) { return who_matches(member, client); });
  }
  return false;
}

bool rule_matches(const Rule& rule, const AclClient& client, Access access, std::string_view topic,
                  SubscribeMatch match) {
  if (!who_matches(rule.who, client)) return false;
  if (rule.every_access_and_topic) return true;
  if (access == Access::subscribe ? !rule.subscribe : !rule.publish) return false;
  if (access == Access::subscribe) topic = without_share_prefix(topic);
  return std::any_of(rule.topics.begin(), rule.topics.end(), [&](const TopicRule& topic_rule) {
    return topic_rule_matches(topic_rule, rule.permission, client, access, topic, match);
  });
}

// Level by level, conservatively: a rule level covers the requested level when it is `#`
// (covers the rest, including the parent level), `+` (anything but `#`), or the same literal.
bool filter_covers(std::string_view rule_filter, std::string_view requested) {
  const auto rule_levels = levels_of(rule_filter);
  const auto requested_levels = levels_of(requested);
  // MQTT: a leading wildcard never selects `$` topics, so it cannot cover "$SYS/...".
  if (is_wildcard_level(rule_levels[0]) && requested.starts_with('$')) return false;
  std::size_t i = 0;
  for (; i < rule_levels.size(); ++i) {
    if (rule_levels[i] == "#") return true;
    if (i >= requested_levels.size()) return false;
    if (requested_levels[i] == "#") return false;
    if (rule_levels[i] == "+") continue;
    if (rule_levels[i] != requested_levels[i]) return false;
  }
  return i == requested_levels.size();
}

// Level by level: `#` on either side reaches everything below (and the parent level), `+`
// meets any single level, literals must agree.
bool filters_overlap(std::string_view a, std::string_view b) {
  const auto a_levels = levels_of(a);
  const auto b_levels = levels_of(b);
  // A leading wildcard selects no `$` topic, so it cannot meet a filter rooted at one.
  if ((is_wildcard_level(a_levels[0]) && b.starts_with('$')) ||
      (is_wildcard_level(b_levels[0]) && a.starts_with('$'))) {
    return false;
  }
  const auto common = std::min(a_levels.size(), b_levels.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (a_levels[i] == "#" || b_levels[i] == "#") return true;
    if (a_levels[i] == "+" || b_levels[i] == "+") continue;
    if (a_levels[i] != b_levels[i]) return false;
  }
  if (a_levels.size() == b_levels.size()) return true;
  const auto& longer = a_levels.size() > b_levels.size() ? a_levels : b_levels;
  return longer.size() == common + 1 && longer[common] == "#";
}

}  // namespace gatemq::auth::acl_detail
