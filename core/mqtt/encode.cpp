// Packets to bytes, for the connection's negotiated version.
#include <stdexcept>

#include "core/mqtt/codec.hpp"
#include "core/mqtt/properties.hpp"
#include "core/mqtt/wire.hpp"

namespace gatemq::mqtt {

namespace wire {
void put_string(std::string& out, std::string_view value) {
  if (value.size() > 0xFFFF) throw std::length_error("MQTT string longer than 65535 bytes");
  put_u16(out, static_cast<std::uint16_t>(value.size()));
  out.append(value);
}
}  // namespace wire

namespace {

using wire::put_string;
using wire::put_u16;
using wire::put_u8;

bool is_v5(ProtocolVersion version) {
  return version == ProtocolVersion::v5;
}

constexpr std::size_t kMaxRemainingLength = 268435455;

// A remaining length past 4 varint bytes cannot be written; better an exception than a stream
// the peer would misparse.
void check_remaining_length(std::size_t body_size) {
  if (body_size > kMaxRemainingLength) throw std::length_error("MQTT packet too large to encode");
}

void finish(std::string& out, std::uint8_t first_byte, const std::string& body) {
  check_remaining_length(body.size());
  put_u8(out, first_byte);
  wire::put_varint(out, static_cast<std::uint32_t>(body.size()));
  out.append(body);
}

// MQTT 3.x CONNACK return codes (3.1.1 table 3.1) for a v5 reason code.
std::uint8_t v3_connack_code(std::uint8_t reason) {
  switch (reason) {
    case rc::kSuccess:
      return 0;
    case rc::kUnsupportedProtocolVersion:
      return 1;
    case rc::kClientIdentifierNotValid:
      return 2;
    case rc::kBadUserNameOrPassword:
    case rc::kBadAuthenticationMethod:
      return 4;
    case rc::kNotAuthorized:
    case rc::kBanned:
      return 5;
    default:
      return 3;  // server unavailable
  }
}

void body_of(const Connect& p, ProtocolVersion, std::string& b) {
  const bool v5 = is_v5(p.version);
  put_string(b, p.version == ProtocolVersion::v31 ? "MQIsdp" : "MQTT");
  put_u8(b, static_cast<std::uint8_t>(p.version));
  std::uint8_t flags = p.clean_start ? 0x02 : 0;
  if (p.will) flags |= 0x04 | (p.will->qos << 3) | (p.will->retain ? 0x20 : 0);
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  put_u8(b, flags);
  put_u16(b, p.keep_alive);
  if (v5) write_properties(b, p.properties);
  put_string(b, p.client_id);
  if (p.will) {
    if (v5) write_properties(b, p.will->properties);
    put_string(b, p.will->topic);
    put_string(b, p.will->payload);
  }
  if (p.username) put_string(b, *p.username);
  if (p.password) put_string(b, *p.password);
}

void body_of(const Connack& p, ProtocolVersion version, std::string& b) {
  put_u8(b, p.session_present ? 1 : 0);
  if (is_v5(version)) {
    put_u8(b, p.reason_code);
    write_properties(b, p.properties);
  } else {
    put_u8(b, v3_connack_code(p.reason_code));
  }
}

template <PacketType Type>
void body_of(const Ack<Type>& p, ProtocolVersion version, std::string& b) {
  put_u16(b, p.packet_id);
  if (!is_v5(version)) return;
  const bool has_properties = p.properties != Properties{};
  if (p.reason_code == rc::kSuccess && !has_properties) return;  // spec 3.4.2.1
  put_u8(b, p.reason_code);
  if (has_properties) write_properties(b, p.properties);
}

void body_of(const Subscribe& p, ProtocolVersion version, std::string& b) {
  put_u16(b, p.packet_id);
  if (is_v5(version)) write_properties(b, p.properties);
  for (const auto& item : p.subscriptions) {
    put_string(b, item.filter);
    std::uint8_t options = item.options.qos;
    if (is_v5(version)) {
      if (item.options.no_local) options |= 0x04;
      if (item.options.retain_as_published) options |= 0x08;
      options |= item.options.retain_handling << 4;
    }
    put_u8(b, options);
  }
}

void body_of(const Suback& p, ProtocolVersion version, std::string& b) {
  put_u16(b, p.packet_id);
  if (is_v5(version)) write_properties(b, p.properties);
  for (auto code : p.reason_codes) put_u8(b, !is_v5(version) && code >= 0x80 ? 0x80 : code);
}

void body_of(const Unsubscribe& p, ProtocolVersion version, std::string& b) {
  put_u16(b, p.packet_id);
  if (is_v5(version)) write_properties(b, p.properties);
  for (const auto& filter : p.filters) put_string(b, filter);
}

void body_of(const Unsuback& p, ProtocolVersion version, std::string& b) {
  put_u16(b, p.packet_id);
  if (!is_v5(version)) return;
  write_properties(b, p.properties);
  for (auto code : p.reason_codes) put_u8(b, code);
}

void body_of(const Pingreq&, ProtocolVersion, std::string&) {}
void body_of(const Pingresp&, ProtocolVersion, std::string&) {}

template <class T>
void reason_and_properties(const T& p, ProtocolVersion version, std::string& b) {
  if (!is_v5(version)) return;
  const bool has_properties = p.properties != Properties{};
  if (p.reason_code == rc::kSuccess && !has_properties) return;  // spec 3.14.2.1, 3.15.2.1
  put_u8(b, p.reason_code);
  if (has_properties) write_properties(b, p.properties);
}
void body_of(const Disconnect& p, ProtocolVersion v, std::string& b) {
  reason_and_properties(p, v, b);
}
void body_of(const Auth& p, ProtocolVersion v, std::string& b) {
  reason_and_properties(p, v, b);
}

std::uint8_t fixed_flags(PacketType type) {
  return type == PacketType::Pubrel || type == PacketType::Subscribe ||
                 type == PacketType::Unsubscribe
             ? 0x02
             : 0x00;
}

std::uint8_t publish_first_byte(const PublishHeader& header) {
  return static_cast<std::uint8_t>((3 << 4) | (header.dup ? 0x08 : 0) | (header.qos << 1) |
                                   (header.retain ? 0x01 : 0));
}

std::size_t publish_body_size(std::string_view topic, const Properties& properties,
                              std::size_t payload_size, std::uint8_t qos, ProtocolVersion version) {
  return 2 + topic.size() + (qos > 0 ? 2 : 0) + (is_v5(version) ? properties_size(properties) : 0) +
         payload_size;
}

}  // namespace

void encode(const Packet& packet, ProtocolVersion version, std::string& out) {
  if (const auto* publish = std::get_if<Publish>(&packet)) {
    encode_publish({publish->dup, publish->qos, publish->retain, publish->packet_id},
                   publish->topic, publish->properties, publish->payload, version, out);
    return;
  }
  if (std::holds_alternative<Auth>(packet) && !is_v5(version)) return;  // no AUTH before v5
  std::string body;
  // The variant lists the packet types in wire order, starting at CONNECT = 1.
  const auto type = static_cast<std::uint8_t>(packet.index() + 1);
  std::visit(
      [&](const auto& value) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(value)>, Publish>) {
          body_of(value, version, body);
        }
      },
      packet);
  const auto packet_type = static_cast<PacketType>(type);
  finish(out, static_cast<std::uint8_t>((type << 4) | fixed_flags(packet_type)), body);
}

void encode_publish(const PublishHeader& header, std::string_view topic,
                    const Properties& properties, std::string_view payload, ProtocolVersion version,
                    std::string& out) {
  const auto body_size = publish_body_size(topic, properties, payload.size(), header.qos, version);
  check_remaining_length(body_size);
  const auto start = out.size();
  out.reserve(start + 5 + body_size);
  try {
    put_u8(out, publish_first_byte(header));
    wire::put_varint(out, static_cast<std::uint32_t>(body_size));
    put_string(out, topic);
    if (header.qos > 0) put_u16(out, header.packet_id);
    if (is_v5(version)) write_properties(out, properties);
  } catch (const std::length_error&) {
    out.resize(start);  // leave no half-written packet in a shared output buffer
    throw;
  }
  out.append(payload);
}

std::size_t encoded_publish_size(std::string_view topic, const Properties& properties,
                                 std::size_t payload_size, std::uint8_t qos,
                                 ProtocolVersion version) {
  const auto body = publish_body_size(topic, properties, payload_size, qos, version);
  return 1 + wire::varint_size(static_cast<std::uint32_t>(body)) + body;
}

}  // namespace gatemq::mqtt
