#include "app/server.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>

#include "app/logging.hpp"
#include "app/plugin_manager.hpp"
#include "core/config/config.hpp"
#include "core/mqtt/reason_code.hpp"
#include "core/net/mqtt_listener.hpp"

namespace gatemq::app {

namespace {
// Connections get this long to say goodbye (flush DISCONNECT, detach sessions) on shutdown.
constexpr std::chrono::seconds kDrainLimit{5};
}  // namespace

Server::Server(config::Settings settings, const plugin::Registry& plugins,
               SettingsSource settings_source, std::shared_ptr<TraceSink> traces)
    : registry_(plugins), settings_source_(std::move(settings_source)), traces_(std::move(traces)) {
  workers_ = std::make_unique<broker::Workers>(settings.node.workers);
  access_control_ = std::make_unique<auth::AccessControl>(settings);
  broker_ = std::make_unique<broker::Broker>(std::move(settings), *workers_);
  access_control_->install(broker_->hooks());
  sys_publisher_ =
      std::make_unique<broker::SysPublisher>(*broker_, workers_->housekeeping(), GATEMQ_VERSION);
  os_monitor_ = std::make_unique<OsMonitor>(*broker_, workers_->housekeeping());
  plugins_ = std::make_unique<PluginManager>(*broker_, registry_, settings_source_);
}

Server::~Server() {
  management_.reset();
  workers_->stop();
  workers_->join();
  broker_->shutdown();
  // Handlers still queued on the contexts hold channels that refer to the broker: destroy the
  // contexts (and with them those handlers) while the broker is still alive.
  listeners_.clear();
  plugins_.reset();
  signals_.reset();
  reload_signal_.reset();
  drain_timer_.reset();
  sys_publisher_.reset();
  os_monitor_.reset();
  workers_.reset();
  broker_.reset();
  access_control_.reset();
}

void Server::start() {
  const auto& settings = broker_->settings();
  // Signals first: once a listener is bound, a client (or a test) may already see the broker up
  // and send SIGTERM, which must mean a clean shutdown, never the default of dying at once.
  auto& housekeeping = workers_->housekeeping();
  signals_ = std::make_unique<asio::signal_set>(housekeeping, SIGINT, SIGTERM);
  signals_->async_wait([this](const std::error_code& error, int signal_number) {
    if (!error) on_signal(signal_number);
  });
  reload_signal_ = std::make_unique<asio::signal_set>(housekeeping, SIGHUP);
  wait_for_reload();
  for (const auto& listener_settings : settings.listeners) {
    auto listener = net::make_mqtt_listener(*broker_, listener_settings);
    listener->start();
    listeners_.push_back(std::move(listener));
  }
  plugins_->start_all();
  start_management();
  sys_publisher_->start();
  os_monitor_->start();
  drain_timer_ = std::make_unique<asio::steady_timer>(housekeeping);

  // Logged before the workers run, so the lines are out before the first client is served.
  spdlog::info("gatemq {} started as {} with {} I/O worker(s)", GATEMQ_VERSION, settings.node.name,
               workers_->size());
  for (const auto& listener : listeners_) {
    const auto& ls = listener->settings();
    spdlog::info("listening: {} (zone {}, max_connections {}, max_conn_rate {}/s{})",
                 listener->description(), ls.zone, ls.max_connections, ls.max_conn_rate,
                 ls.mountpoint.empty() ? "" : ", mountpoint " + ls.mountpoint);
  }
  for (const auto& [description, plugin] : plugins_->listener_descriptions()) {
    spdlog::info("listening: {} (plugin {})", description, plugin);
  }
  if (management_) spdlog::info("listening: {} (REST API)", management_->description());
  for (const auto& key : settings.ignored_keys) {
    spdlog::warn("config key '{}' is not supported yet and was ignored", key);
  }
  workers_->start();
}

void Server::start_management() {
  const auto& settings = broker_->settings().management;
  if (!settings.enabled) {
    spdlog::info("management API is off (management.listener.http = off)");
    return;
  }
  management::ApiContext context;
  context.broker = broker_.get();
  context.version = GATEMQ_VERSION;
  for (const auto& listener : listeners_) {
    const auto& ls = listener->settings();
    const auto kind = listener->name().substr(0, listener->name().find(':'));
    context.listeners.push_back(management::ListenerView{
        "mqtt:" + kind, ls.bind_address + ":" + std::to_string(listener->bound_port()),
        ls.max_connections, [listener] { return listener->live_connections(); }});
  }
  context.gateways = [plugins = plugins_.get()] { return plugins->gateways(); };
  context.plugins = [plugins = plugins_.get()] { return plugins->plugins(); };
  context.admin = admin_actions();
  context.listeners.push_back(management::ListenerView{
      "http:management", settings.address + ":" + std::to_string(settings.port), 0, nullptr});
  management_ = std::make_unique<management::HttpServer>(settings, std::move(context));
  management_->start();
}

void Server::run() {
  workers_->join();
  // The workers are done: the API stops taking requests (it was told to in on_signal) and its
  // threads are joined here, off the I/O threads.
  if (management_) management_->stop();
  management_.reset();
}

// SIGHUP re-reads what can change without a restart, as `gatemq ctl reload` does.
void Server::wait_for_reload() {
  reload_signal_->async_wait([this](const std::error_code& error, int) {
    if (error) return;
    try {
      reload();
      spdlog::warn("SIGHUP: reloaded {} ({} rules)", broker_->settings().acl.file,
                   access_control_->acl_rule_count());
    } catch (const config::ConfigError& e) {
      spdlog::error("SIGHUP: configuration not reloaded, the old settings stay: {}", e.what());
    } catch (const std::exception& e) {
      spdlog::error("SIGHUP: ACL not reloaded, the old rules stay: {}", e.what());
    }
    wait_for_reload();
  });
}

std::vector<std::string> Server::reload() {
  std::lock_guard lock(reload_mutex_);
  std::vector<std::string> reloaded;
  // Read and check everything before changing anything, so a bad file changes nothing.
  std::optional<config::Settings> fresh;
  if (settings_source_) fresh = settings_source_();
  // Plugin sections and credentials first: like the settings, they are fully checked before
  // anything changes.
  if (fresh) plugins_->check(fresh->section_entries);
  if (fresh) {
    access_control_->reload_credentials(*fresh);
    reloaded.push_back("auth");
  }
  // Start-up takes a missing default etc/acl.conf as "no rules" but reload_acl() refuses any
  // missing file: without a file there is nothing to re-read, and the rest still reloads.
  std::error_code error;
  if (std::filesystem::exists(broker_->settings().acl.file, error)) {
    access_control_->reload_acl();
    reloaded.push_back("acl_file");
  }
  if (fresh) {
    set_log_level(fresh->log.level);
    reloaded.push_back("log.level");
    for (auto& key : plugins_->apply_live(fresh->section_entries)) {
      reloaded.push_back(std::move(key));
    }
  }
  std::string summary;
  for (const auto& what : reloaded) summary += (summary.empty() ? "" : ", ") + what;
  spdlog::info("reloaded: {}", summary);
  return reloaded;
}

management::AdminActions Server::admin_actions() {
  management::AdminActions actions;
  actions.reload_acl = [this] {
    std::lock_guard lock(reload_mutex_);
    access_control_->reload_acl();
    return access_control_->acl_rule_count();
  };
  actions.clean_acl_cache = [this](const std::string& client_id) {
    access_control_->forget(client_id);
  };
  actions.set_log_level = [](const std::string& level) { set_log_level(level); };
  actions.reload = [this] { return reload(); };
  actions.load_plugin = [this](const std::string& name) { plugins_->load(name); };
  actions.unload_plugin = [this](const std::string& name) { plugins_->unload(name); };
  actions.reload_plugin = [this](const std::string& name) { plugins_->reload(name); };
  if (traces_) {
    actions.start_trace = [this](const management::TraceView& trace) { traces_->start(trace); };
    actions.stop_trace = [this](const std::string& kind, const std::string& name) {
      return traces_->stop(kind, name);
    };
    actions.traces = [this] { return traces_->list(); };
  }
  return actions;
}

void Server::on_signal(int signal_number) {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("received {}, shutting down: closing listeners and connections",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  for (const auto& listener : listeners_) listener->stop();
  plugins_->stop_all();
  // Stops accepting without waiting (httplib's stop only closes its socket).
  if (management_) management_->stop();
  for (const auto& listener : listeners_) {
    listener->close_connections(mqtt::rc::kServerShuttingDown);
  }
  plugins_->close_all(mqtt::rc::kServerShuttingDown);
  // A second signal while draining stops at once.
  signals_->async_wait([this](const std::error_code& error, int) {
    if (!error) finish_shutdown();
  });
  wait_for_connections_to_close(std::chrono::steady_clock::now() + kDrainLimit);
}

void Server::wait_for_connections_to_close(std::chrono::steady_clock::time_point deadline) {
  const auto open = broker_->counters().connections.load();
  if (open == 0 || std::chrono::steady_clock::now() >= deadline) {
    if (open != 0) spdlog::warn("{} connection(s) did not close in time", open);
    finish_shutdown();
    return;
  }
  drain_timer_->expires_after(std::chrono::milliseconds(20));
  drain_timer_->async_wait([this, deadline](const std::error_code& error) {
    if (!error) wait_for_connections_to_close(deadline);
  });
}

void Server::finish_shutdown() {
  drain_timer_->cancel();
  signals_->cancel();
  reload_signal_->cancel();
  sys_publisher_->stop();
  os_monitor_->stop();
  broker_->shutdown();
  spdlog::info("stopped");
  workers_->stop();
}

}  // namespace gatemq::app
