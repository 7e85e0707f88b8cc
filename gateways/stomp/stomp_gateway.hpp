// The STOMP gateway: STOMP 1.0/1.1/1.2 clients on 61613 publish and subscribe to MQTT topics.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/gateway/gateway.hpp"
#include "core/net/tcp_listener.hpp"
#include "gateways/stomp/stomp_channel.hpp"

namespace gatemq::gateway::stomp {

// Reads the `stomp.` section; nullopt when `stomp.enable = off`.
std::optional<StompGatewaySettings> read_settings(GatewayConfig& config);

class StompGateway final : public Gateway {
 public:
  StompGateway(broker::Broker& broker, StompGatewaySettings settings);

  std::string_view name() const override { return "stomp"; }
  void start() override;
  void stop() override;
  void close_connections(std::uint8_t reason_code) override;
  std::vector<std::string> listener_descriptions() const override;
  const GatewayStats& stats() const override { return *stats_; }

 private:
  broker::Broker& broker_;
  StompGatewaySettings settings_;
  std::shared_ptr<GatewayStats> stats_ = std::make_shared<GatewayStats>();
  std::vector<std::shared_ptr<net::TcpListener>> listeners_;
};

GatewayDescriptor describe();

}  // namespace gatemq::gateway::stomp
