// Publishing at a rate: message k is due at origin + k / rate.
#include "bench/publish_pacer.hpp"

#include <algorithm>
#include <chrono>

#include "bench/stats.hpp"

namespace gatemq::bench {

namespace {

constexpr std::uint64_t kMaxBurst = 64;  // catch-up messages per timer wake-up
constexpr double kGoldenRatio = 0.6180339887498949;

}  // namespace

PublishPacer::PublishPacer(asio::io_context& context, double rate, std::uint32_t index)
    : timer_(context), rate_(rate) {
  // Golden-ratio phases spread the publishers over one interval instead of firing them all at
  // the same instant, which would measure a burst rather than the rate.
  const double phase = static_cast<double>(index) * kGoldenRatio;
  const double fraction = phase - static_cast<double>(static_cast<std::uint64_t>(phase));
  origin_ = now_ns() + static_cast<std::uint64_t>(fraction * 1e9 / rate_);
}

void PublishPacer::start(Send send) {
  send_ = std::move(send);
  stopped_ = false;
  schedule();
}

void PublishPacer::stop() {
  stopped_ = true;
  timer_.cancel();
}

void PublishPacer::schedule() {
  const auto due = origin_ + static_cast<std::uint64_t>(static_cast<double>(sent_) * 1e9 / rate_);
  timer_.expires_at(Clock::time_point(std::chrono::nanoseconds(due)));
  timer_.async_wait([this](const asio::error_code& error) {
    if (error || stopped_) return;
    wake();
  });
}

void PublishPacer::wake() {
  const auto now = now_ns();
  const auto elapsed = now > origin_ ? now - origin_ : 0;
  const auto scheduled = static_cast<std::uint64_t>(static_cast<double>(elapsed) * rate_ / 1e9) + 1;
  const auto due = scheduled > sent_ ? std::min(scheduled - sent_, kMaxBurst) : 1;
  const auto sent = send_(due);
  sent_ += sent;
  if (stopped_) return;
  if (sent == 0) origin_ += static_cast<std::uint64_t>(1e9 / rate_);  // this slot is skipped
  schedule();
}

}  // namespace gatemq::bench
