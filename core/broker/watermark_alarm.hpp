// The decision behind the OS monitor's alarms, kept apart from /proc so it can be tested with
// made-up readings: raise above the high watermark, clear below the low one. A gap between the
// two (os_mon.cpu_high_watermark 80%, cpu_low_watermark 60%) stops a reading hovering around one
// line from raising and clearing the alarm on every check.
#pragma once

#include <string>

#include "core/broker/alarms.hpp"

namespace gatemq::broker {

enum class AlarmChange { None, Activate, Deactivate };

// What a reading (percent) means for an alarm that is `active` now.
AlarmChange watermark_change(bool active, double reading, double high, double low);

struct WatermarkRule {
  std::string alarm;  // "high_cpu_usage"
  std::string what;   // "CPU usage", for the alarm's message
  double high = 0;    // percent
  double low = 0;     // percent; equal to high where the seed has no low watermark
};

// Applies one reading to the registry; returns what it changed.
AlarmChange apply_watermark(Alarms& alarms, const WatermarkRule& rule, double reading);

}  // namespace gatemq::broker
