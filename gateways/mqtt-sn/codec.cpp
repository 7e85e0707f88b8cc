#include "gateways/mqtt-sn/codec.hpp"

#include <limits>
#include <type_traits>

namespace gatemq::gateway::mqttsn {
namespace {

// §5.2.1: a first byte of 0x01 announces the 3-byte length form.
constexpr std::uint8_t three_byte_length_marker = 0x01;
constexpr std::size_t max_one_byte_total = 255;
constexpr std::size_t max_total = std::numeric_limits<std::uint16_t>::max();

// Bounds-checked cursor over a message body: every read first proves the bytes exist, so a
// hostile length can at worst make a read fail, never run past the datagram.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - position_; }

  std::optional<std::uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return bytes_[position_++];
  }

  std::optional<std::uint16_t> u16() {
    if (remaining() < 2) return std::nullopt;
    const auto value = static_cast<std::uint16_t>((bytes_[position_] << 8) | bytes_[position_ + 1]);
    position_ += 2;
    return value;
  }

  std::vector<std::uint8_t> rest_bytes() {
    std::vector<std::uint8_t> out(bytes_.begin() + static_cast<std::ptrdiff_t>(position_),
                                  bytes_.end());
    position_ = bytes_.size();
    return out;
  }

  std::string rest_string() {
    std::string out(bytes_.begin() + static_cast<std::ptrdiff_t>(position_), bytes_.end());
    position_ = bytes_.size();
    return out;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

class Writer {
 public:
  void u8(std::uint8_t value) { bytes_.push_back(value); }
  void u16(std::uint16_t value) {
    bytes_.push_back(static_cast<std::uint8_t>(value >> 8));
    bytes_.push_back(static_cast<std::uint8_t>(value & 0xFF));
  }
  void bytes(std::span<const std::uint8_t> value) {
    bytes_.insert(bytes_.end(), value.begin(), value.end());
  }
  void text(std::string_view value) { bytes_.insert(bytes_.end(), value.begin(), value.end()); }

  std::vector<std::uint8_t>& body() { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

bool is_known_type(std::uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::advertise:
    case MessageType::searchgw:
    case MessageType::gwinfo:
    case MessageType::connect:
    case MessageType::connack:
    case MessageType::willtopicreq:
    case MessageType::willtopic:
    case MessageType::willmsgreq:
    case MessageType::willmsg:
    case MessageType::register_:
    case MessageType::regack:
    case MessageType::publish:
    case MessageType::puback:
    case MessageType::pubcomp:
    case MessageType::pubrec:
    case MessageType::pubrel:
    case MessageType::subscribe:
    case MessageType::suback:
    case MessageType::unsubscribe:
    case MessageType::unsuback:
    case MessageType::pingreq:
    case MessageType::pingresp:
    case MessageType::disconnect:
    case MessageType::willtopicupd:
    case MessageType::willtopicresp:
    case MessageType::willmsgupd:
    case MessageType::willmsgresp:
    case MessageType::encapsulated:
      return true;
  }
  return false;
}

// Body decoders: `body` is everything after the type byte. Each returns nullopt when the body
// has the wrong size for its type or carries an invalid field. Fixed-size bodies must be
// consumed exactly (checked by the caller through `exact`).

std::optional<Message> decode_will_topic_like(Reader& body, bool update) {
  auto make = [update](std::optional<Flags> flags, std::string topic) -> Message {
    if (update) return WillTopicUpd{flags, std::move(topic)};
    return WillTopic{flags, std::move(topic)};
  };
  if (body.remaining() == 0) return make(std::nullopt, {});  // the "empty" form, §5.4.7
  const auto flags = decode_flags(*body.u8());
  return make(flags, body.rest_string());
}

// SUBSCRIBE and UNSUBSCRIBE share their layout: Flags, MsgId, TopicName | TopicId.
template <typename T>
std::optional<Message> decode_subscription(Reader& body) {
  const auto flags_byte = body.u8();
  const auto msg_id = body.u16();
  if (!flags_byte || !msg_id) return std::nullopt;
  T message;
  message.flags = decode_flags(*flags_byte);
  message.msg_id = *msg_id;
  switch (message.flags.topic_id_type) {
    case TopicIdType::normal:
      if (body.remaining() == 0) return std::nullopt;  // a topic filter is never empty
      message.topic_name = body.rest_string();
      return message;
    case TopicIdType::predefined:
    case TopicIdType::short_name: {
      const auto topic_id = body.u16();
      if (!topic_id || body.remaining() != 0) return std::nullopt;
      message.topic_id = *topic_id;
      return message;
    }
    case TopicIdType::reserved:
      break;
  }
  return std::nullopt;
}

std::optional<Message> decode_body(MessageType type, Reader& body) {
  // For fixed-size messages: succeed only when all fields were read and nothing is left over.
  auto exact = [&body](auto&&... fields) {
    return (fields.has_value() && ...) && body.remaining() == 0;
  };

  switch (type) {
    case MessageType::advertise: {
      const auto gateway_id = body.u8();
      const auto duration = body.u16();
      if (!exact(gateway_id, duration)) return std::nullopt;
      return Advertise{*gateway_id, *duration};
    }
    case MessageType::searchgw: {
      const auto radius = body.u8();
      if (!exact(radius)) return std::nullopt;
      return SearchGw{*radius};
    }
    case MessageType::gwinfo: {
      const auto gateway_id = body.u8();
      if (!gateway_id) return std::nullopt;
      GwInfo info{*gateway_id, std::nullopt};
      if (body.remaining() > 0) info.gateway_address = body.rest_bytes();  // sent by a client
      return info;
    }
    case MessageType::connect: {
      constexpr std::uint8_t protocol_id_v12 = 0x01;  // §5.3.8: the only defined value
      const auto flags = body.u8();
      const auto protocol_id = body.u8();
      const auto duration = body.u16();
      if (!flags || !protocol_id || !duration || *protocol_id != protocol_id_v12)
        return std::nullopt;
      return Connect{decode_flags(*flags), *duration, body.rest_string()};
    }
    case MessageType::connack:
    case MessageType::willtopicresp:
    case MessageType::willmsgresp: {
      const auto code = body.u8();
      if (!exact(code)) return std::nullopt;
      const auto return_code = static_cast<ReturnCode>(*code);
      if (type == MessageType::connack) return Connack{return_code};
      if (type == MessageType::willtopicresp) return WillTopicResp{return_code};
      return WillMsgResp{return_code};
    }
    case MessageType::willtopicreq:
      if (body.remaining() != 0) return std::nullopt;
      return WillTopicReq{};
    case MessageType::willmsgreq:
      if (body.remaining() != 0) return std::nullopt;
      return WillMsgReq{};
    case MessageType::pingresp:
      if (body.remaining() != 0) return std::nullopt;
      return Pingresp{};
    case MessageType::willtopic:
      return decode_will_topic_like(body, false);
    case MessageType::willtopicupd:
      return decode_will_topic_like(body, true);
    case MessageType::willmsg:
      return WillMsg{body.rest_bytes()};
    case MessageType::willmsgupd:
      return WillMsgUpd{body.rest_bytes()};
    case MessageType::register_: {
      const auto topic_id = body.u16();
      const auto msg_id = body.u16();
      if (!topic_id || !msg_id || body.remaining() == 0) return std::nullopt;
      return Register{*topic_id, *msg_id, body.rest_string()};
    }
    case MessageType::regack:
    case MessageType::puback: {
      const auto topic_id = body.u16();
      const auto msg_id = body.u16();
      const auto code = body.u8();
      if (!exact(topic_id, msg_id, code)) return std::nullopt;
      if (type == MessageType::regack)
        return Regack{*topic_id, *msg_id, static_cast<ReturnCode>(*code)};
      return Puback{*topic_id, *msg_id, static_cast<ReturnCode>(*code)};
    }
    case MessageType::publish: {
      const auto flags = body.u8();
      const auto topic_id = body.u16();
      const auto msg_id = body.u16();
      if (!flags || !topic_id || !msg_id) return std::nullopt;
      return Publish{decode_flags(*flags), *topic_id, *msg_id, body.rest_bytes()};
    }
    case MessageType::pubcomp:
    case MessageType::pubrec:
    case MessageType::pubrel:
    case MessageType::unsuback: {
      const auto msg_id = body.u16();
      if (!exact(msg_id)) return std::nullopt;
      if (type == MessageType::pubcomp) return Pubcomp{*msg_id};
      if (type == MessageType::pubrec) return Pubrec{*msg_id};
      if (type == MessageType::pubrel) return Pubrel{*msg_id};
      return Unsuback{*msg_id};
    }
    case MessageType::subscribe:
      return decode_subscription<Subscribe>(body);
    case MessageType::unsubscribe:
      return decode_subscription<Unsubscribe>(body);
    case MessageType::suback: {
      const auto flags = body.u8();
      const auto topic_id = body.u16();
      const auto msg_id = body.u16();
      const auto code = body.u8();
      if (!exact(flags, topic_id, msg_id, code)) return std::nullopt;
      return Suback{decode_flags(*flags), *topic_id, *msg_id, static_cast<ReturnCode>(*code)};
    }
    case MessageType::pingreq:
      if (body.remaining() == 0) return Pingreq{};
      return Pingreq{body.rest_string()};
    case MessageType::disconnect: {
      if (body.remaining() == 0) return Disconnect{};
      const auto duration = body.u16();
      if (!exact(duration)) return std::nullopt;
      return Disconnect{*duration};
    }
    case MessageType::encapsulated:
      break;  // handled by decode_encapsulated(): its length field has other semantics
  }
  return std::nullopt;
}

// §5.5: Length covers Length, MsgType, Ctrl and the wireless node id; the inner message is
// whatever follows in the datagram.
Decoded decode_encapsulated(std::span<const std::uint8_t> datagram, std::size_t header_length,
                            std::size_t declared_length) {
  Decoded result;
  result.type = static_cast<std::uint8_t>(MessageType::encapsulated);
  result.has_type = true;
  const std::size_t ctrl_offset = header_length + 1;
  if (declared_length < ctrl_offset + 1 || declared_length > datagram.size()) {
    result.error = DecodeError::bad_length;
    return result;
  }
  // An inner message needs at least a length byte and a type byte.
  if (datagram.size() - declared_length < 2) {
    result.error = DecodeError::malformed;
    return result;
  }
  const auto node_begin = datagram.begin() + static_cast<std::ptrdiff_t>(ctrl_offset + 1);
  const auto node_end = datagram.begin() + static_cast<std::ptrdiff_t>(declared_length);
  result.message =
      Encapsulated{datagram[ctrl_offset], std::vector<std::uint8_t>(node_begin, node_end),
                   std::vector<std::uint8_t>(node_end, datagram.end())};
  return result;
}

void encode_body(const Message& message, Writer& out) {
  std::visit(
      [&out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Advertise>) {
          out.u8(m.gateway_id);
          out.u16(m.duration);
        } else if constexpr (std::is_same_v<T, SearchGw>) {
          out.u8(m.radius);
        } else if constexpr (std::is_same_v<T, GwInfo>) {
          out.u8(m.gateway_id);
          if (m.gateway_address) out.bytes(*m.gateway_address);
        } else if constexpr (std::is_same_v<T, Connect>) {
          out.u8(encode_flags(m.flags));
          out.u8(0x01);  // protocol id
          out.u16(m.duration);
          out.text(m.client_id);
        } else if constexpr (std::is_same_v<T, Connack> || std::is_same_v<T, WillTopicResp> ||
                             std::is_same_v<T, WillMsgResp>) {
          out.u8(m.return_code);
        } else if constexpr (std::is_same_v<T, WillTopic> || std::is_same_v<T, WillTopicUpd>) {
          if (m.flags) {
            out.u8(encode_flags(*m.flags));
            out.text(m.will_topic);
          }
        } else if constexpr (std::is_same_v<T, WillMsg> || std::is_same_v<T, WillMsgUpd>) {
          out.bytes(m.will_message);
        } else if constexpr (std::is_same_v<T, Register>) {
          out.u16(m.topic_id);
          out.u16(m.msg_id);
          out.text(m.topic_name);
        } else if constexpr (std::is_same_v<T, Regack> || std::is_same_v<T, Puback>) {
          out.u16(m.topic_id);
          out.u16(m.msg_id);
          out.u8(m.return_code);
        } else if constexpr (std::is_same_v<T, Publish>) {
          out.u8(encode_flags(m.flags));
          out.u16(m.topic_id);
          out.u16(m.msg_id);
          out.bytes(m.data);
        } else if constexpr (std::is_same_v<T, Pubcomp> || std::is_same_v<T, Pubrec> ||
                             std::is_same_v<T, Pubrel> || std::is_same_v<T, Unsuback>) {
          out.u16(m.msg_id);
        } else if constexpr (std::is_same_v<T, Subscribe> || std::is_same_v<T, Unsubscribe>) {
          out.u8(encode_flags(m.flags));
          out.u16(m.msg_id);
          if (m.flags.topic_id_type == TopicIdType::normal) {
            out.text(m.topic_name);
          } else {
            out.u16(m.topic_id);
          }
        } else if constexpr (std::is_same_v<T, Suback>) {
          out.u8(encode_flags(m.flags));
          out.u16(m.topic_id);
          out.u16(m.msg_id);
          out.u8(m.return_code);
        } else if constexpr (std::is_same_v<T, Pingreq>) {
          if (m.client_id) out.text(*m.client_id);
        } else if constexpr (std::is_same_v<T, Disconnect>) {
          if (m.duration) out.u16(*m.duration);
        } else if constexpr (std::is_same_v<T, WillTopicReq> || std::is_same_v<T, WillMsgReq> ||
                             std::is_same_v<T, Pingresp>) {
          // header only
        } else {
          static_assert(std::is_same_v<T, Encapsulated>, "every message type needs an encoder");
          out.u8(m.ctrl);
          out.bytes(m.wireless_node_id);
        }
      },
      message);
}

// Prefixes `body` with the length field and type byte; `counted_tail` bytes at the end of
// `body` are left out of the length (only for ENCAPSULATED, whose length ignores the inner
// message).
std::vector<std::uint8_t> frame(MessageType type, std::vector<std::uint8_t>& body,
                                std::size_t counted_tail) {
  const std::size_t counted = body.size() - counted_tail;
  std::vector<std::uint8_t> out;
  if (counted + 2 <= max_one_byte_total) {
    out.reserve(body.size() + 2);
    out.push_back(static_cast<std::uint8_t>(counted + 2));
  } else {
    const std::size_t total = counted + 4;
    if (total > max_total) return {};
    out.reserve(body.size() + 4);
    out.push_back(three_byte_length_marker);
    out.push_back(static_cast<std::uint8_t>(total >> 8));
    out.push_back(static_cast<std::uint8_t>(total & 0xFF));
  }
  out.push_back(static_cast<std::uint8_t>(type));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

Flags decode_flags(std::uint8_t byte) {
  Flags flags;
  flags.dup = (byte & 0x80) != 0;
  const int qos_bits = (byte >> 5) & 0x03;
  flags.qos = qos_bits == 0x03 ? -1 : qos_bits;
  flags.retain = (byte & 0x10) != 0;
  flags.will = (byte & 0x08) != 0;
  flags.clean_session = (byte & 0x04) != 0;
  flags.topic_id_type = static_cast<TopicIdType>(byte & 0x03);
  return flags;
}

std::uint8_t encode_flags(const Flags& flags) {
  int qos_bits = 0;
  if (flags.qos == -1) {
    qos_bits = 0x03;
  } else if (flags.qos >= 0 && flags.qos <= 2) {
    qos_bits = flags.qos;
  }
  return static_cast<std::uint8_t>((flags.dup ? 0x80 : 0) | (qos_bits << 5) |
                                   (flags.retain ? 0x10 : 0) | (flags.will ? 0x08 : 0) |
                                   (flags.clean_session ? 0x04 : 0) |
                                   (static_cast<std::uint8_t>(flags.topic_id_type) & 0x03));
}

std::uint16_t short_name_to_topic_id(std::string_view name) {
  const auto high = name.size() > 0 ? static_cast<std::uint8_t>(name[0]) : 0;
  const auto low = name.size() > 1 ? static_cast<std::uint8_t>(name[1]) : 0;
  return static_cast<std::uint16_t>((high << 8) | low);
}

std::string topic_id_to_short_name(std::uint16_t topic_id) {
  return std::string{static_cast<char>(topic_id >> 8), static_cast<char>(topic_id & 0xFF)};
}

Decoded decode(std::span<const std::uint8_t> datagram) {
  Decoded result;
  if (datagram.size() < 2) {
    result.error = DecodeError::too_short;
    return result;
  }
  std::size_t header_length = 1;  // bytes of the length field
  std::size_t declared_length = datagram[0];
  if (datagram[0] == three_byte_length_marker) {
    if (datagram.size() < 4) {
      result.error = DecodeError::too_short;
      return result;
    }
    header_length = 3;
    declared_length = static_cast<std::size_t>((datagram[1] << 8) | datagram[2]);
  }
  result.type = datagram[header_length];
  result.has_type = true;

  if (!is_known_type(result.type)) {
    // Still check the length first so a garbage datagram is not reported as a reserved type.
    result.error =
        declared_length == datagram.size() ? DecodeError::unknown_type : DecodeError::bad_length;
    return result;
  }
  const auto type = static_cast<MessageType>(result.type);
  if (type == MessageType::encapsulated)
    return decode_encapsulated(datagram, header_length, declared_length);

  if (declared_length < header_length + 1 || declared_length != datagram.size()) {
    result.error = DecodeError::bad_length;
    return result;
  }
  Reader body(datagram.subspan(header_length + 1));
  result.message = decode_body(type, body);
  if (!result.message) result.error = DecodeError::malformed;
  return result;
}

std::vector<std::uint8_t> encode(const Message& message) {
  Writer body;
  encode_body(message, body);
  std::size_t uncounted_tail = 0;
  if (const auto* encapsulated = std::get_if<Encapsulated>(&message)) {
    // The inner message is appended after the header and not counted in its length.
    uncounted_tail = encapsulated->message.size();
    body.bytes(encapsulated->message);
  }
  return frame(type_of(message), body.body(), uncounted_tail);
}

MessageType type_of(const Message& message) {
  return std::visit(
      [](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Advertise>) return MessageType::advertise;
        if constexpr (std::is_same_v<T, SearchGw>) return MessageType::searchgw;
        if constexpr (std::is_same_v<T, GwInfo>) return MessageType::gwinfo;
        if constexpr (std::is_same_v<T, Connect>) return MessageType::connect;
        if constexpr (std::is_same_v<T, Connack>) return MessageType::connack;
        if constexpr (std::is_same_v<T, WillTopicReq>) return MessageType::willtopicreq;
        if constexpr (std::is_same_v<T, WillTopic>) return MessageType::willtopic;
        if constexpr (std::is_same_v<T, WillMsgReq>) return MessageType::willmsgreq;
        if constexpr (std::is_same_v<T, WillMsg>) return MessageType::willmsg;
        if constexpr (std::is_same_v<T, Register>) return MessageType::register_;
        if constexpr (std::is_same_v<T, Regack>) return MessageType::regack;
        if constexpr (std::is_same_v<T, Publish>) return MessageType::publish;
        if constexpr (std::is_same_v<T, Puback>) return MessageType::puback;
        if constexpr (std::is_same_v<T, Pubcomp>) return MessageType::pubcomp;
        if constexpr (std::is_same_v<T, Pubrec>) return MessageType::pubrec;
        if constexpr (std::is_same_v<T, Pubrel>) return MessageType::pubrel;
        if constexpr (std::is_same_v<T, Subscribe>) return MessageType::subscribe;
        if constexpr (std::is_same_v<T, Suback>) return MessageType::suback;
        if constexpr (std::is_same_v<T, Unsubscribe>) return MessageType::unsubscribe;
        if constexpr (std::is_same_v<T, Unsuback>) return MessageType::unsuback;
        if constexpr (std::is_same_v<T, Pingreq>) return MessageType::pingreq;
        if constexpr (std::is_same_v<T, Pingresp>) return MessageType::pingresp;
        if constexpr (std::is_same_v<T, Disconnect>) return MessageType::disconnect;
        if constexpr (std::is_same_v<T, WillTopicUpd>) return MessageType::willtopicupd;
        if constexpr (std::is_same_v<T, WillTopicResp>) return MessageType::willtopicresp;
        if constexpr (std::is_same_v<T, WillMsgUpd>) return MessageType::willmsgupd;
        if constexpr (std::is_same_v<T, WillMsgResp>) return MessageType::willmsgresp;
        if constexpr (std::is_same_v<T, Encapsulated>) return MessageType::encapsulated;
      },
      message);
}

std::string_view type_name(std::uint8_t type) {
  if (!is_known_type(type)) return "RESERVED";
  switch (static_cast<MessageType>(type)) {
    case MessageType::advertise:
      return "ADVERTISE";
    case MessageType::searchgw:
      return "SEARCHGW";
    case MessageType::gwinfo:
      return "GWINFO";
    case MessageType::connect:
      return "CONNECT";
    case MessageType::connack:
      return "CONNACK";
    case MessageType::willtopicreq:
      return "WILLTOPICREQ";
    case MessageType::willtopic:
      return "WILLTOPIC";
    case MessageType::willmsgreq:
      return "WILLMSGREQ";
    case MessageType::willmsg:
      return "WILLMSG";
    case MessageType::register_:
      return "REGISTER";
    case MessageType::regack:
      return "REGACK";
    case MessageType::publish:
      return "PUBLISH";
    case MessageType::puback:
      return "PUBACK";
    case MessageType::pubcomp:
      return "PUBCOMP";
    case MessageType::pubrec:
      return "PUBREC";
    case MessageType::pubrel:
      return "PUBREL";
    case MessageType::subscribe:
      return "SUBSCRIBE";
    case MessageType::suback:
      return "SUBACK";
    case MessageType::unsubscribe:
      return "UNSUBSCRIBE";
    case MessageType::unsuback:
      return "UNSUBACK";
    case MessageType::pingreq:
      return "PINGREQ";
    case MessageType::pingresp:
      return "PINGRESP";
    case MessageType::disconnect:
      return "DISCONNECT";
    case MessageType::willtopicupd:
      return "WILLTOPICUPD";
    case MessageType::willtopicresp:
      return "WILLTOPICRESP";
    case MessageType::willmsgupd:
      return "WILLMSGUPD";
    case MessageType::willmsgresp:
      return "WILLMSGRESP";
    case MessageType::encapsulated:
      return "ENCAPSULATED";
  }
  return "RESERVED";
}

}  // namespace gatemq::gateway::mqttsn
