#include "gateways/tcp/tcp_gateway.hpp"

namespace gatemq::gateway::tcp {

std::optional<TcpGatewaySettings> read_settings(plugin::PluginConfig& config) {
  TcpGatewaySettings settings;
  const bool enabled = config.boolean("enable", true);
  auto& topics = settings.topics;
  topics.up_topic = config.text("proto.up_topic", topics.up_topic);
  topics.dn_topic = config.text("proto.dn_topic", topics.dn_topic);
  settings.idle_timeout = config.duration("proto.idle_timeout", settings.idle_timeout);
  settings.max_packet_size = config.size("proto.max_packet_size", settings.max_packet_size);
  if (settings.max_packet_size > kMaxPayload) settings.max_packet_size = kMaxPayload;
  topics.up_qos = static_cast<std::uint8_t>(config.number("proto.up_qos", 0, 2));
  topics.dn_qos = static_cast<std::uint8_t>(config.number("proto.dn_qos", 0, 2));
  settings.mountpoint = config.text("mountpoint", "");
  // tcp.listener.ssl.<name>: TLS listeners, read before their parent group tcp.listener.<name>.
  // The seed's ssl:external on 8091 starts with the test certificates, like MQTT's 8883.
  config::ListenerSettings tls_prototype;
  tls_prototype.kind = "ssl";
  tls_prototype.tls = config::ssl_listener_defaults().tls;
  settings.listeners =
      config.listeners("listener.ssl", {{"external", "0.0.0.0:8091"}}, "external", tls_prototype);
  auto plain = config.listeners("listener", {{"external", "0.0.0.0:8090"}}, "external");
  settings.listeners.insert(settings.listeners.begin(), plain.begin(), plain.end());
  config.finish();
  if (!enabled) return std::nullopt;
  return settings;
}

TcpGateway::TcpGateway(broker::Broker& broker, TcpGatewaySettings settings)
    : StreamGateway(broker, "tcp", settings.listeners),
      settings_(std::move(settings)),
      topics_(std::make_shared<LiveTopics>(settings_.topics)) {}

std::vector<std::string> TcpGateway::apply_live(plugin::PluginConfig& config) {
  auto fresh = read_settings(config);
  if (!fresh) return {};  // `enable` matters at start-up and load only
  const auto current = topics_->get();
  const auto& next = fresh->topics;
  std::vector<std::string> changed;
  if (next.up_topic != current->up_topic) changed.push_back("tcp.proto.up_topic");
  if (next.dn_topic != current->dn_topic) changed.push_back("tcp.proto.dn_topic");
  if (next.up_qos != current->up_qos) changed.push_back("tcp.proto.up_qos");
  if (next.dn_qos != current->dn_qos) changed.push_back("tcp.proto.dn_qos");
  if (changed.empty()) return changed;
  topics_->set(next);
  // Devices publish with the new templates at once; their down subscriptions move on their
  // own threads.
  for_each_connection([](const std::shared_ptr<net::Connection>& connection) {
    if (auto channel = std::dynamic_pointer_cast<TcpChannel>(connection)) channel->topics_changed();
  });
  return changed;
}

net::ConnectionFactory TcpGateway::connection_factory(const config::ListenerSettings& listener) {
  std::shared_ptr<const ChannelContext> context = std::make_shared<ChannelContext>(ChannelContext{
      broker_, stats_, settings_, topics_, listener_kind(listener) + ":" + listener.name,
      listener.zone, listener.send_timeout, backlog_limits(listener)});
  return [context](std::unique_ptr<net::Transport> transport) {
    return std::static_pointer_cast<net::Connection>(
        std::make_shared<TcpChannel>(context, std::move(transport)));
  };
}

plugin::Descriptor describe() {
  return plugin::Descriptor{
      "emqx_tcp",
      plugin::Kind::Gateway,
      "TCP Gateway (the private length-prefixed framing)",
      "tcp.",
      {"tcp"},
      [](broker::Broker& broker, plugin::PluginConfig& config) -> std::unique_ptr<Gateway> {
        auto settings = read_settings(config);
        if (!settings) return nullptr;
        return std::make_unique<TcpGateway>(broker, std::move(*settings));
      }};
}

}  // namespace gatemq::gateway::tcp
