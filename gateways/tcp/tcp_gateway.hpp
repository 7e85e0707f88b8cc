// The TCP gateway: devices speaking the private length-prefixed framing on 8090 become broker
// clients publishing to tcp.proto.up_topic and subscribed to tcp.proto.dn_topic.
#pragma once

#include <memory>
#include <vector>

#include "core/gateway/stream_gateway.hpp"
#include "gateways/tcp/tcp_channel.hpp"

namespace gatemq::gateway::tcp {

// Reads the `tcp.` section; nullopt when `tcp.enable = off`.
std::optional<TcpGatewaySettings> read_settings(plugin::PluginConfig& config);

class TcpGateway final : public StreamGateway {
 public:
  TcpGateway(broker::Broker& broker, TcpGatewaySettings settings);

  // tcp.proto.up_topic, dn_topic, up_qos and dn_qos change without dropping devices.
  std::vector<std::string> apply_live(plugin::PluginConfig& config) override;

 private:
  net::ConnectionFactory connection_factory(const config::ListenerSettings& listener) override;

  TcpGatewaySettings settings_;
  std::shared_ptr<LiveTopics> topics_;  // shared with every channel
};

plugin::Descriptor describe();

}  // namespace gatemq::gateway::tcp
