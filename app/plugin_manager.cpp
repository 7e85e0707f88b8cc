#include "app/plugin_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <future>
#include <stdexcept>

#include "core/gateway/gateway.hpp"
#include "core/mqtt/reason_code.hpp"
#include "core/plugin/loaded_file.hpp"

namespace gatemq::app {

namespace {

// A step on the workers that does not finish in this time means the node is stopping (its
// workers no longer run handlers): the API call fails instead of hanging.
constexpr std::chrono::seconds kWorkerStepLimit{10};

void wait_for(std::future<void>& done, const char* what) {
  if (done.wait_for(kWorkerStepLimit) != std::future_status::ready) {
    throw std::runtime_error(std::string("the node is shutting down: ") + what + " not finished");
  }
  done.get();  // rethrows what the step threw
}

}  // namespace

PluginManager::PluginManager(broker::Broker& broker, const plugin::Registry& registry,
                             SettingsSource settings_source)
    : broker_(broker),
      registry_(registry),
      settings_source_(std::move(settings_source)),
      loaded_file_(broker.settings().plugins.loaded_file) {}

PluginManager::~PluginManager() = default;

std::unique_ptr<plugin::Plugin> PluginManager::make(const plugin::Descriptor& descriptor,
                                                    const std::vector<config::RawEntry>& entries,
                                                    bool log_ignored_keys) {
  plugin::PluginConfig config(descriptor.key_prefix, entries);
  auto instance = descriptor.create(broker_, config);
  if (log_ignored_keys) {
    for (const auto& key : config.ignored()) {
      spdlog::warn("config key '{}' is not supported yet and was ignored", key);
    }
  }
  return instance;
}

std::vector<config::RawEntry> PluginManager::entries_for_load(const plugin::Descriptor& descriptor,
                                                              bool read_again) const {
  auto entries = read_again && settings_source_ ? settings_source_().section_entries
                                                : broker_.settings().section_entries;
  // Turned on whatever its `enable` key says: loading it is asking for it.
  entries.push_back({descriptor.key_prefix + "enable", "on", "plugins load"});
  return entries;
}

bool PluginManager::is_loaded(const plugin::Descriptor& descriptor) const {
  std::lock_guard lock(mutex_);
  return std::any_of(loaded_.begin(), loaded_.end(),
                     [&](const Loaded& loaded) { return loaded.descriptor == &descriptor; });
}

void PluginManager::start_all() {
  const auto listed = plugin::read_loaded_file(loaded_file_);
  if (listed) spdlog::info("loading the plugins listed in {}", loaded_file_.string());
  for (const auto& descriptor : registry_.descriptors()) {
    std::unique_ptr<plugin::Plugin> instance;
    if (!listed) {
      instance = make(descriptor, broker_.settings().section_entries, true);
    } else if (std::find(listed->begin(), listed->end(), descriptor.name) != listed->end()) {
      instance = make(descriptor, entries_for_load(descriptor, false), true);
    }
    if (!instance) {
      spdlog::info(
          "plugin {} is not loaded ({})", descriptor.name,
          listed ? "not in " + loaded_file_.string() : descriptor.key_prefix + "enable = off");
      continue;
    }
    instance->start();
    std::lock_guard lock(mutex_);
    loaded_.push_back({&descriptor, std::move(instance)});
  }
  if (!listed) return;
  for (const auto& name : *listed) {
    try {
      registry_.find(name);
    } catch (const plugin::NotFound&) {
      spdlog::error("{} lists {}, which this build does not have", loaded_file_.string(), name);
    }
  }
}

void PluginManager::load(const std::string& name) {
  const auto& found = registry_.find(name);
  std::lock_guard change(change_mutex_);
  if (is_loaded(found)) throw plugin::AlreadyLoaded("plugin " + found.name + " is already loaded");
  start(found, make(found, entries_for_load(found, true), false));
  save_loaded();
}

void PluginManager::start(const plugin::Descriptor& found,
                          std::unique_ptr<plugin::Plugin> instance) {
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) throw std::runtime_error("the node is shutting down");
  }
  if (!instance) throw std::runtime_error("plugin " + found.name + " did not start");
  // Binding happens on the housekeeping context, as at start-up, never on an API thread
  // racing the workers. What was done before a failure is undone.
  on_workers_and_wait([&] {
    try {
      instance->start();
    } catch (...) {
      instance->stop();
      instance->close_connections(mqtt::rc::kServerShuttingDown);
      throw;
    }
  });
  for (const auto& description : instance->listener_descriptions()) {
    spdlog::info("listening: {} (plugin {}, loaded)", description, found.name);
  }
  spdlog::info("plugin {} loaded", found.name);
  std::lock_guard lock(mutex_);
  loaded_.push_back({&found, std::move(instance)});
}

