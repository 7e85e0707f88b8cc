#include "gateways/mqtt-sn/topic_registry.hpp"

#include <gtest/gtest.h>

namespace gatemq::gateway::mqttsn {
namespace {

std::shared_ptr<const PredefinedTopics> predefined(
    std::initializer_list<std::pair<std::uint16_t, std::string>> topics) {
  auto table = std::make_shared<PredefinedTopics>();
  for (const auto& [id, name] : topics) EXPECT_TRUE(table->add(id, name));
  return table;
}

TEST(PredefinedTopics, RefusesReservedAndDuplicateEntries) {
  PredefinedTopics table;
  EXPECT_FALSE(table.add(0, "a/b"));
  EXPECT_FALSE(table.add(0xFFFF, "a/b"));
  EXPECT_FALSE(table.add(1, ""));
  EXPECT_TRUE(table.add(1, "a/b"));
  EXPECT_FALSE(table.add(1, "c/d"));
  EXPECT_FALSE(table.add(2, "a/b"));
  EXPECT_EQ(table.name_of(1), "a/b");
  EXPECT_EQ(table.id_of("a/b"), 1);
  EXPECT_EQ(table.highest_id(), 1);
}

TEST(TopicRegistry, NormalIdsStartAfterTheHighestPredefinedId) {
  TopicRegistry registry(predefined({{1, "p/one"}, {20, "p/twenty"}}), 0);
  EXPECT_EQ(registry.first_normal_id(), 21);
  const auto first = registry.register_topic("a/b");
  EXPECT_EQ(first.return_code, accepted);
  EXPECT_EQ(first.topic_id, 21);
  EXPECT_TRUE(first.added);
  EXPECT_EQ(registry.register_topic("c/d").topic_id, 22);
}

TEST(TopicRegistry, WithoutPredefinedTopicsIdsStartAtOne) {
  TopicRegistry registry(nullptr, 0);
  EXPECT_EQ(registry.register_topic("x").topic_id, 1);
}

TEST(TopicRegistry, SameNameGivesTheSameId) {
  TopicRegistry registry(nullptr, 0);
  const auto id = registry.register_topic("a/b").topic_id;
  const auto again = registry.register_topic("a/b");
  EXPECT_EQ(again.topic_id, id);
  EXPECT_FALSE(again.added);
  EXPECT_EQ(registry.size(), 1u);
}

TEST(TopicRegistry, WildcardsAndEmptyNamesAreNotSupported) {
  TopicRegistry registry(nullptr, 0);
  EXPECT_EQ(registry.register_topic("a/+").return_code, not_supported);
  EXPECT_EQ(registry.register_topic("a/#").return_code, not_supported);
  EXPECT_EQ(registry.register_topic("").return_code, not_supported);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(TopicRegistry, ExhaustionIsNotSupported) {
  TopicRegistry registry(nullptr, 2);
  EXPECT_EQ(registry.register_topic("a").return_code, accepted);
  EXPECT_EQ(registry.register_topic("b").return_code, accepted);
  EXPECT_EQ(registry.register_topic("c").return_code, not_supported);
  EXPECT_EQ(registry.register_topic("a").return_code, accepted);  // known names still resolve
  registry.forget(registry.registered_id("a").value());
  EXPECT_EQ(registry.register_topic("c").return_code, accepted);
}

TEST(TopicRegistry, WholeIdSpaceUpTo0xFFFE) {
  TopicRegistry registry(predefined({{0xFFFD, "p"}}), 0);
  EXPECT_EQ(registry.register_topic("a").topic_id, 0xFFFE);
  EXPECT_EQ(registry.register_topic("b").return_code, not_supported);
}

TEST(TopicRegistry, IdsWrapAroundToFreedOnes) {
  TopicRegistry registry(predefined({{0xFFFB, "p"}}), 0);
  EXPECT_EQ(registry.register_topic("a").topic_id, 0xFFFC);
  EXPECT_EQ(registry.register_topic("b").topic_id, 0xFFFD);
  EXPECT_EQ(registry.register_topic("c").topic_id, 0xFFFE);
  registry.forget(0xFFFD);
  EXPECT_EQ(registry.register_topic("d").topic_id, 0xFFFD);
  EXPECT_EQ(registry.resolve(TopicIdType::normal, 0xFFFD), "d");
}

TEST(TopicRegistry, ResolvesEachTopicIdType) {
  TopicRegistry registry(predefined({{5, "p/five"}}), 0);
  const auto id = registry.register_topic("n/one").topic_id;
  EXPECT_EQ(registry.resolve(TopicIdType::normal, id), "n/one");
  EXPECT_EQ(registry.resolve(TopicIdType::normal, 5), std::nullopt);  // not registered
  EXPECT_EQ(registry.resolve(TopicIdType::predefined, 5), "p/five");
  EXPECT_EQ(registry.resolve(TopicIdType::predefined, id), std::nullopt);
  EXPECT_EQ(registry.resolve(TopicIdType::short_name, short_name_to_topic_id("ab")), "ab");
  EXPECT_EQ(registry.resolve(TopicIdType::short_name, short_name_to_topic_id("a")), "a");
  EXPECT_EQ(registry.resolve(TopicIdType::short_name, 0), std::nullopt);
  EXPECT_EQ(registry.resolve(TopicIdType::reserved, id), std::nullopt);
}

TEST(TopicRegistry, OutboundPrefersPredefinedThenRegisteredThenShort) {
  TopicRegistry registry(predefined({{3, "p/x"}, {4, "zz"}}), 0);
  EXPECT_EQ(registry.outbound("p/x"), (TopicRef{TopicIdType::predefined, 3}));
  EXPECT_EQ(registry.outbound("zz"), (TopicRef{TopicIdType::predefined, 4}));
  EXPECT_EQ(registry.outbound("ab"),
            (TopicRef{TopicIdType::short_name, short_name_to_topic_id("ab")}));
  EXPECT_EQ(registry.outbound("a/b"), std::nullopt);  // needs a REGISTER
  const auto id = registry.register_topic("a/b").topic_id;
  EXPECT_EQ(registry.outbound("a/b"), (TopicRef{TopicIdType::normal, id}));
  const auto short_id = registry.register_topic("cd").topic_id;
  EXPECT_EQ(registry.outbound("cd"), (TopicRef{TopicIdType::normal, short_id}));
}

TEST(TopicRegistry, ClearStartsOver) {
  TopicRegistry registry(nullptr, 0);
  registry.register_topic("a");
  registry.register_topic("b");
  registry.clear();
  EXPECT_EQ(registry.size(), 0u);
  EXPECT_EQ(registry.register_topic("b").topic_id, 1);
  EXPECT_EQ(registry.resolve(TopicIdType::normal, 2), std::nullopt);
}

TEST(ShortTopicName, DropsTrailingNulAndRefusesEmbeddedNul) {
  EXPECT_EQ(short_topic_name(short_name_to_topic_id("ab")), "ab");
  EXPECT_EQ(short_topic_name(short_name_to_topic_id("a")), "a");
  EXPECT_EQ(short_topic_name(0x0000), "");
  EXPECT_EQ(short_topic_name(0x0061), "");  // "\0a"
}

}  // namespace
}  // namespace gatemq::gateway::mqttsn
