#include "core/router/topic.hpp"

#include <algorithm>
#include <cstdint>

#include "core/mqtt/utf8.hpp"

namespace gatemq::router {

namespace {

constexpr std::size_t kMaxTopicBytes = 65535;

std::size_t level_count(std::string_view topic) {
  std::size_t levels = 1;
  for (const char c : topic) levels += c == '/';
  return levels;
}

bool is_valid_plain_filter(std::string_view filter, std::size_t max_levels) {
  if (filter.empty() || filter.size() > kMaxTopicBytes || !mqtt::is_valid_mqtt_utf8(filter))
    return false;
  if (max_levels != 0 && level_count(filter) > max_levels) return false;
  bool valid = true;
  bool seen_hash = false;
  for_each_level(filter, [&](std::string_view level) {
    if (seen_hash) valid = false;  // `#` must be the last level
    if (level.find_first_of("+#") == std::string_view::npos) return;
    if (level == "+") return;
    if (level == "#") {
      seen_hash = true;
      return;
    }
    valid = false;  // a wildcard sharing its level with other characters
  });
  return valid;
}

}  // namespace

bool is_valid_topic_name(std::string_view topic, std::size_t max_levels) {
  if (topic.empty() || topic.size() > kMaxTopicBytes) return false;
  if (topic.find_first_of("+#") != std::string_view::npos) return false;
  if (!mqtt::is_valid_mqtt_utf8(topic)) return false;
  return max_levels == 0 || level_count(topic) <= max_levels;
}

bool is_valid_topic_filter(std::string_view filter, std::size_t max_levels) {
  if (filter.starts_with("$share/") || filter.starts_with("$queue/")) {
    // The whole filter (group included) must be short enough and valid UTF-8 without NUL.
    if (filter.size() > kMaxTopicBytes || !mqtt::is_valid_mqtt_utf8(filter)) return false;
    const auto shared = parse_shared(filter);
    return shared && is_valid_plain_filter(shared->filter, max_levels);
  }
  return is_valid_plain_filter(filter, max_levels);
}

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  std::size_t f = 0;
  std::size_t t = 0;
  while (true) {
    const auto f_end = std::min(filter.find('/', f), filter.size());
    const auto level = filter.substr(f, f_end - f);
    if (level == "#") return true;
    const auto t_end = std::min(topic.find('/', t), topic.size());
    if (level != "+" && level != topic.substr(t, t_end - t)) return false;
    const bool filter_done = f_end == filter.size();
    const bool topic_done = t_end == topic.size();
    if (filter_done || topic_done) {
      if (filter_done && topic_done) return true;
      // "a/#" matches "a": the filter has exactly one more level, and it is "#".
      return topic_done && filter.substr(f_end) == "/#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

std::optional<SharedFilter> parse_shared(std::string_view filter) {
  if (filter.starts_with("$queue/")) {
    return SharedFilter{"$queue", std::string(filter.substr(7))};
  }
  if (!filter.starts_with("$share/")) return std::nullopt;
  const auto rest = filter.substr(7);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const auto group = rest.substr(0, slash);
  if (has_wildcard(group)) return std::nullopt;
  return SharedFilter{std::string(group), std::string(rest.substr(slash + 1))};
}

bool is_delayed(std::string_view topic) {
  return topic.starts_with("$delayed/");
}

std::optional<DelayedTopic> parse_delayed(std::string_view topic) {
  constexpr std::string_view kPrefix = "$delayed/";
  if (!topic.starts_with(kPrefix)) return std::nullopt;
  const auto rest = topic.substr(kPrefix.size());
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash > 10 || slash + 1 == rest.size()) {
    return std::nullopt;
  }
  DelayedTopic delayed;
  for (const char c : rest.substr(0, slash)) {
    if (c < '0' || c > '9') return std::nullopt;
    delayed.seconds = delayed.seconds * 10 + static_cast<std::uint64_t>(c - '0');
  }
  delayed.topic = rest.substr(slash + 1);
  return delayed;
}

std::string apply_mountpoint(std::string_view mountpoint, std::string_view topic) {
  // Shared subscriptions and delayed publishes mount their inner topic: $share/g/<mountpoint>f.
  if (!mountpoint.empty()) {
    if (auto delayed = parse_delayed(topic)) {
      const auto prefix = topic.substr(0, topic.size() - delayed->topic.size());
      return std::string(prefix) + std::string(mountpoint) + std::string(delayed->topic);
    }
    if (auto shared = parse_shared(topic)) {
      const auto prefix =
          shared->group == "$queue" ? std::string("$queue/") : "$share/" + shared->group + "/";
      return prefix + std::string(mountpoint) + shared->filter;
    }
  }
  std::string result;
  result.reserve(mountpoint.size() + topic.size());
  result.append(mountpoint).append(topic);
  return result;
}

std::optional<std::string_view> strip_mountpoint(std::string_view mountpoint,
                                                 std::string_view topic) {
  if (!topic.starts_with(mountpoint)) return std::nullopt;
  return topic.substr(mountpoint.size());
}

std::string expand_placeholders(std::string_view tmpl, const PlaceholderValues& values) {
  std::string result;
  result.reserve(tmpl.size());
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%' || i + 1 == tmpl.size()) {
      result.push_back(tmpl[i]);
      continue;
    }
    switch (tmpl[i + 1]) {
      case 'c':
        result.append(values.client_id);
        break;
      case 'u':
        result.append(values.username);
        break;
      case 'e':
        result.append(values.endpoint);
        break;
      case 'a':
        result.append(values.peer);
        break;
      case '%':
        result.push_back('%');
        break;
      default:
        result.append(tmpl.substr(i, 2));
        break;
    }
    ++i;
  }
  return result;
}

}  // namespace gatemq::router
