// Topic rewrite (`module.rewrite.rule.N = <filter> <regex> <destination>`): a topic matching the
// filter and the regex becomes the destination, with $1..$9 taken from the regex groups. The first
// rule whose filter matches decides (its regex may still not match: then the topic stays).
// Publish rules apply to PUBLISH topics, subscribe rules to SUBSCRIBE/UNSUBSCRIBE filters.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace gatemq::broker {

class TopicRewrite {
 public:
  struct Rule {
    std::string filter;
    std::string pattern;
    std::regex regex;
    std::string destination;
  };

  // Parses "<filter> <regex> <destination>"; throws std::invalid_argument naming the problem.
  static Rule parse_rule(std::string_view text);

  void add(Rule rule) { rules_.push_back(std::move(rule)); }
  bool empty() const { return rules_.empty(); }
  // The rewritten topic or filter, or nullopt when no rule changes it.
  std::optional<std::string> apply(std::string_view topic) const;

 private:
  std::vector<Rule> rules_;
};

}  // namespace gatemq::broker
