#include "core/net/mqtt_listener.hpp"

#include "core/net/mqtt_channel.hpp"

namespace gatemq::net {

std::shared_ptr<TcpListener> make_mqtt_listener(broker::Broker& broker,
                                                const config::ListenerSettings& settings) {
  auto context = std::make_shared<ChannelContext>();
  context->listener_name = settings.kind + ":" + settings.name;
  context->zone_name = settings.zone;
  context->mountpoint = settings.mountpoint;
  context->zone = broker.settings().zone(settings.zone);
  context->send_timeout = settings.send_timeout;
  context->send_timeout_close = settings.send_timeout_close;
  context->backlog = broker::BacklogLimits::for_buffer(context->zone.max_output_buffer,
                                                       context->zone.max_publisher_hold);
  for (const auto& limit : {settings.rate_limit, context->zone.conn_bytes_in}) {
    if (limit.enabled()) context->byte_limits.push_back(limit);
  }
  for (const auto& limit :
       {settings.max_publish_rate, context->zone.publish_limit, context->zone.conn_messages_in}) {
    if (limit.enabled()) context->publish_limits.push_back(limit);
  }
  if (settings.tls) {
    context->peer_cert_as_username = settings.tls->peer_cert_as_username;
    context->peer_cert_as_clientid = settings.tls->peer_cert_as_clientid;
  }
  std::shared_ptr<const ChannelContext> shared_context = std::move(context);
  auto factory = [&broker, shared_context](std::unique_ptr<Transport> transport) {
    return std::static_pointer_cast<Connection>(
        std::make_shared<MqttChannel>(broker, std::move(transport), shared_context));
  };
  return std::make_shared<TcpListener>(broker, settings, settings.kind, std::move(factory));
}

}  // namespace gatemq::net
