#include "gateways/stomp/stomp_gateway.hpp"

namespace gatemq::gateway::stomp {

std::optional<StompGatewaySettings> read_settings(plugin::PluginConfig& config) {
  StompGatewaySettings settings;
  const bool enabled = config.boolean("enable", true);
  settings.default_login = config.text("default_user.login", settings.default_login);
  settings.default_passcode = config.text("default_user.passcode", settings.default_passcode);
  settings.allow_anonymous = config.boolean("allow_anonymous", settings.allow_anonymous);
  auto& limits = settings.limits;
  limits.max_headers = config.number("frame.max_headers", limits.max_headers, 1000);
  limits.max_header_length = config.size("frame.max_header_length", limits.max_header_length);
  limits.max_body_length = config.size("frame.max_body_length", limits.max_body_length);
  settings.mountpoint = config.text("mountpoint", "");
  settings.idle_timeout = config.duration("idle_timeout", settings.idle_timeout);
  // stomp.listener.ssl = [ip:]port with stomp.listener.ssl.<option>: off unless set, with the
  // test certificates as default keyfile/certfile. Read before stomp.listener.<option>.
  config::ListenerSettings tls_prototype;
  tls_prototype.kind = "ssl";
  tls_prototype.name = "ssl";
  tls_prototype.acceptors = 4;
  tls_prototype.max_connections = 512;
  tls_prototype.tls = config::ssl_listener_defaults().tls;
  auto tls_listener = config.listener("listener.ssl", std::nullopt, tls_prototype);
  // The seed has one unnamed listener: stomp.listener = 61613 | off with stomp.listener.<option>.
  config::ListenerSettings listener;
  listener.name = "default";
  const auto address = config.listen_address("listener", "0.0.0.0:61613");
  listener.acceptors = static_cast<unsigned>(config.number("listener.acceptors", 4, 1024));
  listener.max_connections = config.number(
      "listener.max_connections", config.number("listener.max_clients", 512, 1u << 30), 1u << 30);
  listener.max_conn_rate = config.number("listener.max_conn_rate", 1000, 1u << 30);
  listener.zone = config.text("listener.zone", "external");
  if (address) {
    std::tie(listener.bind_address, listener.port) = *address;
    settings.listeners.push_back(listener);
  }
  if (tls_listener) settings.listeners.push_back(*tls_listener);
  config.finish();
  if (!enabled) return std::nullopt;
  return settings;
}

StompGateway::StompGateway(broker::Broker& broker, StompGatewaySettings settings)
    : StreamGateway(broker, "stomp", settings.listeners), settings_(std::move(settings)) {}

net::ConnectionFactory StompGateway::connection_factory(const config::ListenerSettings& listener) {
  std::shared_ptr<const ChannelContext> context = std::make_shared<ChannelContext>(
      ChannelContext{broker_, stats_, settings_, listener_kind(listener) + ":" + listener.name,
                     listener.zone, listener.send_timeout, backlog_limits(listener)});
  return [context](std::unique_ptr<net::Transport> transport) {
    return std::static_pointer_cast<net::Connection>(
        std::make_shared<StompChannel>(context, std::move(transport)));
  };
}

plugin::Descriptor describe() {
  return plugin::Descriptor{
      "emqx_stomp",
      plugin::Kind::Gateway,
      "STOMP 1.0/1.1/1.2 Gateway",
      "stomp.",
      {"stomp"},
      [](broker::Broker& broker, plugin::PluginConfig& config) -> std::unique_ptr<Gateway> {
        auto settings = read_settings(config);
        if (!settings) return nullptr;
        return std::make_unique<StompGateway>(broker, std::move(*settings));
      }};
}

}  // namespace gatemq::gateway::stomp
