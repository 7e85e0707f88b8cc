#include "core/broker/message.hpp"

#include <algorithm>

namespace gatemq::broker {

std::optional<std::uint32_t> Message::remaining_expiry(Clock::time_point now) const {
  if (!expires_at) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::seconds>(*expires_at - now).count();
  return static_cast<std::uint32_t>(std::max<long long>(left, 1));
}

MessagePtr make_message(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                        const mqtt::Properties& publish_properties, std::string publisher_id) {
  auto message = std::make_shared<Message>();
  message->topic = std::move(topic);
  message->payload = std::move(payload);
  message->qos = qos;
  message->retain = retain;
  message->publisher_id = std::move(publisher_id);
  auto& forwarded = message->properties;
  forwarded.payload_format_indicator = publish_properties.payload_format_indicator;
  forwarded.content_type = publish_properties.content_type;
  forwarded.response_topic = publish_properties.response_topic;
  forwarded.correlation_data = publish_properties.correlation_data;
  forwarded.user_properties = publish_properties.user_properties;
  if (publish_properties.message_expiry_interval) {
    message->expires_at =
        message->received_at + std::chrono::seconds(*publish_properties.message_expiry_interval);
  }
  return message;
}

}  // namespace gatemq::broker
