#include "gateways/mqtt-sn/mqttsn_gateway.hpp"

#include "gateways/mqtt-sn/udp_endpoint.hpp"

namespace gatemq::gateway::mqttsn {

MqttSnGateway::MqttSnGateway(broker::Broker& broker, MqttSnSettings settings) {
  if (!settings.listening) return;  // mqtt.sn.port = off
  auto context = std::make_shared<const GatewayContext>(
      GatewayContext{broker, stats_, std::move(settings), "mqttsn-gateway:udp"});
  endpoint_ = std::make_shared<UdpEndpoint>(context, broker.workers().next());
}

MqttSnGateway::~MqttSnGateway() = default;

void MqttSnGateway::start() {
  if (!endpoint_) return;
  endpoint_->open();
  endpoint_->start();
}

void MqttSnGateway::stop() {
  if (endpoint_) endpoint_->stop();
}

void MqttSnGateway::close_connections(std::uint8_t) {
  if (endpoint_) endpoint_->close_connections();
}

std::vector<std::string> MqttSnGateway::listener_descriptions() const {
  if (!endpoint_) return {};
  return {endpoint_->description()};
}

plugin::Descriptor describe() {
  return plugin::Descriptor{
      "emqx_sn",
      plugin::Kind::Gateway,
      "MQTT-SN 1.2 Gateway",
      "mqtt.sn.",
      {"mqtt-sn"},
      [](broker::Broker& broker, plugin::PluginConfig& config) -> std::unique_ptr<Gateway> {
        auto settings = read_settings(config, broker.settings());
        if (!settings) return nullptr;
        return std::make_unique<MqttSnGateway>(broker, std::move(*settings));
      }};
}

}  // namespace gatemq::gateway::mqttsn
