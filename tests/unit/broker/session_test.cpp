#include "core/broker/session.hpp"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/broker/recording_sink.hpp"

namespace gatemq::broker {
namespace {

using testing::RecordingSink;

Delivery delivery(const std::string& payload, std::uint8_t qos) {
  return Delivery{make_message("t", payload, qos, false, {}, "publisher"), qos, false, {}};
}

SessionLimits limits_with_inflight(std::uint16_t max_inflight) {
  SessionLimits limits;
  limits.max_inflight = max_inflight;
  return limits;
}

TEST(Session, Qos0GoesOutWithoutPacketId) {
  Session session("c", {});
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  session.deliver(delivery("m", 0));
  ASSERT_EQ(sink->publishes().size(), 1u);
  EXPECT_EQ(sink->publishes()[0].packet_id, 0);
  EXPECT_EQ(session.stats().inflight, 0u);
}

TEST(Session, InflightWindowQueuesTheRestAndAcksOpenIt) {
  Session session("c", limits_with_inflight(2));
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  for (int i = 0; i < 5; ++i) session.deliver(delivery(std::to_string(i), 1));
  auto sent = sink->publishes();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(session.stats().queued, 3u);
  EXPECT_TRUE(session.on_puback(sent[0].packet_id));
  sent = sink->publishes();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].delivery.message->payload, "2");
  EXPECT_FALSE(session.on_puback(sent[0].packet_id)) << "acked twice";
}

TEST(Session, ClientReceiveMaximumNarrowsTheWindow) {
  Session session("c", limits_with_inflight(32));
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 1);
  session.deliver(delivery("a", 2));
  session.deliver(delivery("b", 2));
  EXPECT_EQ(sink->publishes().size(), 1u);
  EXPECT_EQ(session.stats().queued, 1u);
}

TEST(Session, Qos2FlowSendsPubrelAndCompletes) {
  Session session("c", {});
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  session.deliver(delivery("x", 2));
  const auto id = sink->publishes().at(0).packet_id;
  EXPECT_FALSE(session.on_puback(id)) << "PUBACK is not the answer to a QoS 2 PUBLISH";
  EXPECT_TRUE(session.on_pubrec(id));
  ASSERT_TRUE(std::holds_alternative<OutboundPubrel>(sink->sent.back()));
  EXPECT_EQ(std::get<OutboundPubrel>(sink->sent.back()).packet_id, id);
  EXPECT_FALSE(session.on_pubcomp(id + 1));
  EXPECT_TRUE(session.on_pubcomp(id));
  EXPECT_EQ(session.stats().inflight, 0u);
}

TEST(Session, OfflineMessagesQueueAndReplayInOrderOnAttach) {
  Session session("c", {});
  for (int i = 0; i < 4; ++i) session.deliver(delivery(std::to_string(i), 1));
  EXPECT_EQ(session.stats().queued, 4u);
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  const auto sent = sink->publishes();
  ASSERT_EQ(sent.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(sent[i].delivery.message->payload, std::to_string(i));
}

TEST(Session, ResumeResendsUnackedWithDupThenPubrels) {
  Session session("c", {});
  auto first = std::make_shared<RecordingSink>();
  session.attach(first, 65535);
  session.deliver(delivery("q1", 1));
  session.deliver(delivery("q2", 2));
  const auto q1 = first->publishes().at(0).packet_id;
  const auto q2 = first->publishes().at(1).packet_id;
  ASSERT_TRUE(session.on_pubrec(q2));
  EXPECT_TRUE(session.detach(first.get()));

  auto second = std::make_shared<RecordingSink>();
  session.attach(second, 65535);
  ASSERT_EQ(second->sent.size(), 2u);
  const auto& resent = std::get<OutboundPublish>(second->sent[0]);
  EXPECT_EQ(resent.packet_id, q1);
  EXPECT_TRUE(resent.dup);
  EXPECT_EQ(std::get<OutboundPubrel>(second->sent[1]).packet_id, q2);
}

TEST(Session, ResumeResendsNoMoreThanTheNewReceiveMaximum) {
  Session session("c", {});
  auto first = std::make_shared<RecordingSink>();
  session.attach(first, 4);
  for (int i = 0; i < 4; ++i) session.deliver(delivery(std::to_string(i), 1));
  session.deliver(delivery("queued-later", 1));  // beyond the first window: queued
  session.detach(first.get());

  auto second = std::make_shared<RecordingSink>();
  session.attach(second, 2);
  auto sent = second->publishes();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].delivery.message->payload, "0");
  EXPECT_EQ(sent[1].delivery.message->payload, "1");
  EXPECT_TRUE(session.on_puback(sent[0].packet_id));
  sent = second->publishes();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].delivery.message->payload, "2");
  EXPECT_TRUE(sent[2].dup);
  EXPECT_TRUE(session.on_puback(sent[1].packet_id));
  EXPECT_TRUE(session.on_puback(sent[2].packet_id));
  sent = second->publishes();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[3].delivery.message->payload, "3");
  EXPECT_EQ(sent[4].delivery.message->payload, "queued-later");
  EXPECT_FALSE(sent[4].dup);
}

