// The seed's os_mon.* keys: the alarm watermarks and check intervals.
#include <gtest/gtest.h>

#include <string>

#include "core/config/config.hpp"

namespace gatemq::config {
namespace {

using namespace std::chrono_literals;

std::string error_of(std::string_view text) {
  try {
    parse_settings(text, "test.conf", {});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, OsMonitorKeys) {
  const auto settings = parse_settings(
      "os_mon.cpu_check_interval = 5s\n"
      "os_mon.cpu_high_watermark = 90%\n"
      "os_mon.cpu_low_watermark = 75\n"
      "os_mon.mem_check_interval = 1s\n"
      "os_mon.sysmem_high_watermark = 1%\n"
      "os_mon.procmem_high_watermark = 12.5%\n",
      "test.conf", {});
  const auto& os_mon = settings.os_mon;
  EXPECT_EQ(os_mon.cpu_check_interval, 5s);
  EXPECT_EQ(os_mon.cpu_high_watermark, 90);
  EXPECT_EQ(os_mon.cpu_low_watermark, 75);
  EXPECT_EQ(os_mon.mem_check_interval, 1s);
  EXPECT_EQ(os_mon.sysmem_high_watermark, 1);
  EXPECT_EQ(os_mon.procmem_high_watermark, 12.5);
  EXPECT_TRUE(settings.ignored_keys.empty());
  EXPECT_EQ(Settings{}.os_mon.cpu_high_watermark, 80);
  EXPECT_NE(error_of("os_mon.cpu_high_watermark = 120%\n").find("a percentage"), std::string::npos);
  EXPECT_NE(error_of("os_mon.sysmem_high_watermak = 70%\n").find("os_mon.sysmem_high_watermark"),
            std::string::npos)
      << "os_mon.* is no longer ignored wholesale, so typos get a suggestion";
}

TEST(Config, CpuLowWatermarkAboveTheHighOneIsRefused) {
  // Raised above the high mark, cleared below the low one: reversed, the alarm never clears.
  EXPECT_EQ(error_of("os_mon.cpu_high_watermark = 50%\nos_mon.cpu_low_watermark = 70%\n"),
            "test.conf:2: os_mon.cpu_low_watermark (70%) is above os_mon.cpu_high_watermark (50%)");
  EXPECT_EQ(error_of("os_mon.cpu_high_watermark = 50%\n"),
            "test.conf:1: os_mon.cpu_low_watermark (60%) is above os_mon.cpu_high_watermark (50%)");
  EXPECT_EQ(error_of("os_mon.cpu_high_watermark = 60%\n"), "no error");  // equal is allowed
}

}  // namespace
}  // namespace gatemq::config
