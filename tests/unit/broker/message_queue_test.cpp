#include "core/broker/message_queue.hpp"

#include <gtest/gtest.h>

namespace gatemq::broker {
namespace {

Delivery delivery(const std::string& topic, const std::string& payload, std::uint8_t qos = 1) {
  return Delivery{make_message(topic, payload, qos, false, {}, "publisher"), qos, false, {}};
}

std::vector<std::string> drain(MessageQueue& queue) {
  std::vector<std::string> payloads;
  Delivery next;
  while (queue.pop(next)) payloads.push_back(next.message->payload);
  return payloads;
}

TEST(MessageQueue, KeepsFifoOrder) {
  MessageQueue queue({.max_len = 10});
  for (int i = 0; i < 5; ++i) queue.push(delivery("t", std::to_string(i)));
  EXPECT_EQ(queue.size(), 5u);
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_TRUE(queue.empty());
}

TEST(MessageQueue, FullQueueDropsOldest) {
  MessageQueue queue({.max_len = 2});
  EXPECT_EQ(queue.push(delivery("t", "a")), MessageQueue::PushResult::Queued);
  EXPECT_EQ(queue.push(delivery("t", "b")), MessageQueue::PushResult::Queued);
  EXPECT_EQ(queue.push(delivery("t", "c")), MessageQueue::PushResult::QueuedDroppedOldest);
  EXPECT_EQ(queue.dropped(), 1u);
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"b", "c"}));
}

TEST(MessageQueue, UnboundedWhenMaxLenZero) {
  MessageQueue queue({.max_len = 0});
  for (int i = 0; i < 5000; ++i) queue.push(delivery("t", "x"));
  EXPECT_EQ(queue.size(), 5000u);
  EXPECT_EQ(queue.dropped(), 0u);
}

TEST(MessageQueue, Qos0RefusedWhenNotStored) {
  MessageQueue queue({.max_len = 10, .store_qos0 = false});
  EXPECT_EQ(queue.push(delivery("t", "q0", 0)), MessageQueue::PushResult::Refused);
  EXPECT_EQ(queue.push(delivery("t", "q1", 1)), MessageQueue::PushResult::Queued);
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"q1"}));
}

TEST(MessageQueue, HigherPriorityTopicsFirst) {
  MessageQueue queue({.max_len = 10, .priorities = {{"urgent", 10}, {"normal", 5}}});
  queue.push(delivery("other", "o1"));
  queue.push(delivery("normal", "n1"));
  queue.push(delivery("urgent", "u1"));
  queue.push(delivery("other", "o2"));
  queue.push(delivery("urgent", "u2"));
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"u1", "u2", "n1", "o1", "o2"}));
}

TEST(MessageQueue, DefaultPriorityHighestPutsUnlistedFirst) {
  MessageQueue queue(
      {.max_len = 10, .priorities = {{"listed", 10}}, .default_priority_highest = true});
  queue.push(delivery("listed", "l"));
  queue.push(delivery("other", "o"));
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"o", "l"}));
}

TEST(MessageQueue, FullQueueDropsFromLowestPriority) {
  MessageQueue queue({.max_len = 2, .priorities = {{"urgent", 10}}});
  queue.push(delivery("urgent", "u1"));
  queue.push(delivery("other", "o1"));
  queue.push(delivery("urgent", "u2"));
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"u1", "u2"}));
}

TEST(MessageQueue, PushFrontKeepsHeadOfLane) {
  MessageQueue queue({.max_len = 10});
  queue.push(delivery("t", "a"));
  queue.push(delivery("t", "b"));
  Delivery head;
  ASSERT_TRUE(queue.pop(head));
  queue.push_front(std::move(head));
  EXPECT_EQ(drain(queue), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace gatemq::broker
