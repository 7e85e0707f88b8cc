// The node's gateways (gatemq's plugins): started with the node, and loaded, unloaded or reloaded
// while it runs (`gatemq ctl plugins load|unload|reload`, PUT /nodes/{node}/plugins/...).
//
// Load, unload and reload are called from the management API's threads, never from an I/O
// worker: they wait for the workers to carry out the steps that must run there.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/config/settings.hpp"
#include "core/gateway/gateway.hpp"
#include "management/api.hpp"

namespace gatemq::app {

class GatewayManager {
 public:
  // Fresh settings for a load or reload (the config file read again); none: the start-up ones.
  using SettingsSource = std::function<config::Settings()>;

  GatewayManager(broker::Broker& broker, const gateway::Registry& registry,
                 SettingsSource settings_source);
  ~GatewayManager();
  GatewayManager(const GatewayManager&) = delete;
  GatewayManager& operator=(const GatewayManager&) = delete;

  // Before the workers run: every gateway whose section does not say `<prefix>enable = off`.
  // Throws config::ConfigError or std::runtime_error naming the key or address.
  void start_all();

  // Starts a compiled-in gateway that is not running, whatever its `enable` key says, from the
  // configuration as it is now on disk. Throws std::invalid_argument (no such gateway),
  // std::logic_error (already running), config::ConfigError (its section) or
  // std::runtime_error (an address that cannot be bound); nothing changes then.
  void load(const std::string& name);
  // Stops a running gateway: its listeners close and its clients are disconnected (MQTT-style
  // session rules apply: durable sessions stay). Throws std::invalid_argument or
  // std::logic_error (not running).
  void unload(const std::string& name);
  // Unload then load, to apply an edited section (listeners, topic templates, ...). When the new
  // section is bad, the gateway stays unloaded and the error says why.
  void reload(const std::string& name);

  // Hot reload, in two steps so a bad section changes nothing: check() reads every running
  // gateway's section from `entries` (throws config::ConfigError naming the key), apply_live()
  // then hands each its section and returns the keys that took effect ("tcp.proto.up_topic").
  void check(const std::vector<config::RawEntry>& entries);
  std::vector<std::string> apply_live(const std::vector<config::RawEntry>& entries);

  std::vector<management::PluginView> plugins() const;
  std::vector<management::GatewayView> running() const;
  // "tcp-gateway:external on 0.0.0.0:8090" and the gateway's name, for the start-up log.
  std::vector<std::pair<std::string, std::string>> listener_descriptions() const;

  // Shutdown, on the housekeeping context: stop accepting, then close every connection.
  void stop_all();
  void close_all(std::uint8_t reason_code);

 private:
  struct Running {
    std::string name;
    std::unique_ptr<gateway::Gateway> gateway;
  };

  const gateway::GatewayDescriptor& descriptor(const std::string& name) const;
  // Reads one gateway's section from `entries` and makes it, not started yet; nullptr when the
  // section turns it off. Throws config::ConfigError.
  std::unique_ptr<gateway::Gateway> make(const gateway::GatewayDescriptor& descriptor,
                                         const std::vector<config::RawEntry>& entries,
                                         bool log_ignored_keys);
  // The configuration as it is now, with the gateway turned on.
  std::vector<config::RawEntry> entries_for_load(
      const gateway::GatewayDescriptor& descriptor) const;
  // With change_mutex_ held: binds `gateway` and adds it to the running ones; stops and
  // removes the running one of `descriptor`.
  void start(const gateway::GatewayDescriptor& descriptor,
             std::unique_ptr<gateway::Gateway> gateway);
  void stop(const gateway::GatewayDescriptor& descriptor, const std::string& name);
  // Runs `work` on the housekeeping context and waits for it, then waits until every worker
  // has run what was queued before (a gateway's stop posts its socket closes there).
  void on_workers_and_wait(std::function<void()> work);

  broker::Broker& broker_;
  const gateway::Registry& registry_;
  SettingsSource settings_source_;
  mutable std::mutex mutex_;  // running_ (read by the API threads, changed by load/unload)
  std::vector<Running> running_;
  std::mutex change_mutex_;  // one load/unload/reload at a time
  bool shutting_down_ = false;
};

}  // namespace gatemq::app
