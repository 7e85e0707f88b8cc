#include "app/gateway_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <future>
#include <stdexcept>

#include "core/mqtt/reason_code.hpp"

namespace gatemq::app {

namespace {

// A step on the workers that does not finish in this time means the node is stopping (its
// workers no longer run handlers): the API call fails instead of hanging.
constexpr std::chrono::seconds kWorkerStepLimit{10};

// "mqtt-sn", "mqtt_sn" and "mqttsn" name the same plugin.
std::string normalized(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c != '-' && c != '_') out.push_back(c);
  }
  return out;
}

void wait_for(std::future<void>& done, const char* what) {
  if (done.wait_for(kWorkerStepLimit) != std::future_status::ready) {
    throw std::runtime_error(std::string("the node is shutting down: ") + what + " not finished");
  }
  done.get();  // rethrows what the step threw
}

}  // namespace

GatewayManager::GatewayManager(broker::Broker& broker, const gateway::Registry& registry,
                               SettingsSource settings_source)
    : broker_(broker), registry_(registry), settings_source_(std::move(settings_source)) {}

GatewayManager::~GatewayManager() = default;

const gateway::GatewayDescriptor& GatewayManager::descriptor(const std::string& name) const {
  const auto wanted = normalized(name);
  for (const auto& descriptor : registry_.descriptors()) {
    if (normalized(descriptor.name) == wanted) return descriptor;
  }
  std::lock_guard lock(mutex_);
  for (const auto& running : running_) {
    if (normalized(running.gateway->name()) != wanted) continue;
    for (const auto& descriptor : registry_.descriptors()) {
      if (descriptor.name == running.name) return descriptor;
    }
  }
  throw std::invalid_argument("no such plugin: " + name);
}

std::unique_ptr<gateway::Gateway> GatewayManager::make(const gateway::GatewayDescriptor& descriptor,
                                                       const std::vector<config::RawEntry>& entries,
                                                       bool log_ignored_keys) {
  gateway::GatewayConfig config(descriptor.key_prefix, entries);
  auto gateway = descriptor.create(broker_, config);
  if (log_ignored_keys) {
    for (const auto& key : config.ignored()) {
      spdlog::warn("config key '{}' is not supported yet and was ignored", key);
    }
  }
  return gateway;
}

std::vector<config::RawEntry> GatewayManager::entries_for_load(
    const gateway::GatewayDescriptor& descriptor) const {
  auto entries =
      settings_source_ ? settings_source_().section_entries : broker_.settings().section_entries;
  // Turned on whatever its `enable` key says: loading it is asking for it.
  entries.push_back({descriptor.key_prefix + "enable", "on", "plugins load"});
  return entries;
}

void GatewayManager::start_all() {
  for (const auto& descriptor : registry_.descriptors()) {
    auto gateway = make(descriptor, broker_.settings().section_entries, true);
    if (gateway) gateway->start();
    if (!gateway) {
      spdlog::info("{} gateway is off ({}enable = off)", descriptor.name, descriptor.key_prefix);
      continue;
    }
    std::lock_guard lock(mutex_);
    running_.push_back({descriptor.name, std::move(gateway)});
  }
}

void GatewayManager::load(const std::string& name) {
  const auto& found = descriptor(name);
  std::lock_guard change(change_mutex_);
  start(found, make(found, entries_for_load(found), false));
}

void GatewayManager::start(const gateway::GatewayDescriptor& found,
                           std::unique_ptr<gateway::Gateway> gateway) {
  const auto& name = found.name;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) throw std::runtime_error("the node is shutting down");
    for (const auto& running : running_) {
      if (running.name == found.name) {
        throw std::logic_error("plugin " + name + " is already running");
      }
    }
  }
  if (!gateway) throw std::runtime_error("plugin " + name + " did not start");
  // Binding happens on the housekeeping context, as at start-up, never on an API thread
  // racing the workers. Listeners bound before one that failed are closed again.
  on_workers_and_wait([&] {
    try {
      gateway->start();
    } catch (...) {
      gateway->stop();
      gateway->close_connections(mqtt::rc::kServerShuttingDown);
      throw;
    }
  });
  for (const auto& description : gateway->listener_descriptions()) {
    spdlog::info("listening: {} ({} gateway, loaded)", description, gateway->name());
  }
  std::lock_guard lock(mutex_);
  running_.push_back({found.name, std::move(gateway)});
}

void GatewayManager::unload(const std::string& name) {
  const auto& found = descriptor(name);
  std::lock_guard change(change_mutex_);
  stop(found, name);
}

