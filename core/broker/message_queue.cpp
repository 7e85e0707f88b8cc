#include "core/broker/message_queue.hpp"

namespace gatemq::broker {

namespace {
constexpr int kLowestPriority = 0;
constexpr int kHighestPriority = 256;  // above every configurable 1..255
}  // namespace

int MessageQueue::priority_of(const std::string& topic) const {
  for (const auto& [name, priority] : limits_.priorities) {
    if (name == topic) return priority;
  }
  return limits_.default_priority_highest ? kHighestPriority : kLowestPriority;
}

MessageQueue::PushResult MessageQueue::push(Delivery delivery) {
  if (delivery.qos == 0 && !limits_.store_qos0) {
    ++dropped_;
    return PushResult::Refused;
  }
  const int priority = priority_of(delivery.message->topic);
  PushResult result = PushResult::Queued;
  if (limits_.max_len != 0 && size_ >= limits_.max_len) {
    // Make room from the lowest lane, unless the newcomer ranks below everything queued.
    auto lowest = std::prev(lanes_.end());
    if (lowest->first > priority) {
      ++dropped_;
      return PushResult::Refused;
    }
    lowest->second.pop_front();
    if (lowest->second.empty()) lanes_.erase(lowest);
    --size_;
    ++dropped_;
    result = PushResult::QueuedDroppedOldest;
  }
  lanes_[priority].push_back(std::move(delivery));
  ++size_;
  return result;
}

void MessageQueue::push_front(Delivery delivery) {
  const int priority = priority_of(delivery.message->topic);
  lanes_[priority].push_front(std::move(delivery));
  ++size_;
}

bool MessageQueue::pop(Delivery& out) {
  if (lanes_.empty()) return false;
  auto highest = lanes_.begin();
  out = std::move(highest->second.front());
  highest->second.pop_front();
  if (highest->second.empty()) lanes_.erase(highest);
  --size_;
  return true;
}

}  // namespace gatemq::broker
