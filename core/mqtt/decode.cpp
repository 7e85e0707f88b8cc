// Bytes to packets: next_frame() splits the stream, decode() checks and parses one packet.
#include <utility>

#include "core/mqtt/codec.hpp"
#include "core/mqtt/properties.hpp"
#include "core/mqtt/utf8.hpp"
#include "core/mqtt/wire.hpp"

namespace gatemq::mqtt {

namespace wire {
std::string Reader::utf8() {
  auto text = bytes(u16());
  if (!is_valid_mqtt_utf8(text)) fail(rc::kMalformedPacket, "invalid UTF-8 string");
  return std::string(text);
}
}  // namespace wire

namespace {

using wire::fail;
constexpr std::uint32_t kMaxRemainingLength = 268435455;

bool is_v5(ProtocolVersion version) {
  return version == ProtocolVersion::v5;
}

void decode_connect(wire::Reader& in, Connect& connect) {
  const auto name = in.bytes(in.u16());
  const auto level = in.u8();
  const bool known =
      (name == "MQTT" && (level == 4 || level == 5)) || (name == "MQIsdp" && level == 3);
  if (!known) {
    // Answered with a 3.1.1-shaped CONNACK (return code 1), which every client version reads.
    connect.version = ProtocolVersion::v311;
    fail(rc::kUnsupportedProtocolVersion, "unsupported protocol name or level");
  }
  connect.version = static_cast<ProtocolVersion>(level);
  const auto flags = in.u8();
  if (flags & 0x01) fail(rc::kMalformedPacket, "CONNECT reserved flag set");
  connect.clean_start = flags & 0x02;
  const bool will_flag = flags & 0x04;
  const std::uint8_t will_qos = (flags >> 3) & 0x03;
  const bool will_retain = flags & 0x20;
  const bool password_flag = flags & 0x40;
  const bool username_flag = flags & 0x80;
  if (will_qos == 3) fail(rc::kMalformedPacket, "will QoS 3");
  if (!will_flag && (will_qos != 0 || will_retain)) {
    fail(rc::kMalformedPacket, "will QoS or retain set without the will flag");
  }
  if (!is_v5(connect.version) && password_flag && !username_flag) {
    fail(rc::kMalformedPacket, "password without user name");
  }
  connect.keep_alive = in.u16();
  if (is_v5(connect.version)) {
    connect.properties = read_properties(in, PropertyContext::Connect);
    if (connect.properties.authentication_data && !connect.properties.authentication_method) {
      fail(rc::kProtocolError, "authentication data without an authentication method");
    }
  }
  connect.client_id = in.utf8();
  if (will_flag) {
    Will will;
    will.qos = will_qos;
    will.retain = will_retain;
    if (is_v5(connect.version)) will.properties = read_properties(in, PropertyContext::Will);
    will.topic = in.utf8();
    will.payload = in.binary();
    connect.will = std::move(will);
  }
  if (username_flag) connect.username = in.utf8();
  if (password_flag) connect.password = in.binary();
}

// The v5 reason code for a 3.x CONNACK return code (3.1.1 table 3.1), so Connack::reason_code
// means the same thing whatever the version; the encoder maps it back.
std::uint8_t v5_code_for_connack_return_code(std::uint8_t return_code) {
  switch (return_code) {
    case 0:
      return rc::kSuccess;
    case 1:
      return rc::kUnsupportedProtocolVersion;
    case 2:
      return rc::kClientIdentifierNotValid;
    case 3:
      return rc::kServerUnavailable;
    case 4:
      return rc::kBadUserNameOrPassword;
    case 5:
      return rc::kNotAuthorized;
    default:
      fail(rc::kMalformedPacket, "reserved CONNACK return code");
  }
}

Connack decode_connack(wire::Reader& in, ProtocolVersion version) {
  Connack connack;
  const auto flags = in.u8();
  if (flags & 0xFE) fail(rc::kMalformedPacket, "CONNACK reserved flags set");
  connack.session_present = flags & 0x01;
  const auto code = in.u8();
  if (is_v5(version)) {
    connack.reason_code = code;
    connack.properties = read_properties(in, PropertyContext::Connack);
  } else {
    connack.reason_code = v5_code_for_connack_return_code(code);
  }
  return connack;
}

Publish decode_publish(std::uint8_t flags, wire::Reader& in, ProtocolVersion version) {
  Publish publish;
  publish.dup = flags & 0x08;
  publish.qos = (flags >> 1) & 0x03;
  publish.retain = flags & 0x01;
  if (publish.qos == 3) fail(rc::kMalformedPacket, "PUBLISH QoS 3");
  if (publish.qos == 0 && publish.dup) fail(rc::kMalformedPacket, "DUP set on a QoS 0 PUBLISH");
  publish.topic = in.utf8();
  if (publish.qos > 0) {
    publish.packet_id = in.u16();
    if (publish.packet_id == 0) fail(rc::kMalformedPacket, "packet identifier 0");
  }
  if (is_v5(version)) publish.properties = read_properties(in, PropertyContext::Publish);
  publish.payload = std::string(in.rest());
  return publish;
}

template <PacketType Type>
Ack<Type> decode_ack(wire::Reader& in, ProtocolVersion version) {
  Ack<Type> ack;
  ack.packet_id = in.u16();
  if (ack.packet_id == 0) fail(rc::kMalformedPacket, "packet identifier 0");
  if (is_v5(version)) {
    if (!in.done()) ack.reason_code = in.u8();
    if (!in.done()) ack.properties = read_properties(in, context_of(Type));
  }
  return ack;
}

std::uint16_t nonzero_packet_id(wire::Reader& in) {
  const auto id = in.u16();
  if (id == 0) fail(rc::kMalformedPacket, "packet identifier 0");
  return id;
}

Subscribe decode_subscribe(wire::Reader& in, ProtocolVersion version) {
  Subscribe subscribe;
  subscribe.packet_id = nonzero_packet_id(in);
  if (is_v5(version)) subscribe.properties = read_properties(in, PropertyContext::Subscribe);
  while (!in.done()) {
    TopicSubscription item;
    item.filter = in.utf8();
    const auto options = in.u8();
    item.options.qos = options & 0x03;
    if (item.options.qos == 3) fail(rc::kMalformedPacket, "subscription QoS 3");
    if (is_v5(version)) {
      item.options.no_local = options & 0x04;
      item.options.retain_as_published = options & 0x08;
      item.options.retain_handling = (options >> 4) & 0x03;
      if (item.options.retain_handling == 3) fail(rc::kMalformedPacket, "retain handling 3");
      if (options & 0xC0) fail(rc::kMalformedPacket, "subscription options reserved bits set");
    } else if (options & 0xFC) {
      fail(rc::kMalformedPacket, "subscription options reserved bits set");
    }
    subscribe.subscriptions.push_back(std::move(item));
  }
  if (subscribe.subscriptions.empty()) fail(rc::kProtocolError, "SUBSCRIBE without topic filters");
  return subscribe;
}

Suback decode_suback(wire::Reader& in, ProtocolVersion version) {
  Suback suback;
  suback.packet_id = nonzero_packet_id(in);
  if (is_v5(version)) suback.properties = read_properties(in, PropertyContext::Suback);
  while (!in.done()) {
    const auto code = in.u8();
    // 3.x knows only the granted QoS and 0x80 (3.1.1 section 3.9.3).
    if (!is_v5(version) && code > 2 && code != 0x80) {
      fail(rc::kMalformedPacket, "reserved SUBACK return code");
    }
    suback.reason_codes.push_back(code);
  }
  return suback;
}

Unsubscribe decode_unsubscribe(wire::Reader& in, ProtocolVersion version) {
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = nonzero_packet_id(in);
  if (is_v5(version)) unsubscribe.properties = read_properties(in, PropertyContext::Unsubscribe);
  while (!in.done()) unsubscribe.filters.push_back(in.utf8());
  if (unsubscribe.filters.empty()) fail(rc::kProtocolError, "UNSUBSCRIBE without topic filters");
  return unsubscribe;
}

Unsuback decode_unsuback(wire::Reader& in, ProtocolVersion version) {
  Unsuback unsuback;
  unsuback.packet_id = nonzero_packet_id(in);
  if (is_v5(version)) {
    unsuback.properties = read_properties(in, PropertyContext::Unsuback);
    while (!in.done()) unsuback.reason_codes.push_back(in.u8());
  }
  return unsuback;
}

// DISCONNECT and AUTH: optional reason code, then optional properties (v5 only).
template <class T>
T decode_reason_only(wire::Reader& in, ProtocolVersion version, PropertyContext context) {
  T packet;
  if (is_v5(version)) {
    if (!in.done()) packet.reason_code = in.u8();
    if (!in.done()) packet.properties = read_properties(in, context);
  }
  return packet;
}

std::uint8_t required_flags(PacketType type) {
  switch (type) {
    case PacketType::Pubrel:
    case PacketType::Subscribe:
    case PacketType::Unsubscribe:
      return 0x02;
    default:
      return 0x00;
  }
}

}  // namespace

Frame next_frame(std::string_view input, std::uint32_t max_packet_size) {
  Frame frame;
  if (input.empty()) return frame;
  frame.first_byte = static_cast<std::uint8_t>(input[0]);
  if ((frame.first_byte >> 4) == 0) {
    frame.status = Frame::Status::Malformed;
    return frame;
  }
  std::uint32_t remaining = 0;
  std::size_t header = 1;
  for (int shift = 0;; shift += 7) {
    if (header == 5) {
      frame.status = Frame::Status::Malformed;  // a fifth length byte
      return frame;
    }
    if (header >= input.size()) return frame;  // NeedMore
    const auto byte = static_cast<std::uint8_t>(input[header++]);
    remaining |= std::uint32_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) break;
  }
  const std::uint64_t total = header + std::uint64_t{remaining};
  if (max_packet_size != 0 && total > max_packet_size) {
    frame.status = Frame::Status::TooLarge;
    return frame;
  }
  if (input.size() < total) return frame;  // NeedMore
  frame.status = Frame::Status::Complete;
  frame.body = input.substr(header, remaining);
  frame.consumed = static_cast<std::size_t>(total);
  return frame;
}