void GatewayManager::stop(const gateway::GatewayDescriptor& found, const std::string& name) {
  std::unique_ptr<gateway::Gateway> gateway;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) throw std::runtime_error("the node is shutting down");
    auto it = std::find_if(running_.begin(), running_.end(),
                           [&](const Running& running) { return running.name == found.name; });
    if (it == running_.end()) throw std::logic_error("plugin " + name + " is not running");
    gateway = std::move(it->gateway);
    running_.erase(it);
  }
  // Its clients see what a shutting-down broker tells them; their sessions follow the usual
  // rules (durable ones wait for the next connection).
  on_workers_and_wait([&] {
    gateway->stop();
    gateway->close_connections(mqtt::rc::kServerShuttingDown);
  });
  spdlog::info("{} gateway unloaded: listeners closed, clients disconnected", gateway->name());
  // Connections still closing hold what they use by shared pointer; the gateway object can go.
}

void GatewayManager::reload(const std::string& name) {
  const auto& found = descriptor(name);
  std::lock_guard change(change_mutex_);
  // The new section is read and checked before anyone is dropped: a bad one changes nothing.
  auto fresh = make(found, entries_for_load(found), false);
  bool running = false;
  {
    std::lock_guard lock(mutex_);
    running = std::any_of(running_.begin(), running_.end(),
                          [&](const Running& r) { return r.name == found.name; });
  }
  if (running) stop(found, name);
  start(found, std::move(fresh));
}

void GatewayManager::on_workers_and_wait(std::function<void()> work) {
  auto& workers = broker_.workers();
  std::promise<void> step;
  auto done = step.get_future();
  asio::post(workers.housekeeping(), [&step, &work] {
    try {
      work();
      step.set_value();
    } catch (...) {
      step.set_exception(std::current_exception());
    }
  });
  wait_for(done, "the gateway step");
  // What the step posted to other workers (socket closes) runs before these markers; two rounds
  // cover a close that posts once more.
  for (int round = 0; round < 2; ++round) {
    std::vector<std::promise<void>> markers(workers.size());
    std::vector<std::future<void>> reached;
    for (std::size_t i = 0; i < workers.size(); ++i) {
      reached.push_back(markers[i].get_future());
      asio::post(workers.at(i), [&marker = markers[i]] { marker.set_value(); });
    }
    for (auto& marker : reached) wait_for(marker, "a worker");
  }
}

void GatewayManager::check(const std::vector<config::RawEntry>& entries) {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (const auto& running : running_) names.push_back(running.name);
  }
  // Making a gateway reads and checks its whole section; nothing is bound.
  for (const auto& name : names) make(descriptor(name), entries, false);
}

std::vector<std::string> GatewayManager::apply_live(const std::vector<config::RawEntry>& entries) {
  std::lock_guard change(change_mutex_);
  std::lock_guard lock(mutex_);
  std::vector<std::string> applied;
  for (const auto& running : running_) {
    for (const auto& descriptor : registry_.descriptors()) {
      if (descriptor.name != running.name) continue;
      gateway::GatewayConfig config(descriptor.key_prefix, entries);
      for (auto& key : running.gateway->apply_live(config)) applied.push_back(std::move(key));
    }
  }
  return applied;
}

std::vector<management::PluginView> GatewayManager::plugins() const {
  std::lock_guard lock(mutex_);
  std::vector<management::PluginView> list;
  for (const auto& descriptor : registry_.descriptors()) {
    auto running = std::find_if(running_.begin(), running_.end(),
                                [&](const Running& r) { return r.name == descriptor.name; });
    const std::string name =
        running != running_.end() ? std::string(running->gateway->name()) : descriptor.name;
    list.push_back({name, name + " gateway", running != running_.end()});
  }
  return list;
}

std::vector<management::GatewayView> GatewayManager::running() const {
  std::lock_guard lock(mutex_);
  std::vector<management::GatewayView> list;
  for (const auto& running : running_) {
    list.push_back({std::string(running.gateway->name()), running.gateway->listener_descriptions(),
                    running.gateway->stats()});
  }
  return list;
}

std::vector<std::pair<std::string, std::string>> GatewayManager::listener_descriptions() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> list;
  for (const auto& running : running_) {
    for (auto& description : running.gateway->listener_descriptions()) {
      list.emplace_back(std::move(description), std::string(running.gateway->name()));
    }
  }
  return list;
}

void GatewayManager::stop_all() {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  for (const auto& running : running_) running.gateway->stop();
}

void GatewayManager::close_all(std::uint8_t reason_code) {
  std::lock_guard lock(mutex_);
  for (const auto& running : running_) running.gateway->close_connections(reason_code);
}

}  // namespace gatemq::app
