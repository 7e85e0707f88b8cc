// The CoAP gateway (RFC 7252 over UDP, coap.port 5683, on libcoap 4.3): devices publish with
// PUT/POST and subscribe with Observe under /mqtt/{topic} and /ps/{topic}, each client id a
// broker client with a real session.
#pragma once

#include <memory>

#include "core/gateway/gateway.hpp"
#include "gateways/coap/settings.hpp"

namespace gatemq::gateway::coap {

class CoapServer;

class CoapGateway final : public Gateway {
 public:
  CoapGateway(broker::Broker& broker, CoapSettings settings);
  ~CoapGateway() override;

  std::string_view name() const override { return "coap"; }
  void start() override;
  void stop() override;
  void close_connections(std::uint8_t reason_code) override;
  std::vector<std::string> listener_descriptions() const override;
  std::shared_ptr<const GatewayStats> stats() const override { return stats_; }

 private:
  std::shared_ptr<GatewayStats> stats_ = std::make_shared<GatewayStats>();
  std::shared_ptr<CoapServer> server_;
};

plugin::Descriptor describe();

}  // namespace gatemq::gateway::coap
