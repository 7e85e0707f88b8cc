// An application message inside the broker: immutable once published and shared by reference,
// so a fan-out to many subscribers copies no payload.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/mqtt/packet.hpp"

namespace gatemq::broker {

using Clock = std::chrono::steady_clock;

struct Message {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  // Properties forwarded to subscribers: payload format, content type, response topic,
  // correlation data, user properties. Topic alias and subscription ids are per-hop, not here.
  mqtt::Properties properties;
  std::string publisher_id;  // client id of the publisher ("" for the broker itself)
  Clock::time_point received_at = Clock::now();
  std::optional<Clock::time_point> expires_at;  // from Message Expiry Interval

  bool expired(Clock::time_point now = Clock::now()) const {
    return expires_at && now >= *expires_at;
  }
  // Seconds left for the Message Expiry Interval sent onwards (at least 1 while not expired).
  std::optional<std::uint32_t> remaining_expiry(Clock::time_point now = Clock::now()) const;
};

using MessagePtr = std::shared_ptr<const Message>;

// Builds a broker message from a decoded PUBLISH, keeping only end-to-end properties.
MessagePtr make_message(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                        const mqtt::Properties& publish_properties, std::string publisher_id);

}  // namespace gatemq::broker
