// MQTT wire codec: pure functions from bytes to packets and back. No I/O, no clocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/mqtt/packet.hpp"

namespace gatemq::mqtt {

// Outcome of splitting one control packet off the front of a byte stream.
struct Frame {
  enum class Status : std::uint8_t {
    NeedMore,   // not enough bytes yet; call again after more arrive
    Complete,   // header/body valid, consumed = header + body length
    Malformed,  // bad remaining-length encoding or reserved packet type 0
    TooLarge,   // whole packet would exceed max_packet_size
  };
  Status status = Status::NeedMore;
  std::uint8_t first_byte = 0;   // fixed header byte 1 (type << 4 | flags)
  std::string_view body;         // variable header + payload (view into the input)
  std::size_t consumed = 0;      // bytes making up the packet, header included
};

// Finds the next complete packet in `input`. max_packet_size counts the whole packet
// (fixed header included) as MQTT 5 does; 0 means the protocol maximum (268,435,455 + header).
Frame next_frame(std::string_view input, std::uint32_t max_packet_size);

struct DecodeError {
  std::uint8_t reason_code = 0;  // rc::kMalformedPacket, kProtocolError, kTopicAliasInvalid, ...
  std::string message;           // what was wrong, for logs and v5 reason strings
};

struct DecodeResult {
  bool ok() const { return error.reason_code == 0; }
  Packet packet;
  DecodeError error;
};

// Decodes one packet body. `version` is the connection's negotiated version; for CONNECT it is
// ignored (CONNECT carries its own protocol level). A CONNECT whose protocol name/level is not
// supported yields rc::kUnsupportedProtocolVersion so the caller can answer with a CONNACK.
// Validation done here (everything checkable from the bytes alone): fixed-header flag bits,
// lengths, UTF-8 well-formedness and the absence of U+0000 in strings, property identifiers
// allowed for the packet type and not duplicated, property value ranges, QoS 3, PUBLISH with
// qos>0 and packet id 0, empty SUBSCRIBE/UNSUBSCRIBE, reserved bits, will flags consistency.
// Topic syntax (wildcards in names, levels) is the router's job, not the codec's.
// Reason codes are v5 codes whatever the version: a 3.x CONNACK return code comes back as the v5
// code encode() maps to it (1 -> 0x84 ... 5 -> 0x87), so decode and encode round-trip.
DecodeResult decode(std::uint8_t first_byte, std::string_view body, ProtocolVersion version);

// Appends the wire form of `packet` for a connection speaking `version` to `out`.
// For 3.x it drops properties and v5-only reason codes: CONNACK codes are mapped to 3.x return
// codes, SUBACK failure codes become 0x80, PUBACK/PUBREC/PUBREL/PUBCOMP/UNSUBACK/DISCONNECT carry
// no reason code, AUTH is not encodable (nothing is appended).
// v5 omits the reason code/properties where the spec allows (reason 0 with no properties).
// Throws std::length_error (appending nothing) if a string or binary field exceeds 65,535 bytes
// or the packet exceeds the protocol maximum; decoded packets never do.
void encode(const Packet& packet, ProtocolVersion version, std::string& out);

// Fan-out fast path: encodes a PUBLISH without building a Publish value (no payload copy).
struct PublishHeader {
  bool dup = false;
  std::uint8_t qos = 0;
  bool retain = false;
  std::uint16_t packet_id = 0;
};
void encode_publish(const PublishHeader& header, std::string_view topic,
                    const Properties& properties, std::string_view payload,
                    ProtocolVersion version, std::string& out);

// Exact encoded size of the same PUBLISH (to check a client's Maximum Packet Size first).
std::size_t encoded_publish_size(std::string_view topic, const Properties& properties,
                                 std::size_t payload_size, std::uint8_t qos,
                                 ProtocolVersion version);

}  // namespace gatemq::mqtt
