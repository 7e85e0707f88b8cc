// Several deadlines of one connection (connect timeout, keepalive, retry, send timeout, ...) on a
// single asio::steady_timer that waits for the earliest of them.
//
// Why: every asio timer carries its own executor and per-timer queue (120 bytes) and every
// pending wait is a heap-allocated operation; an idle connection with five timers and two or
// three pending waits paid for all of them. Here one timer object and at most one pending wait
// serve every slot.
//
// Cancelling a slot is lazy: the pending wait stays and, if it wakes up with nothing due, waits
// again for the next deadline. That saves re-arming the kernel timer on every write (the send
// timeout is armed and cancelled per write). Only when no slot is left armed is the wait
// cancelled, so the owner it keeps alive is released.
//
// Not thread-safe: used on the owner's executor only, like the asio timer it wraps.
#pragma once

#include <algorithm>
#include <array>
#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>
#include <utility>

namespace gatemq::net {

template <std::size_t Slots>
class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  // Called on the executor with the slot whose deadline passed; the slot is disarmed first, so
  // the callback may arm it again.
  using OnExpired = std::function<void(std::size_t slot)>;

  DeadlineTimer(const asio::any_io_executor& executor, OnExpired on_expired)
      : timer_(executor), on_expired_(std::move(on_expired)) {
    deadlines_.fill(kUnarmed);
  }
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Arms `slot` for `deadline`, replacing its previous deadline. `owner` is kept alive by the
  // pending wait (the connection, as its own timers' handlers used to do).
  void arm(std::size_t slot, TimePoint deadline, const std::shared_ptr<void>& owner) {
    deadlines_[slot] = deadline;
    if (deadline < waiting_for_) wait_until(deadline, owner);
  }
  void arm_after(std::size_t slot, Clock::duration delay, const std::shared_ptr<void>& owner) {
    arm(slot, Clock::now() + delay, owner);
  }

  void cancel(std::size_t slot) {
    deadlines_[slot] = kUnarmed;
    if (waiting_for_ != kUnarmed && earliest() == kUnarmed) cancel_wait();
  }

  void cancel_all() {
    deadlines_.fill(kUnarmed);
    if (waiting_for_ != kUnarmed) cancel_wait();
  }

  bool armed(std::size_t slot) const { return deadlines_[slot] != kUnarmed; }
  // Unarmed slots report TimePoint::max().
  TimePoint deadline(std::size_t slot) const { return deadlines_[slot]; }
  // Whether an asio wait is pending (for tests).
  bool waiting() const { return waiting_for_ != kUnarmed; }

 private:
  static constexpr TimePoint kUnarmed = TimePoint::max();

  TimePoint earliest() const {
    TimePoint first = kUnarmed;
    for (const auto& deadline : deadlines_) first = std::min(first, deadline);
    return first;
  }

  void wait_until(TimePoint deadline, std::shared_ptr<void> owner) {
    waiting_for_ = deadline;
    // A wait replaced here may already have completed and sit in the queue: the generation
    // tells its handler that it is stale.
    const auto generation = ++generation_;
    timer_.expires_at(deadline);
    timer_.async_wait(
        [this, generation, owner = std::move(owner)](const std::error_code& error) mutable {
          if (error || generation != generation_) return;
          on_wait_complete(std::move(owner));
        });
  }

  void cancel_wait() {
    waiting_for_ = kUnarmed;
    ++generation_;
    timer_.cancel();
  }

  void on_wait_complete(std::shared_ptr<void> owner) {
    waiting_for_ = kUnarmed;
    const auto now = Clock::now();
    for (std::size_t slot = 0; slot < Slots; ++slot) {
      if (deadlines_[slot] > now) continue;
      deadlines_[slot] = kUnarmed;
      on_expired_(slot);  // may arm, cancel or cancel_all
    }
    const auto next = earliest();
    if (next < waiting_for_) wait_until(next, std::move(owner));
  }

  asio::steady_timer timer_;
  OnExpired on_expired_;
  std::array<TimePoint, Slots> deadlines_;
  TimePoint waiting_for_ = kUnarmed;  // what the pending wait expires at, kUnarmed for none
  std::uint64_t generation_ = 0;
};

}  // namespace gatemq::net