DecodeResult decode(std::uint8_t first_byte, std::string_view body, ProtocolVersion version) {
  DecodeResult result;
  const auto type = static_cast<PacketType>(first_byte >> 4);
  const std::uint8_t flags = first_byte & 0x0F;
  wire::Reader in(body);
  try {
    if (body.size() > kMaxRemainingLength) fail(rc::kMalformedPacket, "packet too long");
    if (type != PacketType::Publish && flags != required_flags(type)) {
      fail(rc::kMalformedPacket, "reserved fixed header flags");
    }
    switch (type) {
      case PacketType::Connect: {
        result.packet = Connect{};
        auto& connect = std::get<Connect>(result.packet);
        decode_connect(in, connect);
        break;
      }
      case PacketType::Connack:
        result.packet = decode_connack(in, version);
        break;
      case PacketType::Publish:
        result.packet = decode_publish(flags, in, version);
        break;
      case PacketType::Puback:
        result.packet = decode_ack<PacketType::Puback>(in, version);
        break;
      case PacketType::Pubrec:
        result.packet = decode_ack<PacketType::Pubrec>(in, version);
        break;
      case PacketType::Pubrel:
        result.packet = decode_ack<PacketType::Pubrel>(in, version);
        break;
      case PacketType::Pubcomp:
        result.packet = decode_ack<PacketType::Pubcomp>(in, version);
        break;
      case PacketType::Subscribe:
        result.packet = decode_subscribe(in, version);
        break;
      case PacketType::Suback:
        result.packet = decode_suback(in, version);
        break;
      case PacketType::Unsubscribe:
        result.packet = decode_unsubscribe(in, version);
        break;
      case PacketType::Unsuback:
        result.packet = decode_unsuback(in, version);
        break;
      case PacketType::Pingreq:
        result.packet = Pingreq{};
        break;
      case PacketType::Pingresp:
        result.packet = Pingresp{};
        break;
      case PacketType::Disconnect:
        result.packet = decode_reason_only<Disconnect>(in, version, PropertyContext::Disconnect);
        break;
      case PacketType::Auth: {
        if (!is_v5(version)) fail(rc::kMalformedPacket, "AUTH before MQTT 5");
        auto auth = decode_reason_only<Auth>(in, version, PropertyContext::Auth);
        const auto code = auth.reason_code;
        if (code != rc::kSuccess && code != rc::kContinueAuthentication &&
            code != rc::kReAuthenticate) {
          fail(rc::kProtocolError, "AUTH with an invalid reason code");
        }
        result.packet = std::move(auth);
        break;
      }
      default:
        fail(rc::kMalformedPacket, "reserved packet type");
    }
    if (!in.done()) fail(rc::kMalformedPacket, "bytes left over after the packet");
  } catch (const wire::WireError& error) {
    result.error = DecodeError{error.reason_code, error.what};
  }
  return result;
}

}  // namespace gatemq::mqtt
