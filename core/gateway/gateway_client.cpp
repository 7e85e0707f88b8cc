#include "core/gateway/gateway_client.hpp"

#include <spdlog/spdlog.h>

#include "core/router/topic.hpp"

namespace gatemq::gateway {

GatewayClient::GatewayClient(broker::Broker& broker, GatewayStats& stats,
                             GatewayClientOptions options, std::string peer_host,
                             std::uint16_t peer_port)
    : broker_(broker), stats_(stats), options_(std::move(options)) {
  // Counted like MQTT connections, so shutdown waits for gateway devices to close too.
  broker_.counters().connections.fetch_add(1, std::memory_order_relaxed);
  info_.protocol = options_.gateway;
  info_.listener = options_.listener;
  info_.zone = options_.zone;
  info_.peer_host = std::move(peer_host);
  info_.peer_port = peer_port;
}

GatewayClient::~GatewayClient() {
  if (session_) disconnect(broker::CloseKind::Abnormal, "connection dropped");
  broker_.counters().connections.fetch_sub(1, std::memory_order_relaxed);
}

std::string GatewayClient::expand(std::string_view topic_template) const {
  return router::expand_placeholders(
      topic_template, router::PlaceholderValues{info_.client_id, info_.username.value_or(""),
                                                endpoint_, info_.peer_host});
}

GatewayClient::ConnectResult GatewayClient::connect(Connection connection,
                                                    std::shared_ptr<broker::SessionSink> sink) {
  info_.client_id = std::move(connection.client_id);
  info_.username = std::move(connection.username);
  endpoint_ = std::move(connection.endpoint);
  info_.clean_start = connection.clean_start;
  info_.keepalive = connection.keepalive;
  if (auto ban = broker_.find_ban(info_)) {
    stats_.auth_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{} {} gateway: refused, banned by {} ({})", info_.log_name(), options_.gateway,
                 ban->by, ban->reason);
    return ConnectResult::NotAuthorized;
  }
  if (!broker_.authenticate(info_, connection.password)) {
    stats_.auth_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{} {} gateway: authentication failed", info_.log_name(), options_.gateway);
    return ConnectResult::NotAuthorized;
  }
  info_.mountpoint = expand(options_.mountpoint);
  const auto& zone = broker_.settings().zone(options_.zone);

  broker::OpenSessionRequest request;
  request.client = info_;
  request.clean_start = connection.clean_start;
  request.session_expiry_seconds = connection.session_expiry_seconds;
  if (connection.will) {
    auto& will = *connection.will;
    const auto& message = *will.message;
    will.message = broker::make_message(router::apply_mountpoint(info_.mountpoint, message.topic),
                                        message.payload, message.qos, message.retain,
                                        message.properties, info_.client_id);
    request.will = std::move(will);
  }
  request.limits = broker::session_limits(zone);

  sink_ = sink.get();
  auto opened = broker_.open_session(std::move(request), std::move(sink));
  session_ = opened.session;
  stats_.connects.fetch_add(1, std::memory_order_relaxed);
  stats_.clients.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("{} connected through the {} gateway, session_present={}", info_.log_name(),
               options_.gateway, opened.session_present);
  broker_.hooks().client_connected(info_);
  return ConnectResult::Accepted;
}

bool GatewayClient::publish(std::string_view topic, std::string payload, std::uint8_t qos,
                            bool retain, const mqtt::Properties& properties) {
  const auto& limits = broker_.settings().zone(options_.zone).mqtt;
  if (!router::is_valid_topic_name(topic, limits.max_topic_levels) || topic.starts_with("$SYS/") ||
      !broker_.authorize(info_, broker::AclAction::Publish, topic)) {
    stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("{} may not publish to '{}'", info_.log_name(), topic);
    return false;
  }
  stats_.messages_up.fetch_add(1, std::memory_order_relaxed);
  broker_.publish(broker::make_message(router::apply_mountpoint(info_.mountpoint, topic),
                                       std::move(payload), qos, retain, properties,
                                       info_.client_id));
  return true;
}

std::uint8_t GatewayClient::subscribe(std::string_view filter, std::uint8_t qos,
                                      std::optional<std::uint32_t> subscription_id) {
  broker::SubscriptionRecord record;
  record.options.qos = qos;
  record.subscription_id = subscription_id;
  return broker_.subscribe(session_, info_, router::apply_mountpoint(info_.mountpoint, filter),
                           record);
}

std::optional<broker::MessagePtr> GatewayClient::read_retained(std::string_view topic) const {
  if (!broker_.authorize(info_, broker::AclAction::Subscribe, topic)) return std::nullopt;
  auto found = broker_.retained_messages(router::apply_mountpoint(info_.mountpoint, topic));
  return found.empty() ? broker::MessagePtr{} : std::move(found.front());
}

bool GatewayClient::unsubscribe(std::string_view filter) {
  return broker_.unsubscribe(session_, router::apply_mountpoint(info_.mountpoint, filter));
}

void GatewayClient::disconnect(broker::CloseKind kind, std::string_view reason) {
  if (!session_) return;
  auto session = std::move(session_);
  session_.reset();
  broker_.close_session(session, sink_, kind);
  stats_.clients.fetch_sub(1, std::memory_order_relaxed);
  spdlog::info("{} disconnected from the {} gateway: {}", info_.log_name(), options_.gateway,
               reason);
  broker_.hooks().client_disconnected(info_,
                                      kind == broker::CloseKind::Abnormal ? reason : "normal");
}

std::string_view GatewayClient::device_topic(std::string_view topic) const {
  return router::strip_mountpoint(info_.mountpoint, topic).value_or(topic);
}

}  // namespace gatemq::gateway
