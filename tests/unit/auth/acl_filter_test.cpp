// filter_covers and filters_overlap checked against brute force over a small topic universe:
// covering must never claim more than is true (it would allow too much), and overlap must
// never miss a shared topic (a deny rule would be bypassed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/auth/acl_rule.hpp"
#include "core/router/topic.hpp"

namespace gatemq::auth::acl_detail {
namespace {

// Every string of 1..max_depth levels drawn from `choices`; `#` only as the last level.
std::vector<std::string> all_of_depth(const std::vector<std::string>& choices, int max_depth) {
  std::vector<std::string> result;
  std::vector<std::string> previous = {""};
  for (int depth = 1; depth <= max_depth; ++depth) {
    std::vector<std::string> next;
    for (const auto& prefix : previous) {
      for (const auto& level : choices) {
        auto candidate = depth == 1 ? level : prefix + "/" + level;
        if (level != "#") next.push_back(candidate);
        result.push_back(std::move(candidate));
      }
    }
    previous = std::move(next);
  }
  return result;
}

TEST(AclFilters, AgreeWithBruteForce) {
  const auto topics = all_of_depth({"a", "b", "$s"}, 4);
  const auto filters = all_of_depth({"a", "$s", "+", "#"}, 3);
  std::vector<std::vector<bool>> matches(filters.size());
  for (std::size_t f = 0; f < filters.size(); ++f) {
    for (const auto& topic : topics) matches[f].push_back(router::topic_matches(filters[f], topic));
  }
  std::size_t conservative_refusals = 0;
  for (std::size_t rule = 0; rule < filters.size(); ++rule) {
    for (std::size_t request = 0; request < filters.size(); ++request) {
      bool covered = true;
      bool shared = false;
      for (std::size_t t = 0; t < topics.size(); ++t) {
        if (matches[request][t] && !matches[rule][t]) covered = false;
        if (matches[request][t] && matches[rule][t]) shared = true;
      }
      const auto& rule_filter = filters[rule];
      const auto& requested = filters[request];
      if (filter_covers(rule_filter, requested)) {
        EXPECT_TRUE(covered) << rule_filter << " claims to cover " << requested;
      } else if (covered) {
        ++conservative_refusals;
      }
      EXPECT_EQ(filters_overlap(rule_filter, requested), shared)
          << rule_filter << " vs " << requested;
    }
  }
  // Conservative misses such as "+/#" covering "#" are allowed but should stay rare.
  EXPECT_LT(conservative_refusals, 20u);
}

}  // namespace
}  // namespace gatemq::auth::acl_detail
