// The running broker process: workers, broker core and listeners, started and stopped in order.
#pragma once

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/os_monitor.hpp"
#include "app/trace_sink.hpp"
#include "core/auth/access_control.hpp"
#include "core/broker/broker.hpp"
#include "core/broker/sys_publisher.hpp"
#include "core/broker/workers.hpp"
#include "core/config/settings.hpp"
#include "core/plugin/plugin.hpp"
#include "core/net/tcp_listener.hpp"
#include "management/http_server.hpp"

namespace gatemq::app {

class PluginManager;

class Server {
 public:
  // Reads the configuration again (file and environment) for a hot reload; throws
  // config::ConfigError. Without one, a reload re-reads only the ACL file.
  using SettingsSource = std::function<config::Settings()>;

  // `traces` is the logger's trace sink (setup_logging); without one, traces are unavailable.
  Server(config::Settings settings, const plugin::Registry& plugins,
         SettingsSource settings_source = {}, std::shared_ptr<TraceSink> traces = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the plugins, binds every listener; throws config::ConfigError or
  // std::runtime_error naming the key or listener that failed.
  void start();
  // Blocks until SIGINT/SIGTERM has been handled and every worker has finished.
  void run();

 private:
  void on_signal(int signal_number);
  void wait_for_reload();
  // SIGHUP and `gatemq ctl reload`: applies what can change live (acl_file rules, log.level)
  // and returns what it reloaded. Throws, keeping the old state, on a bad file. Any thread.
  std::vector<std::string> reload();
  management::AdminActions admin_actions();
  void wait_for_connections_to_close(std::chrono::steady_clock::time_point deadline);
  void finish_shutdown();

  std::unique_ptr<broker::Workers> workers_;
  // Before the broker: its hooks call into it until the broker is gone.
  std::unique_ptr<auth::AccessControl> access_control_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<broker::SysPublisher> sys_publisher_;
  std::unique_ptr<OsMonitor> os_monitor_;
  void start_management();

  const plugin::Registry& registry_;
  SettingsSource settings_source_;
  std::shared_ptr<TraceSink> traces_;
  std::mutex reload_mutex_;  // a SIGHUP and an API reload at once apply one after the other
  std::vector<std::shared_ptr<net::TcpListener>> listeners_;
  std::unique_ptr<PluginManager> plugins_;
  // The REST API on its own threads; stopped and joined before anything it reads goes away.
  std::unique_ptr<management::HttpServer> management_;
  std::unique_ptr<asio::signal_set> signals_;
  std::unique_ptr<asio::signal_set> reload_signal_;  // SIGHUP
  std::unique_ptr<asio::steady_timer> drain_timer_;
  bool stopping_ = false;
};

}  // namespace gatemq::app
