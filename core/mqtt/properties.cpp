#include "core/mqtt/properties.hpp"

#include <initializer_list>
#include <optional>
#include <utility>

namespace gatemq::mqtt {

namespace {

using wire::fail;

constexpr std::uint32_t in(std::initializer_list<PropertyContext> contexts) {
  std::uint32_t mask = 0;
  for (auto context : contexts) mask |= 1u << static_cast<unsigned>(context);
  return mask;
}

using C = PropertyContext;
constexpr std::uint32_t kMessage = in({C::Publish, C::Will});
constexpr std::uint32_t kAcks = in({C::Connack, C::Puback, C::Pubrec, C::Pubrel, C::Pubcomp,
                                    C::Suback, C::Unsuback, C::Disconnect, C::Auth});

// Packets each property identifier may appear in (spec table 2-4); 0 = unknown identifier.
std::uint32_t allowed_contexts(std::uint8_t id) {
  switch (id) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x08:
    case 0x09:
      return kMessage;
    case 0x0B:
      return in({C::Publish, C::Subscribe});
    case 0x11:
      return in({C::Connect, C::Connack, C::Disconnect});
    case 0x12:
    case 0x13:
    case 0x1A:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
      return in({C::Connack});
    case 0x15:
    case 0x16:
      return in({C::Connect, C::Connack, C::Auth});
    case 0x17:
    case 0x19:
      return in({C::Connect});
    case 0x18:
      return in({C::Will});
    case 0x1C:
      return in({C::Connack, C::Disconnect});
    case 0x1F:
      return kAcks;
    case 0x21:
    case 0x22:
    case 0x27:
      return in({C::Connect, C::Connack});
    case 0x23:
      return in({C::Publish});
    case 0x26:
      return 0xFFFFFFFFu;
    default:
      return 0;
  }
}

template <class T>
void set_once(std::optional<T>& field, T value) {
  if (field) fail(rc::kProtocolError, "property included more than once");
  field = std::move(value);
}

std::uint8_t flag_byte(wire::Reader& reader) {
  const auto value = reader.u8();
  if (value > 1) fail(rc::kProtocolError, "property value must be 0 or 1");
  return value;
}

std::uint16_t nonzero_u16(wire::Reader& reader) {
  const auto value = reader.u16();
  if (value == 0) fail(rc::kProtocolError, "property value must not be 0");
  return value;
}

}  // namespace

Properties read_properties(wire::Reader& reader, PropertyContext context) {
  const auto length = reader.varint();
  wire::Reader block(reader.bytes(length));
  Properties p;
  const auto context_bit = 1u << static_cast<unsigned>(context);
  while (!block.done()) {
    // Identifiers are Variable Byte Integers, but every defined one fits in one byte: a set
    // continuation bit is an unknown identifier or a non-minimal encoding, malformed either way.
    const auto id = block.u8();
    if ((id & 0x80) || !(allowed_contexts(id) & context_bit)) {
      fail(rc::kMalformedPacket, "property not allowed in this packet");
    }
    switch (id) {
      case 0x01:
        set_once(p.payload_format_indicator, flag_byte(block));
        break;
      case 0x02:
        set_once(p.message_expiry_interval, block.u32());
        break;
      case 0x03:
        set_once(p.content_type, block.utf8());
        break;
      case 0x08:
        set_once(p.response_topic, block.utf8());
        break;
      case 0x09:
        set_once(p.correlation_data, block.binary());
        break;
      case 0x0B: {
        const auto value = block.varint();
        if (value == 0) fail(rc::kProtocolError, "subscription identifier 0");
        if (context == C::Subscribe && !p.subscription_identifiers.empty()) {
          fail(rc::kProtocolError, "more than one subscription identifier");
        }
        p.subscription_identifiers.push_back(value);
        break;
      }
      case 0x11:
        set_once(p.session_expiry_interval, block.u32());
        break;
      case 0x12:
        set_once(p.assigned_client_identifier, block.utf8());
        break;
      case 0x13:
        set_once(p.server_keep_alive, block.u16());
        break;
      case 0x15:
        set_once(p.authentication_method, block.utf8());
        break;
      case 0x16:
        set_once(p.authentication_data, block.binary());
        break;
      case 0x17:
        set_once(p.request_problem_information, flag_byte(block));
        break;
      case 0x18:
        set_once(p.will_delay_interval, block.u32());
        break;
      case 0x19:
        set_once(p.request_response_information, flag_byte(block));
        break;
      case 0x1A:
        set_once(p.response_information, block.utf8());
        break;
      case 0x1C:
        set_once(p.server_reference, block.utf8());
        break;
      case 0x1F:
        set_once(p.reason_string, block.utf8());
        break;
      case 0x21:
        set_once(p.receive_maximum, nonzero_u16(block));
        break;
      case 0x22:
        set_once(p.topic_alias_maximum, block.u16());
        break;
      case 0x23: {
        // Spec 3.3.2.3.4: alias 0 is a Protocol Error reported as Topic Alias invalid (0x94).
        const auto value = block.u16();
        if (value == 0) fail(rc::kTopicAliasInvalid, "topic alias 0");
        set_once(p.topic_alias, value);
        break;
      }
      case 0x24:
        set_once(p.maximum_qos, flag_byte(block));
        break;
      case 0x25:
        set_once(p.retain_available, flag_byte(block));
        break;
      case 0x26: {
        auto name = block.utf8();
        auto value = block.utf8();
        p.user_properties.emplace_back(std::move(name), std::move(value));
        break;
      }
      case 0x27: {
        const auto value = block.u32();
        if (value == 0) fail(rc::kProtocolError, "maximum packet size 0");
        set_once(p.maximum_packet_size, value);
        break;
      }
      case 0x28:
        set_once(p.wildcard_subscription_available, flag_byte(block));
        break;
      case 0x29:
        set_once(p.subscription_identifier_available, flag_byte(block));
        break;
      case 0x2A:
        set_once(p.shared_subscription_available, flag_byte(block));
        break;
      default:
        fail(rc::kMalformedPacket, "unknown property");
    }
  }
  return p;
}