TEST(Session, DetachOfAStaleSinkIsIgnored) {
  Session session("c", {});
  auto old_sink = std::make_shared<RecordingSink>();
  auto new_sink = std::make_shared<RecordingSink>();
  session.attach(old_sink, 65535);
  session.attach(new_sink, 65535);
  EXPECT_FALSE(session.detach(old_sink.get()));
  EXPECT_EQ(session.sink(), new_sink);
}

TEST(Session, RetryResendsOnlyOverdueEntries) {
  Session session("c", {});
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  session.deliver(delivery("a", 1));
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(session.retry_unacknowledged(now, std::chrono::hours(1)).resent, 0u);
  EXPECT_EQ(session.retry_unacknowledged(now + std::chrono::hours(2), std::chrono::hours(1)).resent,
            1u);
  const auto sent = sink->publishes();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[1].dup);
  EXPECT_EQ(sent[1].packet_id, sent[0].packet_id);
}

TEST(Session, RetryFallsDueOneIntervalAfterEachMessagesOwnSend) {
  // The times handed to the session run an hour or two ahead of the real clock, which stamps
  // first sends: a fake clock for what retry_unacknowledged sees.
  using namespace std::chrono_literals;
  using Clock = std::chrono::steady_clock;
  Session session("c", {});
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  EXPECT_FALSE(session.retry_unacknowledged(Clock::now(), 1h).next_due) << "nothing waits";

  const auto a_before = Clock::now();
  session.deliver(delivery("a", 1));
  const auto a_after = Clock::now();
  auto retried = session.retry_unacknowledged(a_after, 1h);
  EXPECT_EQ(retried.resent, 0u);
  ASSERT_TRUE(retried.next_due);
  EXPECT_GE(*retried.next_due, a_before + 1h);
  EXPECT_LE(*retried.next_due, a_after + 1h);

  retried = session.retry_unacknowledged(a_after + 1h, 1h);
  EXPECT_EQ(retried.resent, 1u);
  EXPECT_EQ(retried.next_due, a_after + 2h) << "one interval after the resend";

  // "b", sent after "a" but first sent later than "a" was resent, falls due first.
  const auto b_before = Clock::now();
  session.deliver(delivery("b", 1));
  const auto b_after = Clock::now();
  retried = session.retry_unacknowledged(b_after, 1h);
  EXPECT_EQ(retried.resent, 0u);
  ASSERT_TRUE(retried.next_due);
  EXPECT_GE(*retried.next_due, b_before + 1h);
  EXPECT_LE(*retried.next_due, b_after + 1h);

  retried = session.retry_unacknowledged(*retried.next_due, 1h);
  EXPECT_EQ(retried.resent, 1u) << "only b is due";
  EXPECT_EQ(retried.next_due, a_after + 2h);

  const auto sent = sink->publishes();
  ASSERT_EQ(sent.size(), 4u);
  std::vector<std::pair<std::string, bool>> order;
  for (const auto& publish : sent) {
    order.emplace_back(publish.delivery.message->payload, publish.dup);
  }
  EXPECT_EQ(order, (std::vector<std::pair<std::string, bool>>{
                       {"a", false}, {"a", true}, {"b", false}, {"b", true}}));
}

