// OMA-TLV, the binary content format 11542 of LwM2M (OMA LwM2M 1.0 TS §6.4.3; unchanged in 1.1).
//
// Each TLV is: a type byte, an identifier of 8 or 16 bits, a length held either in the type
// byte's low 3 bits or in an 8/16/24-bit field, then the value. The type byte's top two bits say
// what the identifier names:
//   00 Object Instance     -> value is a sequence of Resource / Multiple Resource TLVs
//   01 Resource Instance   -> value is raw resource data
//   10 Multiple Resource   -> value is a sequence of Resource Instance TLVs
//   11 Resource with Value -> value is raw resource data
// The decoder checks every length against what is left and accepts nesting only in those two
// forms, so a TLV tree is at most three levels deep. It never throws and never reads past the
// input; malformed input gives an Error.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gateways/lwm2m/path.hpp"

namespace gatemq::gateway::lwm2m::tlv {

enum class Kind : std::uint8_t {
  ObjectInstance = 0b00,
  ResourceInstance = 0b01,
  MultipleResource = 0b10,
  ResourceValue = 0b11,
};

// Values above this do not fit the 24-bit length field.
inline constexpr std::size_t kMaxValueLength = 0xFFFFFF;

struct Entry {
  Kind kind = Kind::ResourceValue;
  std::uint16_t id = 0;
  std::vector<std::uint8_t> value;  // ResourceValue and ResourceInstance only
  std::vector<Entry> children;      // ObjectInstance and MultipleResource only

  bool is_container() const {
    return kind == Kind::ObjectInstance || kind == Kind::MultipleResource;
  }
  friend bool operator==(const Entry&, const Entry&) = default;
};

// Top level accepts every kind (what is meaningful depends on the request path, which the
// content layer checks). Inside an Object Instance: Resource / Multiple Resource only; inside a
// Multiple Resource: Resource Instance only. Non-canonical but unambiguous forms are accepted (a
// 16-bit identifier below 256, a length field where 3 bits would do, stray bits 2-0 of the
// type byte when a length field is present).
Result<std::vector<Entry>> decode(std::span<const std::uint8_t> bytes);

// Canonical encoding: 8-bit identifiers when they fit, the shortest length form. Fails when an
// entry's content exceeds 24 bits of length or the nesting rules above are broken (a container
// holding a value or a value holding children).
Result<std::vector<std::uint8_t>> encode(std::span<const Entry> entries);

// Convenience constructors.
Entry resource(std::uint16_t id, std::vector<std::uint8_t> value);
Entry resource_instance(std::uint16_t id, std::vector<std::uint8_t> value);
Entry multiple_resource(std::uint16_t id, std::vector<Entry> instances);
Entry object_instance(std::uint16_t id, std::vector<Entry> resources);

// ---------------------------------------------------------------------------------------------
// Resource values (TS Appendix C). Integers and Time are big-endian two's complement in 1, 2, 4
// or 8 bytes; Unsigned Integer the same without sign; Float IEEE 754 in 4 or 8 bytes; Boolean
// one byte 0 or 1; Objlnk two 16-bit big-endian ids (object, instance). Strings are raw UTF-8
// and Opaque raw bytes, so they need no helper.

struct ObjectLink {
  std::uint16_t object_id = 0;
  std::uint16_t instance_id = 0;
  friend bool operator==(const ObjectLink&, const ObjectLink&) = default;
};

// Smallest of 1/2/4/8 bytes that holds the value.
std::vector<std::uint8_t> encode_integer(std::int64_t value);
std::vector<std::uint8_t> encode_unsigned(std::uint64_t value);
// 4 bytes when the value survives the round trip through float, else 8.
std::vector<std::uint8_t> encode_float(double value);
std::vector<std::uint8_t> encode_boolean(bool value);
std::vector<std::uint8_t> encode_object_link(ObjectLink link);

Result<std::int64_t> decode_integer(std::span<const std::uint8_t> value);
Result<std::uint64_t> decode_unsigned(std::span<const std::uint8_t> value);
Result<double> decode_float(std::span<const std::uint8_t> value);  // may be NaN or infinite
Result<bool> decode_boolean(std::span<const std::uint8_t> value);
Result<ObjectLink> decode_object_link(std::span<const std::uint8_t> value);

}  // namespace gatemq::gateway::lwm2m::tlv
