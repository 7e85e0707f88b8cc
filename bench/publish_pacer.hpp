// The schedule of a rate-limited publisher (--rate messages per second), whatever protocol it
// speaks: wakes it when messages are due, lets it catch up by at most a burst, and drops the
// slots it could not use (window full, socket stuck) instead of queueing them for later.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>

namespace gatemq::bench {

class PublishPacer {
 public:
  // Publishes up to `due` messages now (at least 1) and returns how many it did.
  using Send = std::function<std::uint64_t(std::uint64_t due)>;

  // `index` spreads the publishers of a run over one interval.
  PublishPacer(asio::io_context& context, double rate, std::uint32_t index);
  PublishPacer(const PublishPacer&) = delete;
  PublishPacer& operator=(const PublishPacer&) = delete;

  void start(Send send);
  void stop();  // no more wake-ups; safe from inside `send`

 private:
  void schedule();
  void wake();

  asio::steady_timer timer_;
  double rate_;
  std::uint64_t origin_ = 0;  // ns, when message 0 was due
  std::uint64_t sent_ = 0;
  bool stopped_ = false;
  Send send_;
};

}  // namespace gatemq::bench
