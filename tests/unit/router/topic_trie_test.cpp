#include "core/router/topic_trie.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace gatemq::router {
namespace {

using Trie = TopicTrie<int, std::string>;

std::set<std::pair<std::string, int>> matches(const Trie& trie, std::string_view topic) {
  std::set<std::pair<std::string, int>> found;
  trie.match(topic, [&](const std::string& filter, int key, const std::string& value) {
    EXPECT_TRUE(found.emplace(filter, key).second) << "delivered twice: " << filter;
    EXPECT_EQ(value, filter + "#" + std::to_string(key));
  });
  return found;
}

void add(Trie& trie, const std::string& filter, int key) {
  trie.insert(filter, key, filter + "#" + std::to_string(key));
}

TEST(TopicTrie, ExactAndWildcardMatches) {
  Trie trie;
  add(trie, "a/b", 1);
  add(trie, "a/+", 2);
  add(trie, "a/#", 3);
  add(trie, "#", 4);
  add(trie, "+/b", 5);
  add(trie, "x", 6);
  EXPECT_EQ(trie.size(), 6u);
  const std::set<std::pair<std::string, int>> expected{
      {"a/b", 1}, {"a/+", 2}, {"a/#", 3}, {"#", 4}, {"+/b", 5}};
  EXPECT_EQ(matches(trie, "a/b"), expected);
  EXPECT_EQ(matches(trie, "a"), (std::set<std::pair<std::string, int>>{{"a/#", 3}, {"#", 4}}));
}

TEST(TopicTrie, DollarTopics) {
  Trie trie;
  add(trie, "#", 1);
  add(trie, "+/x", 2);
  add(trie, "$SYS/#", 3);
  add(trie, "$SYS/x", 4);
  EXPECT_EQ(matches(trie, "$SYS/x"),
            (std::set<std::pair<std::string, int>>{{"$SYS/#", 3}, {"$SYS/x", 4}}));
}

TEST(TopicTrie, InsertSameFilterAndKeyReplaces) {
  Trie trie;
  trie.insert("a/+", 1, "old");
  trie.insert("a/+", 1, "a/+#1");
  EXPECT_EQ(trie.size(), 1u);
  EXPECT_EQ(matches(trie, "a/z").size(), 1u);
}

TEST(TopicTrie, EraseRemovesOnlyThatSubscription) {
  Trie trie;
  add(trie, "a/+", 1);
  add(trie, "a/+", 2);
  add(trie, "a/b", 1);
  EXPECT_TRUE(trie.erase("a/+", 1));
  EXPECT_FALSE(trie.erase("a/+", 1));
  EXPECT_FALSE(trie.erase("never/+", 1));
  EXPECT_EQ(matches(trie, "a/b"), (std::set<std::pair<std::string, int>>{{"a/+", 2}, {"a/b", 1}}));
  EXPECT_TRUE(trie.erase("a/+", 2));
  EXPECT_TRUE(trie.erase("a/b", 1));
  EXPECT_TRUE(trie.empty());
  EXPECT_TRUE(matches(trie, "a/b").empty());
}

TEST(TopicTrie, PointerKeys) {
  struct Session {
    int id;
  };
  const Session s1{1};
  const Session s2{2};
  TopicTrie<const Session*, int> trie;
  trie.insert("a/+", &s1, 1);
  trie.insert("a/+", &s2, 1);
  trie.insert("a/+", &s2, 2);  // replaces
  trie.insert("a/b", &s1, 3);
  EXPECT_EQ(trie.size(), 3u);
  int sum = 0;
  trie.match("a/b", [&](const std::string&, const Session* const& key, const int& qos) {
    sum += key->id * 10 + qos;
  });
  EXPECT_EQ(sum, 11 + 22 + 13);
  EXPECT_FALSE(trie.erase("a/b", &s2));
  EXPECT_TRUE(trie.erase("a/+", &s1));
  EXPECT_EQ(trie.size(), 2u);
}

TEST(TopicTrie, EraseKeepsDeeperAndSiblingFilters) {
  Trie trie;
  add(trie, "a/+", 1);
  add(trie, "a/+/c", 1);
  add(trie, "a/#", 1);
  add(trie, "a/+/#", 2);
  EXPECT_TRUE(trie.erase("a/+", 1));
  EXPECT_EQ(matches(trie, "a/b/c"),
            (std::set<std::pair<std::string, int>>{{"a/+/c", 1}, {"a/#", 1}, {"a/+/#", 2}}));
  EXPECT_TRUE(trie.erase("a/+/c", 1));
  EXPECT_TRUE(trie.erase("a/#", 1));
  EXPECT_EQ(matches(trie, "a/b"), (std::set<std::pair<std::string, int>>{{"a/+/#", 2}}));
  EXPECT_TRUE(trie.erase("a/+/#", 2));
  EXPECT_TRUE(trie.empty());
  // The pruned branches can be rebuilt.
  add(trie, "a/+/c", 3);
  EXPECT_EQ(matches(trie, "a/x/c"), (std::set<std::pair<std::string, int>>{{"a/+/c", 3}}));
}

TEST(TopicTrie, EmptyLevelsAndExactFastPath) {
  Trie trie;
  add(trie, "/", 1);
  add(trie, "a//b", 2);
  add(trie, "+/+", 3);
  add(trie, "$SYS/x", 4);
  EXPECT_EQ(matches(trie, "/"), (std::set<std::pair<std::string, int>>{{"/", 1}, {"+/+", 3}}));
  EXPECT_EQ(matches(trie, "a//b"), (std::set<std::pair<std::string, int>>{{"a//b", 2}}));
  EXPECT_EQ(matches(trie, "$SYS/x"), (std::set<std::pair<std::string, int>>{{"$SYS/x", 4}}));
  EXPECT_TRUE(matches(trie, "a/b").size() == 1u);
}

// Property test: the trie agrees with topic_matches on random filters and topics.
TEST(TopicTrie, AgreesWithTopicMatches) {
  std::mt19937 random(20261125);
  const std::vector<std::string> words{"a", "b", "c", "", "$SYS", "long-level"};
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  auto random_topic = [&] {
    std::string topic;
    const auto levels = 1 + pick(4);
    for (std::size_t i = 0; i < levels; ++i) {
      if (i) topic += '/';
      topic += words[pick(words.size())];
    }
    return topic;
  };
  auto random_filter = [&] {
    std::string filter;
    const auto levels = 1 + pick(4);
    for (std::size_t i = 0; i < levels; ++i) {
      if (i) filter += '/';
      const auto choice = pick(10);
      if (choice < 2) {
        filter += '+';
      } else if (choice == 2) {
        filter += '#';
        break;
      } else {
        filter += words[pick(words.size())];
      }
    }
    return filter;
  };

  Trie trie;
  std::vector<std::pair<std::string, int>> subscriptions;
  for (int i = 0; i < 400; ++i) {
    auto filter = random_filter();
    if (!is_valid_topic_filter(filter, 0)) continue;  // e.g. the empty filter
    const int key = static_cast<int>(pick(5));
    add(trie, filter, key);
    subscriptions.emplace_back(filter, key);
  }
  std::set<std::pair<std::string, int>> unique(subscriptions.begin(), subscriptions.end());
  EXPECT_EQ(trie.size(), unique.size());

  auto check_all = [&](const std::set<std::pair<std::string, int>>& live) {
    for (int i = 0; i < 3000; ++i) {
      const auto topic = random_topic();
      std::set<std::pair<std::string, int>> expected;
      for (const auto& subscription : live) {
        if (topic_matches(subscription.first, topic)) expected.insert(subscription);
      }
      ASSERT_EQ(matches(trie, topic), expected) << topic;
    }
  };
  check_all(unique);

  // Erase a random half; the rest must still match exactly as before.
  std::vector<std::pair<std::string, int>> order(unique.begin(), unique.end());
  std::shuffle(order.begin(), order.end(), random);
  std::set<std::pair<std::string, int>> live(unique);
  for (std::size_t i = 0; i < order.size() / 2; ++i) {
    ASSERT_TRUE(trie.erase(order[i].first, order[i].second)) << order[i].first;
    ASSERT_FALSE(trie.erase(order[i].first, order[i].second)) << order[i].first;
    live.erase(order[i]);
  }
  EXPECT_EQ(trie.size(), live.size());
  check_all(live);

  // Erasing everything prunes back to an empty trie.
  for (const auto& [filter, key] : live) ASSERT_TRUE(trie.erase(filter, key)) << filter;
  EXPECT_TRUE(trie.empty());
  EXPECT_TRUE(matches(trie, "a/b").empty());
}

}  // namespace
}  // namespace gatemq::router
