// The running broker process: workers, broker core and listeners, started and stopped in order.
#pragma once

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "core/auth/access_control.hpp"
#include "core/broker/broker.hpp"
#include "core/broker/sys_publisher.hpp"
#include "core/broker/workers.hpp"
#include "core/config/settings.hpp"
#include "core/gateway/gateway.hpp"
#include "core/net/tcp_listener.hpp"

namespace gatemq::app {

class Server {
 public:
  Server(config::Settings settings, const gateway::Registry& gateways);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Reads every gateway's section, binds every listener; throws config::ConfigError or
  // std::runtime_error naming the key or listener that failed.
  void start();
  // Blocks until SIGINT/SIGTERM has been handled and every worker has finished.
  void run();

 private:
  void on_signal(int signal_number);
  void wait_for_reload();
  void wait_for_connections_to_close(std::chrono::steady_clock::time_point deadline);
  void finish_shutdown();

  std::unique_ptr<broker::Workers> workers_;
  // Before the broker: its hooks call into it until the broker is gone.
  std::unique_ptr<auth::AccessControl> access_control_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<broker::SysPublisher> sys_publisher_;
  void start_gateways();

  const gateway::Registry& registry_;
  std::vector<std::shared_ptr<net::TcpListener>> listeners_;
  std::vector<std::unique_ptr<gateway::Gateway>> gateways_;
  std::unique_ptr<asio::signal_set> signals_;
  std::unique_ptr<asio::signal_set> reload_signal_;  // SIGHUP
  std::unique_ptr<asio::steady_timer> drain_timer_;
  bool stopping_ = false;
};

}  // namespace gatemq::app
