// The broker's small policy modules: topic rewrite rules, banned clients, flapping detection
// and the metric names.
#include <gtest/gtest.h>

#include <set>

#include "core/broker/banned_clients.hpp"
#include "core/broker/flapping_detector.hpp"
#include "core/broker/metrics.hpp"
#include "core/broker/topic_rewrite.hpp"

namespace gatemq::broker {
namespace {

using namespace std::chrono_literals;

TopicRewrite seed_rules() {
  TopicRewrite rewrite;
  rewrite.add(TopicRewrite::parse_rule("x/# ^x/y/(.+)$ z/y/$1"));
  rewrite.add(TopicRewrite::parse_rule("y/+/z/# ^y/(.+)/z/(.+)$ y/z/$2"));
  return rewrite;
}

TEST(TopicRewrite, SeedExamples) {
  const auto rewrite = seed_rules();
  EXPECT_EQ(rewrite.apply("x/y/abc"), "z/y/abc");
  EXPECT_EQ(rewrite.apply("y/a/z/b"), "y/z/b");
  EXPECT_EQ(rewrite.apply("y/a/z/b/c"), "y/z/b/c");
  EXPECT_EQ(rewrite.apply("other/topic"), std::nullopt);
}

TEST(TopicRewrite, FirstMatchingFilterDecidesEvenIfItsRegexFails) {
  TopicRewrite rewrite;
  rewrite.add(TopicRewrite::parse_rule("x/# ^x/y/(.+)$ first/$1"));
  rewrite.add(TopicRewrite::parse_rule("x/# ^x/(.+)$ second/$1"));
  EXPECT_EQ(rewrite.apply("x/q"), std::nullopt);
  EXPECT_EQ(rewrite.apply("x/y/q"), "first/q");
}

TEST(TopicRewrite, PlaceholdersAndLiteralDollar) {
  TopicRewrite rewrite;
  rewrite.add(TopicRewrite::parse_rule("a/+/+ ^a/(\\w+)/(\\w+)$ $2/$1/$$/$9"));
  EXPECT_EQ(rewrite.apply("a/one/two"), "two/one/$/");
}

TEST(TopicRewrite, FiltersAreRewrittenLikeTopics) {
  const auto rewrite = seed_rules();
  EXPECT_EQ(rewrite.apply("x/y/+"), "z/y/+");
  EXPECT_EQ(rewrite.apply("x/y/#"), "z/y/#");
}

TEST(TopicRewrite, BadRulesAreRefused) {
  EXPECT_THROW(TopicRewrite::parse_rule("x/#"), std::invalid_argument);
  EXPECT_THROW(TopicRewrite::parse_rule("x/# ^x$"), std::invalid_argument);
  EXPECT_THROW(TopicRewrite::parse_rule("x/# ^x$ a extra"), std::invalid_argument);
  EXPECT_THROW(TopicRewrite::parse_rule("x/#/y ^x$ a"), std::invalid_argument);
  EXPECT_THROW(TopicRewrite::parse_rule("x/# ^x/(unclosed$ a"), std::invalid_argument);
}

ClientInfo client(std::string id, std::optional<std::string> user, std::string host) {
  ClientInfo info;
  info.client_id = std::move(id);
  info.username = std::move(user);
  info.peer_host = std::move(host);
  return info;
}

TEST(BannedClients, ByEachKindUntilExpiry) {
  BannedClients banned;
  const auto now = BannedClients::SystemClock::now();
  banned.add({BannedClients::Kind::ClientId, "bad-id", "r", "op", now, now + 10s});
  banned.add({BannedClients::Kind::Username, "mallory", "r", "op", now, now + 10s});
  banned.add({BannedClients::Kind::PeerHost, "10.0.0.9", "r", "op", now, now + 10s});
  EXPECT_TRUE(banned.find(client("bad-id", {}, "1.1.1.1"), now));
  EXPECT_TRUE(banned.find(client("ok", "mallory", "1.1.1.1"), now));
  EXPECT_TRUE(banned.find(client("ok", {}, "10.0.0.9"), now));
  EXPECT_FALSE(banned.find(client("ok", "alice", "1.1.1.1"), now));
  EXPECT_EQ(banned.list(now).size(), 3u);
  EXPECT_FALSE(banned.find(client("bad-id", {}, "1.1.1.1"), now + 11s)) << "expired";
  EXPECT_EQ(banned.list(now + 11s).size(), 0u);
}

TEST(BannedClients, AddReplacesAndRemoveForgets) {
  BannedClients banned;
  const auto now = BannedClients::SystemClock::now();
  banned.add({BannedClients::Kind::ClientId, "c", "first", "op", now, now + 1s});
  banned.add({BannedClients::Kind::ClientId, "c", "second", "op", now, now + 100s});
  ASSERT_EQ(banned.list(now).size(), 1u);
  EXPECT_EQ(banned.find(client("c", {}, ""), now + 50s)->reason, "second");
  EXPECT_TRUE(banned.remove(BannedClients::Kind::ClientId, "c"));
  EXPECT_FALSE(banned.remove(BannedClients::Kind::ClientId, "c"));
  EXPECT_FALSE(banned.find(client("c", {}, ""), now));
  EXPECT_EQ(BannedClients::parse_kind("peerhost"), BannedClients::Kind::PeerHost);
  EXPECT_EQ(BannedClients::parse_kind("nope"), std::nullopt);
}

TEST(FlappingDetector, ThresholdWithinWindow) {
  FlappingDetector detector;
  const FlappingDetector::Policy policy{3, 60s};
  const auto t0 = FlappingDetector::Clock::now();
  EXPECT_FALSE(detector.record("c", policy, t0));
  EXPECT_FALSE(detector.record("c", policy, t0 + 1s));
  EXPECT_TRUE(detector.record("c", policy, t0 + 2s));
  EXPECT_FALSE(detector.record("c", policy, t0 + 3s)) << "counting starts over";
}

TEST(FlappingDetector, WindowRestartsAfterItPasses) {
  FlappingDetector detector;
  const FlappingDetector::Policy policy{3, 10s};
  const auto t0 = FlappingDetector::Clock::now();
  EXPECT_FALSE(detector.record("c", policy, t0));
  EXPECT_FALSE(detector.record("c", policy, t0 + 5s));
  EXPECT_FALSE(detector.record("c", policy, t0 + 11s)) << "new window";
  EXPECT_FALSE(detector.record("c", policy, t0 + 12s));
  EXPECT_TRUE(detector.record("c", policy, t0 + 13s));
  EXPECT_FALSE(detector.record("other", policy, t0 + 13s)) << "per client id";
}

TEST(FlappingDetector, StaleTracksArePurged) {
  FlappingDetector detector;
  const FlappingDetector::Policy policy{100, 1s};
  const auto t0 = FlappingDetector::Clock::now();
  for (int i = 0; i < 1000; ++i) detector.record("c" + std::to_string(i), policy, t0);
  for (int i = 0; i < 1100; ++i)
    detector.record("late", policy, t0 + 10s + std::chrono::milliseconds(i));
  EXPECT_LT(detector.tracked(), 100u);
}

TEST(Metrics, NamesAreUniqueAndPacketsCountPerType) {
  std::set<std::string_view> names(kMetricNames.begin(), kMetricNames.end());
  EXPECT_EQ(names.size(), kMetricNames.size());
  Metrics metrics;
  metrics.packet_received(mqtt::PacketType::Publish);
  metrics.packet_received(mqtt::PacketType::Pingreq);
  metrics.packet_sent(mqtt::PacketType::Connack);
  metrics.message_received(2);
  metrics.message_dropped(2);
  EXPECT_EQ(metrics.get(Metric::PacketsReceived), 2u);
  EXPECT_EQ(metrics.get(Metric::PacketsPublishReceived), 1u);
  EXPECT_EQ(metrics.get(Metric::PacketsPingreq), 1u);
  EXPECT_EQ(metrics.get(Metric::PacketsConnack), 1u);
  EXPECT_EQ(metrics.get(Metric::MessagesQos2Received), 1u);
  EXPECT_EQ(metrics.get(Metric::MessagesQos2Dropped), 1u);
  EXPECT_EQ(metrics.get(Metric::MessagesDropped), 1u);
}

}  // namespace
}  // namespace gatemq::broker
