#include "gateways/tcp/tcp_gateway.hpp"

namespace gatemq::gateway::tcp {

std::optional<TcpGatewaySettings> read_settings(GatewayConfig& config) {
  TcpGatewaySettings settings;
  const bool enabled = config.boolean("enable", true);
  settings.up_topic = config.text("proto.up_topic", settings.up_topic);
  settings.dn_topic = config.text("proto.dn_topic", settings.dn_topic);
  settings.idle_timeout = config.duration("proto.idle_timeout", settings.idle_timeout);
  settings.max_packet_size = config.size("proto.max_packet_size", settings.max_packet_size);
  if (settings.max_packet_size > kMaxPayload) settings.max_packet_size = kMaxPayload;
  settings.up_qos = static_cast<std::uint8_t>(config.number("proto.up_qos", 0, 2));
  settings.dn_qos = static_cast<std::uint8_t>(config.number("proto.dn_qos", 0, 2));
  settings.mountpoint = config.text("mountpoint", "");
  // TLS listeners come with the transports issue; the seed's keys load and are reported.
  config.ignore("listener.ssl.*");
  settings.listeners = config.tcp_listeners("listener", {{"external", "0.0.0.0:8090"}},
                                            "external");
  config.finish();
  if (!enabled) return std::nullopt;
  return settings;
}

TcpGateway::TcpGateway(broker::Broker& broker, TcpGatewaySettings settings)
    : broker_(broker), settings_(std::move(settings)) {}

void TcpGateway::start() {
  for (const auto& listener_settings : settings_.listeners) {
    auto context = std::make_shared<ChannelContext>(ChannelContext{
        broker_, stats_, settings_, "tcp-gateway:" + listener_settings.name,
        listener_settings.zone, listener_settings.send_timeout});
    std::shared_ptr<const ChannelContext> shared_context = std::move(context);
    auto factory = [shared_context](std::unique_ptr<net::Transport> transport) {
      return std::static_pointer_cast<net::Connection>(
          std::make_shared<TcpChannel>(shared_context, std::move(transport)));
    };
    auto listener = std::make_shared<net::TcpListener>(broker_, listener_settings, "tcp-gateway",
                                                       std::move(factory));
    listener->start();
    listeners_.push_back(std::move(listener));
  }
}

void TcpGateway::stop() {
  for (const auto& listener : listeners_) listener->stop();
}

void TcpGateway::close_connections(std::uint8_t reason_code) {
  for (const auto& listener : listeners_) listener->close_connections(reason_code);
}

std::vector<std::string> TcpGateway::listener_descriptions() const {
  std::vector<std::string> descriptions;
  for (const auto& listener : listeners_) descriptions.push_back(listener->description());
  return descriptions;
}

GatewayDescriptor describe() {
  return GatewayDescriptor{
      "tcp", "tcp.", [](broker::Broker& broker, GatewayConfig& config) -> std::unique_ptr<Gateway> {
        auto settings = read_settings(config);
        if (!settings) return nullptr;
        return std::make_unique<TcpGateway>(broker, std::move(*settings));
      }};
}

}  // namespace gatemq::gateway::tcp
