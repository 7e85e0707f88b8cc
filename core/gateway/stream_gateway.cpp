#include "core/gateway/stream_gateway.hpp"

#include <asio/post.hpp>

namespace gatemq::gateway {

StreamGateway::StreamGateway(broker::Broker& broker, std::string name,
                             std::vector<config::ListenerSettings> listeners)
    : broker_(broker), name_(std::move(name)), listener_settings_(std::move(listeners)) {}

std::string StreamGateway::listener_kind(const config::ListenerSettings& listener) const {
  // "tcp-gateway:external" and "tcp-gateway:ssl:external" in logs.
  return name_ + "-gateway" + (listener.kind == "tcp" ? "" : ":" + listener.kind);
}

broker::BacklogLimits StreamGateway::backlog_limits(
    const config::ListenerSettings& listener) const {
  const auto& zone = broker_.settings().zone(listener.zone);
  return broker::BacklogLimits::for_buffer(zone.max_output_buffer, zone.max_publisher_hold);
}

void StreamGateway::start() {
  for (const auto& settings : listener_settings_) {
    auto listener = std::make_shared<net::TcpListener>(broker_, settings, listener_kind(settings),
                                                       connection_factory(settings));
    listener->start();
    listeners_.push_back(std::move(listener));
  }
}

void StreamGateway::stop() {
  for (const auto& listener : listeners_) listener->stop();
}

void StreamGateway::close_connections(std::uint8_t reason_code) {
  for (const auto& listener : listeners_) listener->close_connections(reason_code);
}

void StreamGateway::for_each_connection(
    std::function<void(const std::shared_ptr<net::Connection>&)> visit) {
  asio::post(broker_.workers().housekeeping(), [listeners = listeners_, visit = std::move(visit)] {
    for (const auto& listener : listeners) listener->for_each_connection(visit);
  });
}

std::vector<std::string> StreamGateway::listener_descriptions() const {
  std::vector<std::string> descriptions;
  for (const auto& listener : listeners_) descriptions.push_back(listener->description());
  return descriptions;
}

}  // namespace gatemq::gateway
