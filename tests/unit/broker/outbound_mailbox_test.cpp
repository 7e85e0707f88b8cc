// The mailbox keeps a session's output in the order the session made it, even where asio::post
// alone would let a later item overtake an earlier one; and it measures how far its connection
// is behind, holding publishers back or refusing QoS 0 messages by that measure.
#include "core/broker/outbound_mailbox.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <thread>

namespace gatemq::broker {
namespace {

using namespace std::chrono_literals;

Outbound item(std::uint16_t packet_id) {
  return OutboundPubrel{packet_id};
}

std::vector<std::uint16_t> ids(const std::vector<Outbound>& items) {
  std::vector<std::uint16_t> result;
  for (const auto& entry : items) result.push_back(std::get<OutboundPubrel>(entry).packet_id);
  return result;
}

// A QoS 0 (packet id 0) or QoS 1 publish whose accounted size is `payload` + topic + overhead.
Outbound publish(std::size_t payload, std::uint16_t packet_id = 0) {
  Delivery delivery;
  delivery.message =
      make_message("t", std::string(payload, 'x'), packet_id ? 1 : 0, false, {}, "publisher");
  delivery.qos = packet_id ? 1 : 0;
  return OutboundPublish{std::move(delivery), packet_id, false};
}

const std::weak_ptr<void> kNoOwner;

TEST(OutboundMailbox, OnlyTheFirstItemSinceATakeAsksForADrain) {
  Metrics metrics;
  OutboundMailbox mailbox(metrics);
  EXPECT_TRUE(mailbox.push(item(1), kNoOwner));
  EXPECT_FALSE(mailbox.push(item(2), kNoOwner));
  EXPECT_FALSE(mailbox.push(item(3), kNoOwner));
  EXPECT_EQ(ids(mailbox.take().items), (std::vector<std::uint16_t>{1, 2, 3}));
  EXPECT_TRUE(mailbox.take().items.empty());
  EXPECT_TRUE(mailbox.push(item(4), kNoOwner));
  EXPECT_EQ(ids(mailbox.take().items), (std::vector<std::uint16_t>{4}));
}

// The case that reordered a resumed STOMP session: the connection's own thread posts a resend
// (it lands in that thread's private queue until the running handler returns) and, before the
// handler returns, another thread routes a newer message.
TEST(OutboundMailbox, ItemsFromTheOwnThreadAreNotOvertakenByAnotherThread) {
  asio::io_context context(1);  // one thread: asio's private per-thread queue is in use
  Metrics metrics;
  OutboundMailbox mailbox(metrics);
  std::vector<std::uint16_t> drained;
  std::vector<std::uint16_t> plain_posts;
  const auto schedule = [&](std::uint16_t packet_id) {
    asio::post(context, [&plain_posts, packet_id] { plain_posts.push_back(packet_id); });
    if (mailbox.push(item(packet_id), kNoOwner)) {
      asio::post(context, [&] {
        for (auto id : ids(mailbox.take_and_release())) drained.push_back(id);
      });
    }
  };
  asio::post(context, [&] {
    schedule(1);  // from the connection's own thread
    std::thread router([&] { schedule(2); });
    router.join();
  });
  context.run();
  EXPECT_EQ(drained, (std::vector<std::uint16_t>{1, 2}));
  // What the mailbox protects against: plain posts came out the other way round.
  EXPECT_EQ(plain_posts, (std::vector<std::uint16_t>{2, 1}));
}

TEST(OutboundMailbox, TheBacklogCountsUntilTheConnectionReleasesWhatItWrote) {
  Metrics metrics;
  OutboundMailbox mailbox(metrics);
  mailbox.push(publish(1000), kNoOwner);
  mailbox.push(publish(1000), kNoOwner);
  const auto accounted = OutboundMailbox::accounted_size(publish(1000));
  EXPECT_EQ(mailbox.backlog_bytes(), 2 * accounted);
  auto batch = mailbox.take();
  EXPECT_EQ(batch.bytes, 2 * accounted);
  // Taken but not yet on the wire: still behind.
  EXPECT_EQ(mailbox.backlog_bytes(), 2 * accounted);
  mailbox.release(batch.bytes);
  EXPECT_EQ(mailbox.backlog_bytes(), 0u);
}

TEST(OutboundMailbox, Qos0PastTheBufferIsDroppedAndCountedQos1IsNot) {
  Metrics metrics;
  const BacklogLimits limits{1000, 500, 4000, 0ms};
  OutboundMailbox mailbox(metrics, limits);
  const auto accounted = OutboundMailbox::accounted_size(publish(900));
  std::size_t queued = 0;
  for (int i = 0; i < 10; ++i) {
    mailbox.push(publish(900), kNoOwner);
  }
  queued = mailbox.take().items.size();
  EXPECT_EQ(queued, 4000 / accounted);
  EXPECT_EQ(metrics.get(Metric::MessagesDroppedSlowSubscriber), 10 - queued);
  EXPECT_EQ(metrics.get(Metric::MessagesDropped), 10 - queued);
  // QoS 1 is bounded by the inflight window, never here.
  mailbox.push(publish(900, 7), kNoOwner);
  EXPECT_EQ(mailbox.take().items.size(), 1u);
}

TEST(OutboundMailbox, APublisherInAScopeLearnsOfTheCongestionAndIsWokenByTheDrain) {
  Metrics metrics;
  const BacklogLimits limits{1000, 500, 100000, 10s};
  OutboundMailbox mailbox(metrics, limits);
  auto owner = std::make_shared<int>(0);
  {
    PublishCongestion::Scope scope;
    mailbox.push(publish(400), owner);
    EXPECT_TRUE(scope.entries().empty());  // below the hold level
    mailbox.push(publish(400), owner);
    mailbox.push(publish(400), owner);
    mailbox.push(publish(400), owner);
    ASSERT_EQ(scope.entries().size(), 1u);  // reported once per scope
    EXPECT_EQ(scope.entries()[0].mailbox, &mailbox);
  }
  int woken = 0;
  EXPECT_TRUE(mailbox.wait_for_drain(&woken, [&] { ++woken; }));
  auto batch = mailbox.take();
  const auto one = OutboundMailbox::accounted_size(publish(400));
  mailbox.release(2 * one);  // 2 left: above the resume level
  EXPECT_EQ(woken, 0);
  mailbox.release(batch.bytes - 2 * one);
  EXPECT_EQ(woken, 1);
  // Below the resume level there is nothing to wait for.
  EXPECT_FALSE(mailbox.wait_for_drain(&woken, [&] { ++woken; }));
}

TEST(OutboundMailbox, WithoutAScopeNothingIsReported) {
  Metrics metrics;
  const BacklogLimits limits{100, 50, 100000, 10s};
  OutboundMailbox mailbox(metrics, limits);
  auto owner = std::make_shared<int>(0);
  mailbox.push(publish(400), owner);
  PublishCongestion::Scope scope;
  EXPECT_TRUE(scope.entries().empty());
}

TEST(OutboundMailbox, AConnectionThatKeepsWritingHoldsPublishersHoweverLongItTakes) {
  Metrics metrics;
  const BacklogLimits limits{100, 50, 100000, 2ms};
  OutboundMailbox mailbox(metrics, limits);
  auto owner = std::make_shared<int>(0);
  for (int i = 0; i < 20; ++i) mailbox.push(publish(400), owner);
  auto batch = mailbox.take();
  const auto one = OutboundMailbox::accounted_size(publish(400));
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(1ms);
    mailbox.release(one);  // slow, but progressing
    PublishCongestion::Scope scope;
    mailbox.push(publish(400), owner);
    EXPECT_EQ(scope.entries().size(), 1u) << i;
  }
}

TEST(OutboundMailbox, AConnectionThatStopsWritingForMaxHoldIsLaggingUntilItCatchesUp) {
  Metrics metrics;
  const BacklogLimits limits{100, 50, 100000, 1ms};
  OutboundMailbox mailbox(metrics, limits);
  auto owner = std::make_shared<int>(0);
  mailbox.push(publish(400), owner);  // congested from now on
  std::this_thread::sleep_for(5ms);
  {
    PublishCongestion::Scope scope;
    mailbox.push(publish(400), owner);
    EXPECT_TRUE(scope.entries().empty());  // lagging: publishers go on, QoS 0 may drop
  }
  EXPECT_FALSE(mailbox.wait_for_drain(&mailbox, [] {}));
  mailbox.release(mailbox.take().bytes);  // caught up
  {
    PublishCongestion::Scope scope;
    mailbox.push(publish(400), owner);
    EXPECT_EQ(scope.entries().size(), 1u);  // held back again
  }
}

TEST(OutboundMailbox, DestructionWakesTheWaitingPublishers) {
  Metrics metrics;
  const BacklogLimits limits{100, 50, 100000, 10s};
  int woken = 0;
  {
    OutboundMailbox mailbox(metrics, limits);
    mailbox.push(publish(400), kNoOwner);
    EXPECT_TRUE(mailbox.wait_for_drain(&woken, [&] { ++woken; }));
  }
  EXPECT_EQ(woken, 1);
}

// A publisher whose hold ended on its timer waits again, and again: each wait replaces its
// earlier registration, so a subscriber that stays behind does not collect one per hold.
TEST(OutboundMailbox, APublisherWaitingAgainReplacesItsEarlierWait) {
  Metrics metrics;
  const BacklogLimits limits{100, 50, 100000, 10s};
  OutboundMailbox mailbox(metrics, limits);
  mailbox.push(publish(400), kNoOwner);
  int publisher_a = 0;
  int publisher_b = 0;
  int stale = 0;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(mailbox.wait_for_drain(&publisher_a, [&] { ++stale; }));
  EXPECT_TRUE(mailbox.wait_for_drain(&publisher_a, [&] { ++publisher_a; }));
  EXPECT_TRUE(mailbox.wait_for_drain(&publisher_b, [&] { ++publisher_b; }));
  mailbox.release(mailbox.take().bytes);
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(publisher_a, 1);
  EXPECT_EQ(publisher_b, 1);
}

}  // namespace
}  // namespace gatemq::broker
