// Offline / over-window message queue of a session: bounded, with topic priorities.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/broker/delivery.hpp"

namespace gatemq::broker {

struct MessageQueueLimits {
  std::size_t max_len = 1000;  // 0 = unbounded
  bool store_qos0 = true;
  std::vector<std::pair<std::string, int>> priorities;  // exact topic -> 1..255 (higher first)
  bool default_priority_highest = false;                // topics not listed: lowest or highest
};

class MessageQueue {
 public:
  explicit MessageQueue(MessageQueueLimits limits) : limits_(std::move(limits)) {}

  enum class PushResult { Queued, QueuedDroppedOldest, Refused };
  // Queues `delivery`; when full, the oldest message of the lowest priority makes room.
  PushResult push(Delivery delivery);
  // Puts back a message just popped (it keeps its place at the head of its lane).
  void push_front(Delivery delivery);
  // Next message in priority order (FIFO within a priority); false when empty.
  bool pop(Delivery& out);
  // Removes and returns every queued delivery `take` says yes to, in queue order per lane.
  template <class Predicate>
  std::vector<Delivery> take_if(Predicate take) {
    std::vector<Delivery> taken;
    for (auto lane = lanes_.begin(); lane != lanes_.end();) {
      auto& items = lane->second;
      for (auto it = items.begin(); it != items.end();) {
        if (take(*it)) {
          taken.push_back(std::move(*it));
          it = items.erase(it);
          --size_;
        } else {
          ++it;
        }
      }
      lane = items.empty() ? lanes_.erase(lane) : std::next(lane);
    }
    return taken;
  }
  std::size_t size() const { return size_; }
  std::size_t max_len() const { return limits_.max_len; }
  bool empty() const { return size_ == 0; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  int priority_of(const std::string& topic) const;

  MessageQueueLimits limits_;
  std::map<int, std::deque<Delivery>, std::greater<>> lanes_;  // highest priority first
  std::size_t size_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace gatemq::broker
