#include "gateways/coap/coap_gateway.hpp"

#include "gateways/coap/coap_server.hpp"

namespace gatemq::gateway::coap {

CoapGateway::CoapGateway(broker::Broker& broker, CoapSettings settings) {
  auto context = std::make_shared<const GatewayContext>(
      GatewayContext{broker, stats_, std::move(settings), "coap-gateway:udp"});
  // One libcoap context, used only from this worker's thread.
  server_ = std::make_shared<CoapServer>(context, broker.workers().next());
}

CoapGateway::~CoapGateway() = default;

void CoapGateway::start() {
  server_->open();
  server_->start();
}

void CoapGateway::stop() {
  server_->stop();
}

void CoapGateway::close_connections(std::uint8_t) {
  server_->close_connections();
}

std::vector<std::string> CoapGateway::listener_descriptions() const {
  return {server_->description()};
}

plugin::Descriptor describe() {
  return plugin::Descriptor{
      "emqx_coap",
      plugin::Kind::Gateway,
      "CoAP Gateway",
      "coap.",
      {"coap"},
      [](broker::Broker& broker, plugin::PluginConfig& config) -> std::unique_ptr<Gateway> {
        auto settings = read_settings(config, broker.settings());
        if (!settings) return nullptr;
        return std::make_unique<CoapGateway>(broker, std::move(*settings));
      }};
}

}  // namespace gatemq::gateway::coap
