// The LwM2M gateway (OMA LwM2M 1.0/1.1 over CoAP/UDP, lwm2m.port 5783, on the CoAP gateway's
// libcoap stack): each registered device is a broker client whose commands arrive as JSON on
// its command topic and whose answers, registrations and notifications are published as JSON.
#pragma once

#include <memory>

#include "core/gateway/gateway.hpp"
#include "core/gateway/live_value.hpp"
#include "gateways/lwm2m/settings.hpp"

namespace gatemq::gateway::lwm2m {

class Lwm2mServer;
class ObjectRegistry;

class Lwm2mGateway final : public Gateway {
 public:
  Lwm2mGateway(broker::Broker& broker, Lwm2mSettings settings,
               std::shared_ptr<const ObjectRegistry> registry);
  ~Lwm2mGateway() override;

  std::string_view name() const override { return "lwm2m"; }
  void start() override;
  void stop() override;
  void close_connections(std::uint8_t reason_code) override;
  // Reads lwm2m.xml_dir again: definitions added, changed or removed there apply to the next
  // command and answer, without dropping a device. Other lwm2m keys need `plugins reload`.
  std::vector<std::string> apply_live(plugin::PluginConfig& config) override;
  std::vector<std::string> listener_descriptions() const override;
  std::shared_ptr<const GatewayStats> stats() const override { return stats_; }

 private:
  broker::Broker& broker_;
  std::shared_ptr<GatewayStats> stats_ = std::make_shared<GatewayStats>();
  std::shared_ptr<LiveValue<ObjectRegistry>> registry_;
  std::shared_ptr<Lwm2mServer> server_;
};

plugin::Descriptor describe();

}  // namespace gatemq::gateway::lwm2m