void PluginManager::unload(const std::string& name) {
  const auto& found = registry_.find(name);
  std::lock_guard change(change_mutex_);
  stop(found);
  save_loaded();
}

void PluginManager::stop(const plugin::Descriptor& found) {
  std::unique_ptr<plugin::Plugin> instance;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) throw std::runtime_error("the node is shutting down");
    auto it = std::find_if(loaded_.begin(), loaded_.end(),
                           [&](const Loaded& loaded) { return loaded.descriptor == &found; });
    if (it == loaded_.end()) throw plugin::NotLoaded("plugin " + found.name + " is not loaded");
    instance = std::move(it->instance);
    loaded_.erase(it);
  }
  // A gateway's clients see what a shutting-down broker tells them; their sessions follow the
  // usual rules (durable ones wait for the next connection).
  on_workers_and_wait([&] {
    instance->stop();
    instance->close_connections(mqtt::rc::kServerShuttingDown);
  });
  spdlog::info("plugin {} unloaded", found.name);
  // Connections still closing hold what they use by shared pointer; the plugin object can go.
}

void PluginManager::reload(const std::string& name) {
  const auto& found = registry_.find(name);
  std::lock_guard change(change_mutex_);
  // The new section is read and checked before anyone is dropped: a bad one changes nothing.
  auto fresh = make(found, entries_for_load(found, true), false);
  const bool was_loaded = is_loaded(found);
  if (was_loaded) stop(found);
  start(found, std::move(fresh));
  if (!was_loaded) save_loaded();
}

void PluginManager::save_loaded() const {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (const auto& loaded : loaded_) names.push_back(loaded.descriptor->name);
  }
  // The change itself has happened; a file that cannot be written only loses it at restart.
  try {
    plugin::write_loaded_file(loaded_file_, names);
  } catch (const std::exception& e) {
    spdlog::error("the loaded plugins are not kept for the next start: {}", e.what());
  }
}

void PluginManager::on_workers_and_wait(std::function<void()> work) {
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
  wait_for(done, "the plugin step");
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

void PluginManager::check(const std::vector<config::RawEntry>& entries) {
  std::vector<const plugin::Descriptor*> descriptors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& loaded : loaded_) descriptors.push_back(loaded.descriptor);
  }
  // Making a plugin reads and checks its whole section; nothing is bound.
  for (const auto* descriptor : descriptors) make(*descriptor, entries, false);
}

std::vector<std::string> PluginManager::apply_live(const std::vector<config::RawEntry>& entries) {
  std::lock_guard change(change_mutex_);
  std::lock_guard lock(mutex_);
  std::vector<std::string> applied;
  for (const auto& loaded : loaded_) {
    plugin::PluginConfig config(loaded.descriptor->key_prefix, entries);
    for (auto& key : loaded.instance->apply_live(config)) applied.push_back(std::move(key));
  }
  return applied;
}

std::vector<management::PluginView> PluginManager::plugins() const {
  std::lock_guard lock(mutex_);
  std::vector<management::PluginView> list;
  for (const auto& descriptor : registry_.descriptors()) {
    const bool active = std::any_of(loaded_.begin(), loaded_.end(), [&](const Loaded& loaded) {
      return loaded.descriptor == &descriptor;
    });
    list.push_back({descriptor.name, descriptor.description,
                    std::string(plugin::type_name(descriptor.kind)), active});
  }
  return list;
}

std::vector<management::GatewayView> PluginManager::gateways() const {
  std::lock_guard lock(mutex_);
  std::vector<management::GatewayView> list;
  for (const auto& loaded : loaded_) {
    if (loaded.descriptor->kind != plugin::Kind::Gateway) continue;
    const auto& gateway = dynamic_cast<const gateway::Gateway&>(*loaded.instance);
    list.push_back({std::string(gateway.name()), loaded.descriptor->name,
                    gateway.listener_descriptions(), gateway.counters()});
  }
  return list;
}

std::vector<std::pair<std::string, std::string>> PluginManager::listener_descriptions() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> list;
  for (const auto& loaded : loaded_) {
    for (auto& description : loaded.instance->listener_descriptions()) {
      list.emplace_back(std::move(description), loaded.descriptor->name);
    }
  }
  return list;
}

void PluginManager::stop_all() {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  for (const auto& loaded : loaded_) loaded.instance->stop();
}

void PluginManager::close_all(std::uint8_t reason_code) {
  std::lock_guard lock(mutex_);
  for (const auto& loaded : loaded_) loaded.instance->close_connections(reason_code);
}

}  // namespace gatemq::app
