// The TCP gateway: devices speaking the private length-prefixed framing on 8090 become broker
// clients publishing to tcp.proto.up_topic and subscribed to tcp.proto.dn_topic.
#pragma once

#include <memory>
#include <vector>

#include "core/gateway/gateway.hpp"
#include "core/net/tcp_listener.hpp"
#include "gateways/tcp/tcp_channel.hpp"

namespace gatemq::gateway::tcp {

// Reads the `tcp.` section; nullopt when `tcp.enable = off`.
std::optional<TcpGatewaySettings> read_settings(GatewayConfig& config);

class TcpGateway final : public Gateway {
 public:
  TcpGateway(broker::Broker& broker, TcpGatewaySettings settings);

  std::string_view name() const override { return "tcp"; }
  void start() override;
  void stop() override;
  void close_connections(std::uint8_t reason_code) override;
  std::vector<std::string> listener_descriptions() const override;
  const GatewayStats& stats() const override { return *stats_; }

 private:
  broker::Broker& broker_;
  TcpGatewaySettings settings_;
  std::shared_ptr<GatewayStats> stats_ = std::make_shared<GatewayStats>();
  std::vector<std::shared_ptr<net::TcpListener>> listeners_;
};

GatewayDescriptor describe();

}  // namespace gatemq::gateway::tcp
