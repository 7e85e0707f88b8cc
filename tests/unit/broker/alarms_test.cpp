// The alarm registry (activate, deactivate, history, what it publishes) and the watermark
// decision the OS monitor applies to its readings.
#include "core/broker/alarms.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/broker/watermark_alarm.hpp"

namespace gatemq::broker {
namespace {

struct Published {
  std::string topic;
  nlohmann::json payload;
  bool retain = false;
  std::uint8_t qos = 0;
};

class AlarmsTest : public ::testing::Test {
 protected:
  std::vector<Published> published;
  Alarms alarms{"node@host", [this](const MessagePtr& message) {
                  published.push_back({message->topic, nlohmann::json::parse(message->payload),
                                       message->retain, message->qos});
                }};
};

TEST_F(AlarmsTest, ActivatePublishesAnAlertOnce) {
  EXPECT_TRUE(alarms.activate("high_cpu_usage", "CPU is busy", R"({"usage":91.5})"));
  EXPECT_FALSE(alarms.activate("high_cpu_usage", "again", "{}")) << "already active: no-op";
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].topic, "$SYS/brokers/node@host/alarms/alert");
  EXPECT_FALSE(published[0].retain);
  EXPECT_EQ(published[0].qos, 0);
  const auto& payload = published[0].payload;
  EXPECT_EQ(payload["name"], "high_cpu_usage");
  EXPECT_EQ(payload["message"], "CPU is busy");
  EXPECT_EQ(payload["details"]["usage"], 91.5);
  EXPECT_GT(payload["activate_at"].get<std::int64_t>(), 1'600'000'000'000);
  EXPECT_FALSE(payload.contains("deactivate_at"));
  ASSERT_EQ(alarms.activated().size(), 1u);
  EXPECT_EQ(alarms.activated()[0].message, "CPU is busy");
  EXPECT_TRUE(alarms.is_active("high_cpu_usage"));
}

TEST_F(AlarmsTest, DeactivateMovesTheAlarmToTheHistoryAndPublishesAClear) {
  alarms.activate("a", "first", "{}");
  alarms.activate("b", "second", "{}");
  EXPECT_TRUE(alarms.deactivate("a"));
  EXPECT_FALSE(alarms.deactivate("a")) << "not active any more";
  EXPECT_FALSE(alarms.deactivate("never"));
  ASSERT_EQ(published.size(), 3u);
  EXPECT_EQ(published[2].topic, "$SYS/brokers/node@host/alarms/clear");
  EXPECT_EQ(published[2].payload["name"], "a");
  EXPECT_GE(published[2].payload["deactivate_at"].get<std::int64_t>(),
            published[2].payload["activate_at"].get<std::int64_t>());
  ASSERT_EQ(alarms.activated().size(), 1u);
  EXPECT_EQ(alarms.activated()[0].name, "b");
  ASSERT_EQ(alarms.deactivated().size(), 1u);
  EXPECT_EQ(alarms.deactivated()[0].name, "a");
  EXPECT_TRUE(alarms.deactivated()[0].deactivate_at.has_value());

  EXPECT_TRUE(alarms.activate("a", "raised again", "{}")) << "a cleared alarm can come back";
  alarms.clear_history();
  EXPECT_TRUE(alarms.deactivated().empty());
  EXPECT_EQ(alarms.activated().size(), 2u);
}

TEST_F(AlarmsTest, HistoryIsBoundedAndNewestFirst) {
  for (std::size_t i = 0; i < Alarms::kHistoryLimit + 5; ++i) {
    alarms.activate("flapping", "n" + std::to_string(i), "{}");
    alarms.deactivate("flapping");
  }
  const auto history = alarms.deactivated();
  ASSERT_EQ(history.size(), Alarms::kHistoryLimit);
  EXPECT_EQ(history.front().message, "n" + std::to_string(Alarms::kHistoryLimit + 4));
}

TEST_F(AlarmsTest, UnparsableDetailsBecomeAnEmptyObject) {
  alarms.activate("x", "m", "not json");
  EXPECT_EQ(published.at(0).payload["details"], nlohmann::json::object());
}

TEST(WatermarkChange, RaisesAboveHighAndClearsBelowLow) {
  EXPECT_EQ(watermark_change(false, 81, 80, 60), AlarmChange::Activate);
  EXPECT_EQ(watermark_change(false, 80, 80, 60), AlarmChange::None) << "at the line is not above";
  EXPECT_EQ(watermark_change(false, 10, 80, 60), AlarmChange::None);
  EXPECT_EQ(watermark_change(true, 95, 80, 60), AlarmChange::None);
  EXPECT_EQ(watermark_change(true, 70, 80, 60), AlarmChange::None) << "between the lines: stays";
  EXPECT_EQ(watermark_change(true, 59, 80, 60), AlarmChange::Deactivate);
}

TEST_F(AlarmsTest, HysteresisOverASeriesOfReadings) {
  const WatermarkRule rule{"high_cpu_usage", "CPU usage", 80, 60};
  const std::vector<std::pair<double, bool>> readings_and_active{
      {50, false}, {85, true},  {75, true},  {81, true},
      {65, true},  {55, false}, {79, false}, {90, true}};
  for (const auto& [reading, active] : readings_and_active) {
    apply_watermark(alarms, rule, reading);
    EXPECT_EQ(alarms.is_active("high_cpu_usage"), active) << "after a reading of " << reading;
  }
  ASSERT_EQ(published.size(), 3u) << "raised, cleared, raised: nothing in between";
  EXPECT_EQ(published[0].payload["details"]["usage"], 85);
  EXPECT_EQ(published[0].payload["details"]["high_watermark"], 80);
  EXPECT_NE(published[0].payload["message"].get<std::string>().find("85.0%"), std::string::npos);
}

TEST_F(AlarmsTest, EqualWatermarksClearAsSoonAsBelow) {
  const WatermarkRule rule{"high_system_memory_usage", "System memory usage", 70, 70};
  EXPECT_EQ(apply_watermark(alarms, rule, 71), AlarmChange::Activate);
  EXPECT_EQ(apply_watermark(alarms, rule, 70), AlarmChange::None);
  EXPECT_EQ(apply_watermark(alarms, rule, 69.9), AlarmChange::Deactivate);
  EXPECT_EQ(alarms.deactivated().size(), 1u);
}

}  // namespace
}  // namespace gatemq::broker
