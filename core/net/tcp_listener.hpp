// One stream listener (MQTT's `listener.<tcp|ssl|ws|wss>.<name>`, a gateway's own): accepts
// connections, applies access rules and limits, runs the listener's transport layers (PROXY
// header, TLS, WebSocket) on the next I/O worker, then hands the result to the protocol's
// ConnectionFactory. Accept loops run on the housekeeping context.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/config/settings.hpp"
#include "core/net/access_rules.hpp"
#include "core/net/connection.hpp"
#include "core/net/transport_setup.hpp"

namespace gatemq::net {

class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  // `kind` names the protocol in logs: the listener kind for MQTT listeners ("ssl:external"), a
  // gateway's name for its own ("stomp-gateway:default").
  TcpListener(broker::Broker& broker, config::ListenerSettings settings, std::string kind,
              ConnectionFactory factory);

  // Loads TLS material, binds and starts accepting. Throws std::runtime_error naming the
  // listener and the address or file when the port cannot be bound (taken, no permission, bad
  // address) or a certificate, key or PSK file cannot be used.
  void start();
  // Stops accepting; connections already accepted stay up.
  void stop();
  // Closes every connection this listener accepted, connected or not (v5 clients get a
  // DISCONNECT with `reason_code`). Call on the housekeeping context, like the accept loops.
  void close_connections(std::uint8_t reason_code);
  // Calls `visit` with every live connection this listener accepted. On the housekeeping
  // context, like the accept loops.
  void for_each_connection(const std::function<void(const std::shared_ptr<Connection>&)>& visit);

  const config::ListenerSettings& settings() const { return settings_; }
  std::string name() const { return kind_ + ":" + settings_.name; }
  std::string description() const;  // "tcp:external on 0.0.0.0:1883"
  std::uint16_t bound_port() const { return bound_port_; }
  std::size_t live_connections() const { return live_->load(); }

 private:
  void accept_next();
  void on_accepted(const std::error_code& error, asio::ip::tcp::socket socket);
  bool take_rate_token();
  std::chrono::steady_clock::duration time_to_next_token() const;
  void apply_socket_options(asio::ip::tcp::socket& socket);
  // Creates the protocol connection over a ready transport (housekeeping context).
  void launch(std::unique_ptr<Transport> transport);

  broker::Broker& broker_;
  config::ListenerSettings settings_;
  std::string kind_;
  ConnectionFactory factory_;
  AccessRules access_;
  std::shared_ptr<const TransportLayers> layers_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer rate_timer_;
  std::uint16_t bound_port_ = 0;
  bool stopped_ = false;
  // Shared with every accepted transport's lease so the count survives the listener.
  std::shared_ptr<std::atomic<std::size_t>> live_ = std::make_shared<std::atomic<std::size_t>>(0);

  // Accepted channels, for shutdown; touched only on the housekeeping context.
  std::vector<std::weak_ptr<Connection>> connections_;

  // max_conn_rate token bucket (burst = one second's worth).
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_at_;
  std::chrono::steady_clock::time_point last_refusal_log_;
};

}  // namespace gatemq::net
