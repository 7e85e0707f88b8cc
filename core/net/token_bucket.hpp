// A token bucket for per-connection rate limits (bytes or messages in). The connection takes
// what it received and, when the bucket runs dry, pauses reading until it refills: TCP
// backpressure slows the sender and nothing is dropped.
#pragma once

#include <algorithm>
#include <chrono>

#include "core/config/settings.hpp"

namespace gatemq::net {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(const config::RateLimit& limit, Clock::time_point now)
      : per_second_(limit.per_second), burst_(limit.burst), tokens_(limit.burst), at_(now) {}

  // Takes `amount` (it may go into debt); returns how long to wait before taking more.
  std::chrono::milliseconds take(double amount, Clock::time_point now) {
    const std::chrono::duration<double> elapsed = now - at_;
    at_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * per_second_) - amount;
    if (tokens_ >= 0) return std::chrono::milliseconds(0);
    // Round up so the wait always covers the debt.
    return std::chrono::milliseconds(static_cast<long long>(-tokens_ * 1000.0 / per_second_) + 1);
  }

 private:
  double per_second_;
  double burst_;
  double tokens_;
  Clock::time_point at_;
};

}  // namespace gatemq::net