namespace {

// Visits every present property in identifier order with typed writers, so the size and the
// bytes come from the same walk.
template <class Sink>
void walk(const Properties& p, Sink& sink) {
  if (p.payload_format_indicator) sink.byte(0x01, *p.payload_format_indicator);
  if (p.message_expiry_interval) sink.four(0x02, *p.message_expiry_interval);
  if (p.content_type) sink.text(0x03, *p.content_type);
  if (p.response_topic) sink.text(0x08, *p.response_topic);
  if (p.correlation_data) sink.text(0x09, *p.correlation_data);
  for (auto id : p.subscription_identifiers) sink.var(0x0B, id);
  if (p.session_expiry_interval) sink.four(0x11, *p.session_expiry_interval);
  if (p.assigned_client_identifier) sink.text(0x12, *p.assigned_client_identifier);
  if (p.server_keep_alive) sink.two(0x13, *p.server_keep_alive);
  if (p.authentication_method) sink.text(0x15, *p.authentication_method);
  if (p.authentication_data) sink.text(0x16, *p.authentication_data);
  if (p.request_problem_information) sink.byte(0x17, *p.request_problem_information);
  if (p.will_delay_interval) sink.four(0x18, *p.will_delay_interval);
  if (p.request_response_information) sink.byte(0x19, *p.request_response_information);
  if (p.response_information) sink.text(0x1A, *p.response_information);
  if (p.server_reference) sink.text(0x1C, *p.server_reference);
  if (p.reason_string) sink.text(0x1F, *p.reason_string);
  if (p.receive_maximum) sink.two(0x21, *p.receive_maximum);
  if (p.topic_alias_maximum) sink.two(0x22, *p.topic_alias_maximum);
  if (p.topic_alias) sink.two(0x23, *p.topic_alias);
  if (p.maximum_qos) sink.byte(0x24, *p.maximum_qos);
  if (p.retain_available) sink.byte(0x25, *p.retain_available);
  for (const auto& [name, value] : p.user_properties) sink.pair(0x26, name, value);
  if (p.maximum_packet_size) sink.four(0x27, *p.maximum_packet_size);
  if (p.wildcard_subscription_available) sink.byte(0x28, *p.wildcard_subscription_available);
  if (p.subscription_identifier_available) sink.byte(0x29, *p.subscription_identifier_available);
  if (p.shared_subscription_available) sink.byte(0x2A, *p.shared_subscription_available);
}

struct SizeSink {
  std::size_t total = 0;
  void byte(std::uint8_t, std::uint8_t) { total += 2; }
  void two(std::uint8_t, std::uint16_t) { total += 3; }
  void four(std::uint8_t, std::uint32_t) { total += 5; }
  void var(std::uint8_t, std::uint32_t value) { total += 1 + wire::varint_size(value); }
  void text(std::uint8_t, const std::string& value) { total += 3 + value.size(); }
  void pair(std::uint8_t, const std::string& name, const std::string& value) {
    total += 5 + name.size() + value.size();
  }
};

struct WriteSink {
  std::string& out;
  void byte(std::uint8_t id, std::uint8_t value) {
    wire::put_u8(out, id);
    wire::put_u8(out, value);
  }
  void two(std::uint8_t id, std::uint16_t value) {
    wire::put_u8(out, id);
    wire::put_u16(out, value);
  }
  void four(std::uint8_t id, std::uint32_t value) {
    wire::put_u8(out, id);
    wire::put_u32(out, value);
  }
  void var(std::uint8_t id, std::uint32_t value) {
    wire::put_u8(out, id);
    wire::put_varint(out, value);
  }
  void text(std::uint8_t id, const std::string& value) {
    wire::put_u8(out, id);
    wire::put_string(out, value);
  }
  void pair(std::uint8_t id, const std::string& name, const std::string& value) {
    wire::put_u8(out, id);
    wire::put_string(out, name);
    wire::put_string(out, value);
  }
};

std::size_t content_size(const Properties& properties) {
  SizeSink sink;
  walk(properties, sink);
  return sink.total;
}

}  // namespace

void write_properties(std::string& out, const Properties& properties) {
  wire::put_varint(out, static_cast<std::uint32_t>(content_size(properties)));
  WriteSink sink{out};
  walk(properties, sink);
}

std::size_t properties_size(const Properties& properties) {
  const auto size = content_size(properties);
  return wire::varint_size(static_cast<std::uint32_t>(size)) + size;
}

}  // namespace gatemq::mqtt
