// System alarms (the seed's emqx_alarm): conditions such as high memory use that stay raised
// until cleared. Raising one publishes to $SYS/brokers/<node>/alarms/alert, clearing it to
// .../alarms/clear; cleared alarms are kept as a bounded history for the management API.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/broker/message.hpp"

namespace gatemq::broker {

struct Alarm {
  std::string name;     // "high_system_memory_usage"
  std::string message;  // one line for people
  std::string details;  // a JSON object, as text
  std::chrono::system_clock::time_point activate_at;
  std::optional<std::chrono::system_clock::time_point> deactivate_at;  // set once cleared
};

// {"name", "message", "details": {...}, "activate_at": ms, "deactivate_at": ms (cleared only)},
// in that order (ordered_json, as the management API's answers are).
nlohmann::ordered_json alarm_json(const Alarm& alarm);

// Thread-safe: the OS monitor raises alarms on the housekeeping thread while the REST API reads
// them on its own threads.
class Alarms {
 public:
  using Publish = std::function<void(const MessagePtr&)>;
  static constexpr std::size_t kHistoryLimit = 1000;

  // `publish` routes a $SYS message; it is called without the registry's lock held.
  Alarms(const std::string& node, Publish publish);

  // Raises the alarm; false (and nothing published) when it is already active.
  bool activate(const std::string& name, const std::string& message,
                const std::string& details_json = "{}");
  // Clears the alarm into the history; false when it was not active.
  bool deactivate(const std::string& name);
  bool is_active(const std::string& name) const;

  // Active alarms in the order they were raised; cleared ones, most recent first.
  std::vector<Alarm> activated() const;
  std::vector<Alarm> deactivated() const;
  void clear_history();

 private:
  void publish(const std::string& suffix, const Alarm& alarm) const;

  std::string prefix_;  // "$SYS/brokers/<node>/alarms/"
  Publish publish_;
  mutable std::mutex mutex_;
  std::vector<Alarm> active_;
  std::deque<Alarm> history_;  // newest at the front, at most kHistoryLimit
};

}  // namespace gatemq::broker
