// The STOMP gateway: STOMP 1.0/1.1/1.2 clients on 61613 publish and subscribe to MQTT topics.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/gateway/stream_gateway.hpp"
#include "gateways/stomp/stomp_channel.hpp"

namespace gatemq::gateway::stomp {

// Reads the `stomp.` section; nullopt when `stomp.enable = off`.
std::optional<StompGatewaySettings> read_settings(plugin::PluginConfig& config);

class StompGateway final : public StreamGateway {
 public:
  StompGateway(broker::Broker& broker, StompGatewaySettings settings);

 private:
  net::ConnectionFactory connection_factory(const config::ListenerSettings& listener) override;

  StompGatewaySettings settings_;
};

plugin::Descriptor describe();

}  // namespace gatemq::gateway::stomp
