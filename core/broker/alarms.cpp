#include "core/broker/alarms.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace gatemq::broker {

namespace {

std::int64_t unix_millis(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

}  // namespace

nlohmann::ordered_json alarm_json(const Alarm& alarm) {
  // Details come from our own code, but an unparsable string must not break the whole answer.
  auto details = nlohmann::ordered_json::parse(alarm.details, nullptr, false);
  if (details.is_discarded()) details = nlohmann::ordered_json::object();
  nlohmann::ordered_json json{{"name", alarm.name},
                              {"message", alarm.message},
                              {"details", std::move(details)},
                              {"activate_at", unix_millis(alarm.activate_at)}};
  if (alarm.deactivate_at) json["deactivate_at"] = unix_millis(*alarm.deactivate_at);
  return json;
}

Alarms::Alarms(const std::string& node, Publish publish)
    : prefix_("$SYS/brokers/" + node + "/alarms/"), publish_(std::move(publish)) {}

bool Alarms::activate(const std::string& name, const std::string& message,
                      const std::string& details_json) {
  Alarm alarm{name, message, details_json, std::chrono::system_clock::now(), std::nullopt};
  {
    std::lock_guard lock(mutex_);
    if (std::ranges::any_of(active_, [&](const Alarm& a) { return a.name == name; })) {
      return false;
    }
    active_.push_back(alarm);
  }
  spdlog::warn("alarm {} activated: {}", name, message);
  publish("alert", alarm);
  return true;
}

bool Alarms::deactivate(const std::string& name) {
  Alarm alarm;
  {
    std::lock_guard lock(mutex_);
    const auto found = std::ranges::find(active_, name, &Alarm::name);
    if (found == active_.end()) return false;
    alarm = std::move(*found);
    active_.erase(found);
    alarm.deactivate_at = std::chrono::system_clock::now();
    history_.push_front(alarm);
    if (history_.size() > kHistoryLimit) history_.pop_back();
  }
  spdlog::info("alarm {} cleared", name);
  publish("clear", alarm);
  return true;
}

bool Alarms::is_active(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return std::ranges::find(active_, name, &Alarm::name) != active_.end();
}

std::vector<Alarm> Alarms::activated() const {
  std::lock_guard lock(mutex_);
  return active_;
}

std::vector<Alarm> Alarms::deactivated() const {
  std::lock_guard lock(mutex_);
  return {history_.begin(), history_.end()};
}

void Alarms::clear_history() {
  std::lock_guard lock(mutex_);
  history_.clear();
}

void Alarms::publish(const std::string& suffix, const Alarm& alarm) const {
  if (publish_)
    publish_(make_message(prefix_ + suffix, alarm_json(alarm).dump(), 0, false, {}, ""));
}

}  // namespace gatemq::broker
