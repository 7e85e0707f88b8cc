// The node's plugins (core/plugin/plugin.hpp): loaded at start-up, and loaded, unloaded or
// reloaded while it runs (`gatemq ctl plugins load|unload|reload`, PUT
// /nodes/{node}/plugins/{plugin}/...). Which ones are loaded is kept in plugins.loaded_file
// (data/loaded_plugins) from the first change on, so a restart brings the same set back.
//
// Load, unload and reload are called from the management API's threads, never from an I/O
// worker: they wait for the workers to carry out the steps that must run there.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/config/settings.hpp"
#include "core/plugin/plugin.hpp"
#include "management/api.hpp"

namespace gatemq::app {

class PluginManager {
 public:
  // Fresh settings for a load or reload (the config files read again); none: the start-up ones.
  using SettingsSource = std::function<config::Settings()>;

  PluginManager(broker::Broker& broker, const plugin::Registry& registry,
                SettingsSource settings_source);
  ~PluginManager();
  PluginManager(const PluginManager&) = delete;
  PluginManager& operator=(const PluginManager&) = delete;

  // Before the workers run: the plugins listed in plugins.loaded_file, or without that file
  // every plugin whose section does not say `<prefix>enable = off`. Throws config::ConfigError
  // or std::runtime_error naming the key, address or file.
  void start_all();

  // Starts a compiled-in plugin that is not loaded, whatever its `enable` key says, from the
  // configuration as it is now on disk, and records it in plugins.loaded_file. Throws
  // plugin::NotFound, plugin::AlreadyLoaded, config::ConfigError (its section) or
  // std::runtime_error (an address that cannot be bound); nothing changes then.
  void load(const std::string& name);
  // Stops a loaded plugin: a gateway's listeners close and its clients are disconnected (MQTT
  // session rules apply: durable sessions stay). Throws plugin::NotFound or plugin::NotLoaded.
  void unload(const std::string& name);
  // Unload then load, to apply an edited section (listeners, topic templates, ...). The new
  // section is checked first: when it is bad, nothing changes and the error says why.
  void reload(const std::string& name);

  // Hot reload, in two steps so a bad section changes nothing: check() reads every loaded
  // plugin's section from `entries` (throws config::ConfigError naming the key), apply_live()
  // then hands each its section and returns the keys that took effect ("tcp.proto.up_topic").
  void check(const std::vector<config::RawEntry>& entries);
  std::vector<std::string> apply_live(const std::vector<config::RawEntry>& entries);

  std::vector<management::PluginView> plugins() const;
  std::vector<management::GatewayView> gateways() const;
  // "tcp-gateway:external on 0.0.0.0:8090" and the plugin's name, for the start-up log.
  std::vector<std::pair<std::string, std::string>> listener_descriptions() const;

  // Shutdown, on the housekeeping context: stop accepting, then close every connection.
  void stop_all();
  void close_all(std::uint8_t reason_code);

 private:
  struct Loaded {
    const plugin::Descriptor* descriptor;
    std::unique_ptr<plugin::Plugin> instance;
  };

  // Reads one plugin's section from `entries` and makes it, not started yet; nullptr when the
  // section turns it off. Throws config::ConfigError.
  std::unique_ptr<plugin::Plugin> make(const plugin::Descriptor& descriptor,
                                       const std::vector<config::RawEntry>& entries,
                                       bool log_ignored_keys);
  // The configuration as it is now (read again when there is a source), the plugin turned on.
  std::vector<config::RawEntry> entries_for_load(const plugin::Descriptor& descriptor,
                                                 bool read_again) const;
  bool is_loaded(const plugin::Descriptor& descriptor) const;
  // With change_mutex_ held: binds `instance` and adds it to the loaded ones; stops and
  // removes the loaded one of `descriptor`.
  void start(const plugin::Descriptor& descriptor, std::unique_ptr<plugin::Plugin> instance);
  void stop(const plugin::Descriptor& descriptor);
  // With change_mutex_ held: plugins.loaded_file lists the loaded plugins in load order.
  void save_loaded() const;
  // Runs `work` on the housekeeping context and waits for it, then waits until every worker
  // has run what was queued before (a gateway's stop posts its socket closes there).
  void on_workers_and_wait(std::function<void()> work);

  broker::Broker& broker_;
  const plugin::Registry& registry_;
  SettingsSource settings_source_;
  std::filesystem::path loaded_file_;
  mutable std::mutex mutex_;  // loaded_ (read by the API threads, changed by load/unload)
  std::vector<Loaded> loaded_;
  std::mutex change_mutex_;  // one load/unload/reload at a time
  bool shutting_down_ = false;
};

}  // namespace gatemq::app
