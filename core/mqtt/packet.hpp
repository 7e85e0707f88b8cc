// MQTT control packets as plain values: what the codec produces from bytes and encodes back.
// One representation serves 3.1, 3.1.1 and 5.0; fields a version lacks are simply unused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gatemq::mqtt {

enum class ProtocolVersion : std::uint8_t { v31 = 3, v311 = 4, v5 = 5 };

enum class PacketType : std::uint8_t {
  Connect = 1,
  Connack = 2,
  Publish = 3,
  Puback = 4,
  Pubrec = 5,
  Pubrel = 6,
  Pubcomp = 7,
  Subscribe = 8,
  Suback = 9,
  Unsubscribe = 10,
  Unsuback = 11,
  Pingreq = 12,
  Pingresp = 13,
  Disconnect = 14,
  Auth = 15,
};

using UserProperties = std::vector<std::pair<std::string, std::string>>;

// Every MQTT 5.0 property (spec 2.2.2.2). Absent = not present on the wire.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;        // 0x01
  std::optional<std::uint32_t> message_expiry_interval;        // 0x02
  std::optional<std::string> content_type;                     // 0x03
  std::optional<std::string> response_topic;                   // 0x08
  std::optional<std::string> correlation_data;                 // 0x09 (binary)
  std::vector<std::uint32_t> subscription_identifiers;         // 0x0B (varint, repeatable in PUBLISH)
  std::optional<std::uint32_t> session_expiry_interval;        // 0x11
  std::optional<std::string> assigned_client_identifier;       // 0x12
  std::optional<std::uint16_t> server_keep_alive;              // 0x13
  std::optional<std::string> authentication_method;            // 0x15
  std::optional<std::string> authentication_data;              // 0x16 (binary)
  std::optional<std::uint8_t> request_problem_information;     // 0x17
  std::optional<std::uint32_t> will_delay_interval;            // 0x18
  std::optional<std::uint8_t> request_response_information;    // 0x19
  std::optional<std::string> response_information;             // 0x1A
  std::optional<std::string> server_reference;                 // 0x1C
  std::optional<std::string> reason_string;                    // 0x1F
  std::optional<std::uint16_t> receive_maximum;                // 0x21
  std::optional<std::uint16_t> topic_alias_maximum;            // 0x22
  std::optional<std::uint16_t> topic_alias;                    // 0x23
  std::optional<std::uint8_t> maximum_qos;                     // 0x24
  std::optional<std::uint8_t> retain_available;               // 0x25
  UserProperties user_properties;                              // 0x26 (repeatable, order kept)
  std::optional<std::uint32_t> maximum_packet_size;            // 0x27
  std::optional<std::uint8_t> wildcard_subscription_available; // 0x28
  std::optional<std::uint8_t> subscription_identifier_available; // 0x29
  std::optional<std::uint8_t> shared_subscription_available;   // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // v5 will properties
  bool operator==(const Will&) const = default;
};

struct Connect {
  ProtocolVersion version = ProtocolVersion::v311;
  bool clean_start = true;  // "clean session" in 3.x
  std::uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  Properties properties;
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  std::uint8_t reason_code = 0;  // v5 reason code; the encoder maps it to a 3.x return code
  Properties properties;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  bool dup = false;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string topic;  // may be empty in v5 when a topic alias is used
  std::uint16_t packet_id = 0;  // only for qos > 0
  Properties properties;
  std::string payload;
  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape.
template <PacketType Type>
struct Ack {
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = 0;
  Properties properties;
  bool operator==(const Ack&) const = default;
};
using Puback = Ack<PacketType::Puback>;
using Pubrec = Ack<PacketType::Pubrec>;
using Pubrel = Ack<PacketType::Pubrel>;
using Pubcomp = Ack<PacketType::Pubcomp>;

struct SubscriptionOptions {
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;  // 0, 1 or 2
  bool operator==(const SubscriptionOptions&) const = default;
};

struct TopicSubscription {
  std::string filter;
  SubscriptionOptions options;
  bool operator==(const TopicSubscription&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<TopicSubscription> subscriptions;
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::uint8_t> reason_codes;  // v5 codes; 3.x uses 0,1,2,0x80 (encoder maps >=0x80 to 0x80)
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string> filters;
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::uint8_t> reason_codes;  // v5 only; 3.x UNSUBACK has no payload
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  std::uint8_t reason_code = 0;
  Properties properties;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {
  std::uint8_t reason_code = 0;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

}  // namespace gatemq::mqtt