TEST(Session, PacketIdsNeverCollideWhileInflight) {
  Session session("c", limits_with_inflight(0));
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  // Keep ids 1..100 in flight, then cycle through the whole id space twice.
  for (int i = 0; i < 100; ++i) session.deliver(delivery("held", 1));
  std::set<std::uint16_t> held;
  for (const auto& publish : sink->publishes()) held.insert(publish.packet_id);
  ASSERT_EQ(held.size(), 100u);
  for (int i = 0; i < 140000; ++i) {
    session.deliver(delivery("cycle", 1));
    const auto id = sink->publishes().back().packet_id;
    ASSERT_NE(id, 0);
    ASSERT_FALSE(held.contains(id)) << "id " << id << " reused while in flight";
    ASSERT_TRUE(session.on_puback(id));
    sink->sent.clear();
  }
}

TEST(Session, Qos2ReceiveDetectsDuplicatesAndLimit) {
  SessionLimits limits;
  limits.max_awaiting_rel = 2;
  Session session("c", limits);
  EXPECT_EQ(session.receive_qos2(1), Session::Qos2Receive::New);
  EXPECT_EQ(session.receive_qos2(1), Session::Qos2Receive::Duplicate);
  EXPECT_EQ(session.receive_qos2(2), Session::Qos2Receive::New);
  EXPECT_EQ(session.receive_qos2(3), Session::Qos2Receive::Full);
  EXPECT_TRUE(session.release_qos2(1));
  EXPECT_FALSE(session.release_qos2(1));
  EXPECT_EQ(session.receive_qos2(3), Session::Qos2Receive::New);
}

TEST(Session, DeliveryQosIsTheLowerUnlessUpgraded) {
  Session plain("c", {});
  EXPECT_EQ(plain.delivery_qos(2, 1), 1);
  EXPECT_EQ(plain.delivery_qos(0, 2), 0);
  SessionLimits limits;
  limits.upgrade_qos = true;
  Session upgraded("c", limits);
  EXPECT_EQ(upgraded.delivery_qos(0, 2), 2);
  EXPECT_EQ(upgraded.delivery_qos(2, 1), 2);
}

TEST(Session, DeliveriesTheSinkCannotTakeAreSkipped) {
  Session session("c", {});
  auto sink = std::make_shared<RecordingSink>();
  sink->max_payload = 3;
  session.attach(sink, 65535);
  session.deliver(delivery("too long", 1));
  session.deliver(delivery("ok", 1));
  ASSERT_EQ(sink->publishes().size(), 1u);
  EXPECT_EQ(sink->publishes()[0].delivery.message->payload, "ok");
}

TEST(Session, ExpiredMessagesAreNotReplayed) {
  Session session("c", {});
  mqtt::Properties properties;
  properties.message_expiry_interval = 1;
  auto message = make_message("t", "old", 1, false, properties, "p");
  // Pretend the message was published long ago.
  auto aged = std::make_shared<Message>(*message);
  aged->expires_at = Clock::now() - std::chrono::seconds(1);
  session.deliver(Delivery{aged, 1, false, {}});
  session.deliver(delivery("fresh", 1));
  auto sink = std::make_shared<RecordingSink>();
  session.attach(sink, 65535);
  ASSERT_EQ(sink->publishes().size(), 1u);
  EXPECT_EQ(sink->publishes()[0].delivery.message->payload, "fresh");
}

}  // namespace
}  // namespace gatemq::broker
