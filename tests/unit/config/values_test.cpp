// Value syntax: every unit form the seed uses, and what each parser says it expected.
#include "core/config/values.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace gatemq::config::values {
namespace {

using namespace std::chrono_literals;

std::string expected_by(auto parse) {
  try {
    parse();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(ConfigValues, Durations) {
  EXPECT_EQ(duration("500ms"), 500ms);
  EXPECT_EQ(duration("15s"), 15s);
  EXPECT_EQ(duration("1m"), 1min);
  EXPECT_EQ(duration("60m"), 1h);
  EXPECT_EQ(duration("2h"), 2h);
  EXPECT_EQ(duration("1d"), 24h);
  EXPECT_EQ(duration("60"), 60s) << "a plain number is seconds";
  EXPECT_EQ(duration("0"), 0s);
  EXPECT_EQ(duration(" 15S "), 15s);
  for (auto bad : {"", "s", "15x", "-1s", "1.5s", "15 seconds", "infinity"}) {
    EXPECT_EQ(expected_by([&] { duration(bad); }), "a duration such as 500ms, 15s, 2m, 1h or 1d")
        << bad;
  }
}

TEST(ConfigValues, Sizes) {
  EXPECT_EQ(size("512"), 512u) << "a plain number is bytes";
  EXPECT_EQ(size("512B"), 512u);
  EXPECT_EQ(size("2KB"), 2048u);
  EXPECT_EQ(size("64kb"), 64u * 1024);
  EXPECT_EQ(size("1MB"), 1024u * 1024);
  EXPECT_EQ(size("10MB"), 10u * 1024 * 1024);
  EXPECT_EQ(size("2GB"), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(expected_by([] { size("1TB"); }), "a size such as 512B, 64KB, 1MB or 2GB");
  EXPECT_EQ(expected_by([] { size("MB"); }), "a size such as 512B, 64KB, 1MB or 2GB");
}

TEST(ConfigValues, Rates) {
  EXPECT_EQ(values::count_per_period("100,10s"), (std::pair<double, double>{10.0, 100.0}));
  EXPECT_EQ(values::count_per_period("10, 60"), (std::pair<double, double>{10.0 / 60, 10.0}));
  EXPECT_EQ(values::bytes_per_period("100KB,10s"), (std::pair<double, double>{10240.0, 102400.0}));
  EXPECT_EQ(values::rate_and_burst("1024,4096"), (std::pair<double, double>{1024.0, 4096.0}));
  EXPECT_EQ(values::rate_and_burst("1024,10"), (std::pair<double, double>{1024.0, 1024.0}))
      << "a burst below the rate is raised to it";
  for (const char* bad : {"", "10", "10,", ",10s", "0,1s", "10,0s", "1,2,3", "x,1s"}) {
    EXPECT_THROW(values::count_per_period(bad), std::invalid_argument) << bad;
  }
  EXPECT_THROW(values::bytes_per_period("1KB"), std::invalid_argument);
  EXPECT_THROW(values::rate_and_burst("0,10"), std::invalid_argument);
}

TEST(ConfigValues, Booleans) {
  for (auto yes : {"on", "true", "ON", "True", "enable"}) EXPECT_TRUE(boolean(yes)) << yes;
  for (auto no : {"off", "false", "OFF", "disable"}) EXPECT_FALSE(boolean(no)) << no;
  EXPECT_EQ(expected_by([] { boolean("1"); }), "on/off or true/false");
}

TEST(ConfigValues, Numbers) {
  EXPECT_EQ(unsigned_integer("1024", 2048), 1024u);
  EXPECT_EQ(expected_by([] { unsigned_integer("4096", 2048); }), "a whole number from 0 to 2048");
  EXPECT_EQ(expected_by([] { unsigned_integer("12abc", 2048); }), "a whole number from 0 to 2048");
  EXPECT_DOUBLE_EQ(decimal("0.75"), 0.75);
  EXPECT_EQ(expected_by([] { decimal("0"); }), "a positive decimal number such as 0.75");
}

TEST(ConfigValues, ListenAddresses) {
  EXPECT_EQ(listen_address("1883"), (std::pair<std::string, std::uint16_t>{"0.0.0.0", 1883}));
  EXPECT_EQ(listen_address("127.0.0.1:11883"),
            (std::pair<std::string, std::uint16_t>{"127.0.0.1", 11883}));
  EXPECT_EQ(listen_address("[::]:1883"), (std::pair<std::string, std::uint16_t>{"::", 1883}));
  for (auto bad : {"70000", "host:1883", "1.2.3.4:", "1.2.3.4:x", ""}) {
    EXPECT_EQ(expected_by([&] { listen_address(bad); }),
              "a port or ip:port, e.g. 1883 or 0.0.0.0:1883 or [::]:1883")
        << bad;
  }
}

TEST(ConfigValues, PrioritiesChoicesAndNames) {
  EXPECT_TRUE(priorities("none").empty());
  EXPECT_EQ(priorities("a/1=10, b/#=255"),
            (std::vector<std::pair<std::string, int>>{{"a/1", 10}, {"b/#", 255}}));
  EXPECT_EQ(expected_by([] { priorities("a/1=0"); }), "priorities run from 1 to 255");
  EXPECT_EQ(expected_by([] { priorities("a/1"); }),
            "none or topic=priority pairs such as topic/1=10,topic/2=8");
  EXPECT_EQ(one_of("ram", {"ram"}), "ram");
  EXPECT_EQ(expected_by([] { one_of("disc", {"ram", "x"}); }), "one of: ram x");
  EXPECT_EQ(identifier("my_zone-2"), "my_zone-2");
  EXPECT_EQ(expected_by([] { identifier("a.b"); }), "a name of letters, digits, '_' and '-'");
  EXPECT_EQ(name(" gatemq@10.0.0.1 "), "gatemq@10.0.0.1");
  EXPECT_EQ(expected_by([] { name("a b"); }), "a non-empty name without spaces");
}

}  // namespace
}  // namespace gatemq::config::values
