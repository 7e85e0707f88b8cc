// Retained messages: the last retained message per topic, handed to new subscribers.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/broker/message.hpp"

namespace gatemq::broker {

struct RetainerLimits {
  std::uint64_t max_retained_messages = 0;  // 0 = unlimited
  std::uint64_t max_payload_size = 1024 * 1024;
  std::chrono::seconds expiry_interval{0};  // 0 = keep until replaced
};

class Retainer {
 public:
  explicit Retainer(RetainerLimits limits) : limits_(limits) {}

  enum class StoreResult { Stored, Deleted, RefusedTooLarge, RefusedFull };
  // Stores a retained message; an empty payload deletes the topic's message.
  StoreResult store(const MessagePtr& message);
  // Live retained messages whose topic matches `filter`.
  std::vector<MessagePtr> match(std::string_view filter) const;
  std::size_t size() const;

 private:
  bool expired(const MessagePtr& message, Clock::time_point now) const;

  const RetainerLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, MessagePtr> messages_;
  std::size_t system_entries_ = 0;  // $SYS/ topics among messages_
};

}  // namespace gatemq::broker
