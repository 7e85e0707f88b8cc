// The OS monitor's /proc parsing and CPU arithmetic, on made-up file contents.
#include "app/os_monitor.hpp"

#include <gtest/gtest.h>

namespace gatemq::app {
namespace {

TEST(OsMonitor, ParsesTheAggregateCpuLine) {
  const auto times = parse_cpu_times(
      "cpu  100 5 45 800 50 0 0 0 0 0\n"
      "cpu0 50 2 20 400 25 0 0 0 0 0\n");
  ASSERT_TRUE(times);
  EXPECT_EQ(times->total, 1000u);
  EXPECT_EQ(times->busy, 150u) << "idle and iowait are not busy";
  EXPECT_FALSE(parse_cpu_times("intr 1 2 3\n"));
  EXPECT_FALSE(parse_cpu_times("cpu  1 2\n"));
}

TEST(OsMonitor, CpuUsageBetweenTwoSamples) {
  EXPECT_DOUBLE_EQ(cpu_usage_percent({100, 1000}, {400, 2000}), 30.0);
  EXPECT_DOUBLE_EQ(cpu_usage_percent({100, 1000}, {100, 1000}), 0.0) << "no time passed";
}

TEST(OsMonitor, ParsesMemTotalAndMemAvailable) {
  const auto memory = parse_meminfo(
      "MemTotal:       16000000 kB\n"
      "MemFree:         1000000 kB\n"
      "MemAvailable:    4000000 kB\n");
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->total_bytes, 16000000ull * 1024);
  EXPECT_EQ(memory->available_bytes, 4000000ull * 1024);
  EXPECT_FALSE(parse_meminfo("MemTotal: 100 kB\nMemFree: 50 kB\n"));
}

}  // namespace
}  // namespace gatemq::app
