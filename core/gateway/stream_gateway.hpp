// What every TCP-stream gateway (TCP framing, STOMP, ...) shares: its listeners, their start,
// stop and shutdown, the start-up descriptions and the per-gateway counters. A gateway supplies
// only the connection factory for each listener.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/broker/outbound_mailbox.hpp"
#include "core/gateway/gateway.hpp"
#include "core/net/tcp_listener.hpp"

namespace gatemq::gateway {

class StreamGateway : public Gateway {
 public:
  std::string_view name() const override { return name_; }
  void start() override;
  void stop() override;
  void close_connections(std::uint8_t reason_code) override;
  std::vector<std::string> listener_descriptions() const override;
  std::shared_ptr<const GatewayStats> stats() const override { return stats_; }

 protected:
  StreamGateway(broker::Broker& broker, std::string name,
                std::vector<config::ListenerSettings> listeners);
  // The connections of one listener ("<name>:<listener>" in logs).
  virtual net::ConnectionFactory connection_factory(const config::ListenerSettings& listener) = 0;
  // "tcp-gateway" for plain listeners, "tcp-gateway:ssl" for TLS ones: the listener's kind in
  // logs, before ":<listener name>".
  std::string listener_kind(const config::ListenerSettings& listener) const;
  // The output backlog limits of the listener's zone (max_output_buffer, max_publisher_hold).
  broker::BacklogLimits backlog_limits(const config::ListenerSettings& listener) const;
  // Posts `visit` of every live connection of every listener to the housekeeping context.
  void for_each_connection(std::function<void(const std::shared_ptr<net::Connection>&)> visit);

  broker::Broker& broker_;
  // Shared with the connections, which may outlive the gateway object at shutdown.
  std::shared_ptr<GatewayStats> stats_ = std::make_shared<GatewayStats>();

 private:
  std::string name_;
  std::vector<config::ListenerSettings> listener_settings_;
  std::vector<std::shared_ptr<net::TcpListener>> listeners_;
};

}  // namespace gatemq::gateway
