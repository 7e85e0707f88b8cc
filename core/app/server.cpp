#include "core/app/server.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

#include "core/mqtt/reason_code.hpp"
#include "core/net/mqtt_listener.hpp"

namespace gatemq::app {

namespace {
// Connections get this long to say goodbye (flush DISCONNECT, detach sessions) on shutdown.
constexpr std::chrono::seconds kDrainLimit{5};
}  // namespace

Server::Server(config::Settings settings, const gateway::Registry& gateways) : registry_(gateways) {
  workers_ = std::make_unique<broker::Workers>(settings.node.workers);
  access_control_ = std::make_unique<auth::AccessControl>(settings);
  broker_ = std::make_unique<broker::Broker>(std::move(settings), *workers_);
  access_control_->install(broker_->hooks());
  sys_publisher_ =
      std::make_unique<broker::SysPublisher>(*broker_, workers_->housekeeping(), GATEMQ_VERSION);
}

Server::~Server() {
  workers_->stop();
  workers_->join();
  broker_->shutdown();
  // Handlers still queued on the contexts hold channels that refer to the broker: destroy the
  // contexts (and with them those handlers) while the broker is still alive.
  listeners_.clear();
  gateways_.clear();
  signals_.reset();
  reload_signal_.reset();
  drain_timer_.reset();
  sys_publisher_.reset();
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
  start_gateways();
  sys_publisher_->start();
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
  for (const auto& gateway : gateways_) {
    for (const auto& description : gateway->listener_descriptions()) {
      spdlog::info("listening: {} ({} gateway)", description, gateway->name());
    }
  }
  for (const auto& key : settings.ignored_keys) {
    spdlog::warn("config key '{}' is not supported yet and was ignored", key);
  }
  workers_->start();
}

void Server::start_gateways() {
  for (const auto& descriptor : registry_.descriptors()) {
    gateway::GatewayConfig config(descriptor.key_prefix, broker_->settings().section_entries);
    auto gateway = descriptor.create(*broker_, config);
    for (const auto& key : config.ignored()) {
      spdlog::warn("config key '{}' is not supported yet and was ignored", key);
    }
    if (!gateway) {
      spdlog::info("{} gateway is off ({}enable = off)", descriptor.name, descriptor.key_prefix);
      continue;
    }
    gateway->start();
    gateways_.push_back(std::move(gateway));
  }
}

void Server::run() {
  workers_->join();
}

// SIGHUP re-reads what can change without a restart: the ACL file (and empties ACL caches).
void Server::wait_for_reload() {
  reload_signal_->async_wait([this](const std::error_code& error, int) {
    if (error) return;
    try {
      access_control_->reload_acl();
      spdlog::warn("SIGHUP: reloaded {} ({} rules)", broker_->settings().acl.file,
                   access_control_->acl_rule_count());
    } catch (const std::exception& e) {
      spdlog::error("SIGHUP: ACL not reloaded, the old rules stay: {}", e.what());
    }
    wait_for_reload();
  });
}

void Server::on_signal(int signal_number) {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("received {}, shutting down: closing listeners and connections",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  for (const auto& listener : listeners_) listener->stop();
  for (const auto& gateway : gateways_) gateway->stop();
  for (const auto& listener : listeners_) {
    listener->close_connections(mqtt::rc::kServerShuttingDown);
  }
  for (const auto& gateway : gateways_) gateway->close_connections(mqtt::rc::kServerShuttingDown);
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
  broker_->shutdown();
  spdlog::info("stopped");
  workers_->stop();
}

}  // namespace gatemq::app
