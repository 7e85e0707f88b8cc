// Delayed publish: a PUBLISH to `$delayed/<seconds>/<topic>` is held and published to <topic>
// after the delay. Pending messages live in memory only (lost on restart, never lost while
// running once accepted) and are bounded by count; the delay is bounded too.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "core/broker/message.hpp"

namespace gatemq::broker {

struct DelayedLimits {
  std::size_t max_pending = 100000;  // 0 = unlimited
  std::chrono::seconds max_delay{4294967};
};

class DelayedPublisher {
 public:
  using Publish = std::function<void(const MessagePtr&)>;
  DelayedPublisher(asio::io_context& context, DelayedLimits limits, Publish publish);

  enum class Outcome { Accepted, Malformed, DelayTooLong, Full };
  // `message` has the `$delayed/<seconds>/<topic>` topic; it is held with the inner topic.
  Outcome hold(const MessagePtr& message);
  std::size_t pending() const;
  // Drops what is pending and the timer (shutdown, before the I/O contexts go); idempotent.
  void stop();

 private:
  void arm_locked();
  void on_timer();

  DelayedLimits limits_;
  Publish publish_;
  mutable std::mutex mutex_;
  std::unique_ptr<asio::steady_timer> timer_;  // null once stopped
  std::multimap<Clock::time_point, MessagePtr> pending_;
  std::optional<Clock::time_point> armed_for_;
};

}  // namespace gatemq::broker
