// MQTT-SN 1.2 messages (OASIS/IBM "MQTT For Sensor Networks Protocol Specification Version 1.2",
// Nov 2013, chapter 5): one struct per message type, a byte-exact decoder for hostile datagrams
// and an encoder. Pure functions, no I/O, no allocation beyond the returned values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gatemq::gateway::mqttsn {

// §5.2.2, table 3. Values not listed here are reserved and decode as DecodeError::unknown_type.
enum class MessageType : std::uint8_t {
  advertise = 0x00,
  searchgw = 0x01,
  gwinfo = 0x02,
  connect = 0x04,
  connack = 0x05,
  willtopicreq = 0x06,
  willtopic = 0x07,
  willmsgreq = 0x08,
  willmsg = 0x09,
  register_ = 0x0A,
  regack = 0x0B,
  publish = 0x0C,
  puback = 0x0D,
  pubcomp = 0x0E,
  pubrec = 0x0F,
  pubrel = 0x10,
  subscribe = 0x12,
  suback = 0x13,
  unsubscribe = 0x14,
  unsuback = 0x15,
  pingreq = 0x16,
  pingresp = 0x17,
  disconnect = 0x18,
  willtopicupd = 0x1A,
  willtopicresp = 0x1B,
  willmsgupd = 0x1C,
  willmsgresp = 0x1D,
  encapsulated = 0xFE,
};

// §5.3.10, table 5. Unscoped with a fixed underlying type so that any wire byte (0x04..0xFF
// are reserved) is still a valid value and survives a decode/encode round trip.
enum ReturnCode : std::uint8_t {
  accepted = 0,
  congestion = 1,
  invalid_topic_id = 2,
  not_supported = 3
};

// §5.3.4, table 6, bits 1-0.
enum class TopicIdType : std::uint8_t { normal = 0, predefined = 1, short_name = 2, reserved = 3 };

// §5.3.4: DUP(7) QoS(6,5) Retain(4) Will(3) CleanSession(2) TopicIdType(1,0). Every field is
// kept even where the message type ignores it, so any flags byte round-trips unchanged.
struct Flags {
  bool dup = false;
  int qos = 0;  // 0, 1, 2, or -1 for wire value 0b11 ("QoS -1", publish without connection)
  bool retain = false;
  bool will = false;
  bool clean_session = false;
  TopicIdType topic_id_type = TopicIdType::normal;

  bool operator==(const Flags&) const = default;
};

Flags decode_flags(std::uint8_t byte);
// qos outside -1..2 is encoded as 0: the encoder never invents bits the caller did not mean.
std::uint8_t encode_flags(const Flags& flags);

// A short topic name (§3 "short topic names", TopicIdType 0b10) travels in the two TopicId
// bytes: first character in the high byte. Names shorter than 2 are padded with NUL.
std::uint16_t short_name_to_topic_id(std::string_view name);
std::string topic_id_to_short_name(std::uint16_t topic_id);

// §5.4.1
struct Advertise {
  std::uint8_t gateway_id = 0;
  std::uint16_t duration = 0;  // seconds until the next ADVERTISE
  bool operator==(const Advertise&) const = default;
};

// §5.4.2
struct SearchGw {
  std::uint8_t radius = 0;
  bool operator==(const SearchGw&) const = default;
};

// §5.4.3: GwAdd is present only when a client answers a SEARCHGW on behalf of a gateway.
struct GwInfo {
  std::uint8_t gateway_id = 0;
  std::optional<std::vector<std::uint8_t>> gateway_address;  // absent when sent by a gateway
  bool operator==(const GwInfo&) const = default;
};

// §5.4.4 (protocol id is fixed to 0x01 and therefore not a field)
struct Connect {
  Flags flags;                 // will, clean_session are meaningful
  std::uint16_t duration = 0;  // keep-alive, seconds
  std::string client_id;  // the spec says 1-23 characters; that policy is the gateway's to apply
  bool operator==(const Connect&) const = default;
};

// §5.4.5
struct Connack {
  ReturnCode return_code = accepted;
  bool operator==(const Connack&) const = default;
};

// §5.4.6
struct WillTopicReq {
  bool operator==(const WillTopicReq&) const = default;
};

// §5.4.7: an "empty" WILLTOPIC has neither flags nor topic (it deletes the will); modelled as
// flags == nullopt, in which case will_topic is ignored by the encoder.
struct WillTopic {
  std::optional<Flags> flags;  // qos, retain are meaningful
  std::string will_topic;
  bool operator==(const WillTopic&) const = default;
};

// §5.4.8
struct WillMsgReq {
  bool operator==(const WillMsgReq&) const = default;
};

// §5.4.9
struct WillMsg {
  std::vector<std::uint8_t> will_message;
  bool operator==(const WillMsg&) const = default;
};

// §5.4.10: topic_id is 0x0000 when sent by a client.
struct Register {
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  std::string topic_name;  // never empty on the wire
  bool operator==(const Register&) const = default;
};

// §5.4.11
struct Regack {
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = accepted;
  bool operator==(const Regack&) const = default;
};

