#include "core/net/deadline_timer.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <vector>

namespace gatemq::net {
namespace {

using namespace std::chrono_literals;
using Timer = DeadlineTimer<3>;

struct Fixture {
  asio::io_context io;
  std::vector<std::size_t> fired;
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  Timer timer{io.get_executor(), [this](std::size_t slot) { fired.push_back(slot); }};
};

TEST(DeadlineTimer, FiresSlotsInDeadlineOrder) {
  Fixture f;
  f.timer.arm_after(2, 30ms, f.owner);
  f.timer.arm_after(0, 10ms, f.owner);
  f.timer.arm_after(1, 20ms, f.owner);
  f.io.run();
  EXPECT_EQ(f.fired, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_FALSE(f.timer.waiting());
  EXPECT_FALSE(f.timer.armed(0));
}

TEST(DeadlineTimer, FiresNoEarlierThanTheDeadline) {
  Fixture f;
  const auto start = Timer::Clock::now();
  Timer::TimePoint fired_at;
  Timer timer{f.io.get_executor(), [&](std::size_t) { fired_at = Timer::Clock::now(); }};
  timer.arm_after(1, 20ms, f.owner);
  f.io.run();
  EXPECT_GE(fired_at - start, 20ms);
}

TEST(DeadlineTimer, RearmingReplacesTheSlotsDeadline) {
  Fixture f;
  f.timer.arm_after(0, 10ms, f.owner);
  f.timer.arm_after(0, 40ms, f.owner);  // later: the early wake-up finds nothing due
  f.timer.arm_after(1, 20ms, f.owner);
  f.io.run();
  EXPECT_EQ(f.fired, (std::vector<std::size_t>{1, 0}));
}

TEST(DeadlineTimer, CancelledSlotDoesNotFire) {
  Fixture f;
  f.timer.arm_after(0, 10ms, f.owner);
  f.timer.arm_after(1, 20ms, f.owner);
  f.timer.cancel(0);
  EXPECT_TRUE(f.timer.waiting());  // still waiting for slot 1
  f.io.run();
  EXPECT_EQ(f.fired, (std::vector<std::size_t>{1}));
}

TEST(DeadlineTimer, CancellingTheLastSlotReleasesTheOwner) {
  Fixture f;
  std::weak_ptr<int> watched = f.owner;
  f.timer.arm_after(0, 1h, f.owner);
  f.owner.reset();
  EXPECT_FALSE(watched.expired());  // the pending wait keeps it
  f.timer.cancel(0);
  EXPECT_FALSE(f.timer.waiting());
  f.io.run();  // the cancelled wait completes and lets go
  EXPECT_TRUE(watched.expired());
  EXPECT_TRUE(f.fired.empty());
}

TEST(DeadlineTimer, CancelAllStopsEverything) {
  Fixture f;
  f.timer.arm_after(0, 10ms, f.owner);
  f.timer.arm_after(2, 20ms, f.owner);
  f.timer.cancel_all();
  f.io.run();
  EXPECT_TRUE(f.fired.empty());
  EXPECT_FALSE(f.timer.armed(0));
  EXPECT_FALSE(f.timer.armed(2));
}

TEST(DeadlineTimer, CallbackMayRearmItsOwnSlot) {
  asio::io_context io;
  auto owner = std::make_shared<int>(0);
  int count = 0;
  std::unique_ptr<Timer> timer;
  timer = std::make_unique<Timer>(io.get_executor(), [&](std::size_t slot) {
    if (++count < 3) timer->arm_after(slot, 5ms, owner);
  });
  timer->arm_after(1, 5ms, owner);
  io.run();
  EXPECT_EQ(count, 3);
  EXPECT_FALSE(timer->waiting());
}

TEST(DeadlineTimer, CallbackMayCancelOtherSlots) {
  asio::io_context io;
  auto owner = std::make_shared<int>(0);
  std::vector<std::size_t> fired;
  std::unique_ptr<Timer> timer;
  timer = std::make_unique<Timer>(io.get_executor(), [&](std::size_t slot) {
    fired.push_back(slot);
    timer->cancel_all();  // as a connection closing on a keepalive timeout does
  });
  timer->arm_after(0, 5ms, owner);
  timer->arm_after(1, 30ms, owner);
  io.run();
  EXPECT_EQ(fired, (std::vector<std::size_t>{0}));
}

TEST(DeadlineTimer, EarlierArmReplacesAPendingWait) {
  Fixture f;
  f.timer.arm_after(0, 1h, f.owner);
  f.timer.arm_after(1, 10ms, f.owner);
  f.io.run_for(200ms);
  EXPECT_EQ(f.fired, (std::vector<std::size_t>{1}));
  EXPECT_TRUE(f.timer.armed(0));
  EXPECT_TRUE(f.timer.waiting());
  f.timer.cancel_all();
}

}  // namespace
}  // namespace gatemq::net
