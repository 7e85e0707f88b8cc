#include "core/broker/watermark_alarm.hpp"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace gatemq::broker {

namespace {

// Two decimals are plenty for a percentage people read.
double rounded(double percent) {
  return std::round(percent * 100) / 100;
}

}  // namespace

AlarmChange watermark_change(bool active, double reading, double high, double low) {
  if (!active && reading > high) return AlarmChange::Activate;
  if (active && reading < low) return AlarmChange::Deactivate;
  return AlarmChange::None;
}

AlarmChange apply_watermark(Alarms& alarms, const WatermarkRule& rule, double reading) {
  const auto change = watermark_change(alarms.is_active(rule.alarm), reading, rule.high, rule.low);
  if (change == AlarmChange::Activate) {
    const nlohmann::json details{
        {"usage", rounded(reading)}, {"high_watermark", rule.high}, {"low_watermark", rule.low}};
    alarms.activate(rule.alarm,
                    fmt::format("{} is {:.1f}%, above the high watermark of {}%", rule.what,
                                reading, rule.high),
                    details.dump());
  } else if (change == AlarmChange::Deactivate) {
    alarms.deactivate(rule.alarm);
  }
  return change;
}

}  // namespace gatemq::broker
