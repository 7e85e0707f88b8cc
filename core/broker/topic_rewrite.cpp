#include "core/broker/topic_rewrite.hpp"

#include <sstream>
#include <stdexcept>

#include "core/router/topic.hpp"

namespace gatemq::broker {

TopicRewrite::Rule TopicRewrite::parse_rule(std::string_view text) {
  std::istringstream words{std::string(text)};
  Rule rule;
  std::string extra;
  if (!(words >> rule.filter >> rule.pattern >> rule.destination) || (words >> extra)) {
    throw std::invalid_argument("expected '<topic filter> <regex> <destination>'");
  }
  if (!router::is_valid_topic_filter(rule.filter, 0)) {
    throw std::invalid_argument("'" + rule.filter + "' is not a valid topic filter");
  }
  try {
    rule.regex = std::regex(rule.pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("bad regex '" + rule.pattern + "': " + e.what());
  }
  return rule;
}

std::optional<std::string> TopicRewrite::apply(std::string_view topic) const {
  for (const auto& rule : rules_) {
    if (!router::topic_matches(rule.filter, topic)) continue;
    std::match_results<std::string_view::const_iterator> match;
    if (!std::regex_search(topic.begin(), topic.end(), match, rule.regex)) return std::nullopt;
    // $1..$9 from the groups; an unmatched group is empty. `$$` is a literal `$`.
    std::string result;
    const auto& dest = rule.destination;
    for (std::size_t i = 0; i < dest.size(); ++i) {
      if (dest[i] == '$' && i + 1 < dest.size()) {
        const char next = dest[i + 1];
        if (next >= '1' && next <= '9') {
          const auto group = static_cast<std::size_t>(next - '0');
          if (group < match.size() && match[group].matched) result += match[group].str();
          ++i;
          continue;
        }
        if (next == '$') {
          result.push_back('$');
          ++i;
          continue;
        }
      }
      result.push_back(dest[i]);
    }
    return result;
  }
  return std::nullopt;
}

}  // namespace gatemq::broker