// §5.4.12: topic_id means a registered id, a predefined id or two short-name characters,
// according to flags.topic_id_type.
struct Publish {
  Flags flags;  // dup, qos, retain, topic_id_type are meaningful
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;  // 0x0000 for QoS 0 and -1
  std::vector<std::uint8_t> data;
  bool operator==(const Publish&) const = default;
};

// §5.4.13
struct Puback {
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = accepted;
  bool operator==(const Puback&) const = default;
};

// §5.4.14: PUBREC, PUBREL and PUBCOMP carry only the message id.
struct Pubcomp {
  std::uint16_t msg_id = 0;
  bool operator==(const Pubcomp&) const = default;
};
struct Pubrec {
  std::uint16_t msg_id = 0;
  bool operator==(const Pubrec&) const = default;
};
struct Pubrel {
  std::uint16_t msg_id = 0;
  bool operator==(const Pubrel&) const = default;
};

// §5.4.15: topic_name is used when flags.topic_id_type is normal (a non-empty filter, may hold
// wildcards); otherwise topic_id is used (predefined id or two short-name characters).
// topic_id_type reserved is rejected by the decoder.
struct Subscribe {
  Flags flags;  // dup, qos, topic_id_type are meaningful
  std::uint16_t msg_id = 0;
  std::string topic_name;
  std::uint16_t topic_id = 0;
  bool operator==(const Subscribe&) const = default;
};

// §5.4.16
struct Suback {
  Flags flags;  // qos (granted) is meaningful
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = accepted;
  bool operator==(const Suback&) const = default;
};

// §5.4.17: same topic rules as Subscribe.
struct Unsubscribe {
  Flags flags;  // topic_id_type is meaningful
  std::uint16_t msg_id = 0;
  std::string topic_name;
  std::uint16_t topic_id = 0;
  bool operator==(const Unsubscribe&) const = default;
};

// §5.4.18
struct Unsuback {
  std::uint16_t msg_id = 0;
  bool operator==(const Unsuback&) const = default;
};

// §5.4.19: a sleeping client wakes up by sending its client id.
struct Pingreq {
  std::optional<std::string> client_id;  // an empty string encodes like nullopt
  bool operator==(const Pingreq&) const = default;
};

// §5.4.20
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

// §5.4.21: with a duration the client goes to sleep instead of disconnecting.
struct Disconnect {
  std::optional<std::uint16_t> duration;
  bool operator==(const Disconnect&) const = default;
};

// §5.4.22: same layout and "empty" rule as WillTopic.
struct WillTopicUpd {
  std::optional<Flags> flags;
  std::string will_topic;
  bool operator==(const WillTopicUpd&) const = default;
};

// §5.4.23
struct WillTopicResp {
  ReturnCode return_code = accepted;
  bool operator==(const WillTopicResp&) const = default;
};

// §5.4.24
struct WillMsgUpd {
  std::vector<std::uint8_t> will_message;
  bool operator==(const WillMsgUpd&) const = default;
};

// §5.4.25
struct WillMsgResp {
  ReturnCode return_code = accepted;
  bool operator==(const WillMsgResp&) const = default;
};

// §5.5: forwarder encapsulation. Unlike every other message its length field covers only the
// encapsulation header; the whole inner MQTT-SN message follows and is kept undecoded (feed it
// to decode() again).
struct Encapsulated {
  std::uint8_t ctrl = 0;  // bits 1-0: broadcast radius; others reserved, kept as received
  std::vector<std::uint8_t> wireless_node_id;
  std::vector<std::uint8_t> message;  // never empty on the wire
  bool operator==(const Encapsulated&) const = default;
};

using Message =
    std::variant<Advertise, SearchGw, GwInfo, Connect, Connack, WillTopicReq, WillTopic, WillMsgReq,
                 WillMsg, Register, Regack, Publish, Puback, Pubcomp, Pubrec, Pubrel, Subscribe,
                 Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, WillTopicUpd,
                 WillTopicResp, WillMsgUpd, WillMsgResp, Encapsulated>;

enum class DecodeError {
  too_short,     // fewer bytes than a length field and a type need
  bad_length,    // length field disagrees with the datagram, or is below the header size
  unknown_type,  // reserved message type
  malformed,     // known type, but the body is too short/long or a field is invalid
};

struct Decoded {
  std::optional<Message> message;
  DecodeError error = DecodeError::malformed;  // meaningful only when message is empty
  std::uint8_t type = 0;  // wire type byte when known, for NOT_SUPPORTED replies
  bool has_type = false;  // whether `type` was read from the datagram

  bool ok() const { return message.has_value(); }
};

// One datagram = exactly one message (§5.2.1: the length field must match the datagram).
Decoded decode(std::span<const std::uint8_t> datagram);

// Uses the 1-byte length form when the whole message fits in 255 bytes, else 0x01 + 2 bytes.
// Returns an empty vector when the message cannot be represented (longer than 65535 bytes).
std::vector<std::uint8_t> encode(const Message& message);

MessageType type_of(const Message& message);

// "CONNECT", "PUBLISH", ...; "RESERVED" for unassigned values.
std::string_view type_name(std::uint8_t type);

}  // namespace gatemq::gateway::mqttsn
