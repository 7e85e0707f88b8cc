// The MQTT-SN 1.2 gateway: devices on UDP (mqtt.sn.port, 1884) become broker clients with real
// sessions. One socket on one I/O worker serves every device, so a device that changes its
// address (NAT rebinding) is still found by its client id.
#pragma once

#include <memory>

#include "core/gateway/gateway.hpp"
#include "gateways/mqtt-sn/settings.hpp"

namespace gatemq::gateway::mqttsn {

class UdpEndpoint;

class MqttSnGateway final : public Gateway {
 public:
  MqttSnGateway(broker::Broker& broker, MqttSnSettings settings);
  ~MqttSnGateway() override;

  std::string_view name() const override { return "mqtt-sn"; }
  void start() override;
  void stop() override;
  void close_connections(std::uint8_t reason_code) override;
  std::vector<std::string> listener_descriptions() const override;
  std::shared_ptr<const GatewayStats> stats() const override { return stats_; }

 private:
  std::shared_ptr<GatewayStats> stats_ = std::make_shared<GatewayStats>();
  std::shared_ptr<UdpEndpoint> endpoint_;
};

plugin::Descriptor describe();

}  // namespace gatemq::gateway::mqttsn
