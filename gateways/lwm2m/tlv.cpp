#include "gateways/lwm2m/tlv.hpp"

#include <bit>
#include <cstring>
#include <string>

namespace gatemq::gateway::lwm2m::tlv {
namespace {

// Type byte layout (TS §6.4.3 table "TLV format"):
//   bits 7-6 kind, bit 5 identifier is 16 bits, bits 4-3 length field size (0 = the length is in
//   bits 2-0, 1/2/3 = an 8/16/24-bit length field follows the identifier).
constexpr std::uint8_t kKindShift = 6;
constexpr std::uint8_t kWideIdentifierBit = 0x20;
constexpr std::uint8_t kLengthTypeShift = 3;
constexpr std::uint8_t kLengthTypeMask = 0x03;
constexpr std::uint8_t kShortLengthMask = 0x07;

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::ObjectInstance:
      return "object instance";
    case Kind::ResourceInstance:
      return "resource instance";
    case Kind::MultipleResource:
      return "multiple resource";
    case Kind::ResourceValue:
      return "resource";
  }
  return "?";
}

// Which kinds may appear inside a given parent; nullptr parent = top level, anything goes.
bool allowed_inside(const Kind* parent, Kind child) {
  if (parent == nullptr) return true;
  switch (*parent) {
    case Kind::ObjectInstance:
      return child == Kind::ResourceValue || child == Kind::MultipleResource;
    case Kind::MultipleResource:
      return child == Kind::ResourceInstance;
    default:
      return false;
  }
}

// `offset` is only used to make error messages point at the offending byte.
Result<std::vector<Entry>> decode_sequence(std::span<const std::uint8_t> bytes, const Kind* parent,
                                           std::size_t offset) {
  std::vector<Entry> entries;
  std::size_t position = 0;
  const auto fail = [&](const std::string& what) {
    return Error{"malformed TLV at byte " + std::to_string(offset + position) + ": " + what};
  };
  while (position < bytes.size()) {
    const std::size_t remaining = bytes.size() - position;
    const std::uint8_t type = bytes[position];
    const auto kind = static_cast<Kind>(type >> kKindShift);
    if (!allowed_inside(parent, kind)) {
      return fail(std::string(kind_name(kind)) + " is not allowed inside a " + kind_name(*parent));
    }
    const std::size_t identifier_size = (type & kWideIdentifierBit) ? 2 : 1;
    const std::size_t length_field_size = (type >> kLengthTypeShift) & kLengthTypeMask;
    const std::size_t header_size = 1 + identifier_size + length_field_size;
    if (remaining < header_size) return fail("header truncated");

    const auto* header = bytes.data() + position;
    std::uint16_t id = header[1];
    if (identifier_size == 2) id = static_cast<std::uint16_t>((header[1] << 8) | header[2]);
    std::size_t length = type & kShortLengthMask;
    if (length_field_size > 0) {
      length = 0;
      for (std::size_t i = 0; i < length_field_size; ++i) {
        length = (length << 8) | header[1 + identifier_size + i];
      }
    }
    if (length > remaining - header_size) {
      return fail("length " + std::to_string(length) + " exceeds the " +
                  std::to_string(remaining - header_size) + " bytes left");
    }

    Entry entry;
    entry.kind = kind;
    entry.id = id;
    const auto content = bytes.subspan(position + header_size, length);
    if (entry.is_container()) {
      auto children = decode_sequence(content, &entry.kind, offset + position + header_size);
      if (!children) return Error{children.error()};
      entry.children = std::move(children).value();
    } else {
      entry.value.assign(content.begin(), content.end());
    }
    entries.push_back(std::move(entry));
    position += header_size + length;
  }
  return entries;
}

void append_header(std::vector<std::uint8_t>& out, Kind kind, std::uint16_t id,
                   std::size_t length) {
  std::uint8_t type = static_cast<std::uint8_t>(static_cast<std::uint8_t>(kind) << kKindShift);
  const bool wide_id = id > 0xFF;
  if (wide_id) type |= kWideIdentifierBit;
  std::size_t length_field_size = 0;
  if (length <= kShortLengthMask) {
    type |= static_cast<std::uint8_t>(length);
  } else {
    length_field_size = length <= 0xFF ? 1 : length <= 0xFFFF ? 2 : 3;
    type |= static_cast<std::uint8_t>(length_field_size << kLengthTypeShift);
  }
  out.push_back(type);
  if (wide_id) out.push_back(static_cast<std::uint8_t>(id >> 8));
  out.push_back(static_cast<std::uint8_t>(id & 0xFF));
  for (std::size_t i = length_field_size; i > 0; --i) {
    out.push_back(static_cast<std::uint8_t>((length >> (8 * (i - 1))) & 0xFF));
  }
}

Result<bool> encode_sequence(std::span<const Entry> entries, const Kind* parent,
                             std::vector<std::uint8_t>& out) {
  for (const auto& entry : entries) {
    const std::string where = std::string(kind_name(entry.kind)) + " " + std::to_string(entry.id);
    if (!allowed_inside(parent, entry.kind)) {
      return Error{"TLV " + where + " is not allowed inside a " + kind_name(*parent)};
    }
    if (entry.is_container()) {
      if (!entry.value.empty()) return Error{"TLV " + where + " cannot carry a value"};
      std::vector<std::uint8_t> content;
      auto done = encode_sequence(entry.children, &entry.kind, content);
      if (!done) return done;
      if (content.size() > kMaxValueLength) return Error{"TLV " + where + " is too long"};
      append_header(out, entry.kind, entry.id, content.size());
      out.insert(out.end(), content.begin(), content.end());
    } else {
      if (!entry.children.empty()) return Error{"TLV " + where + " cannot hold other TLVs"};
      if (entry.value.size() > kMaxValueLength) return Error{"TLV " + where + " is too long"};
      append_header(out, entry.kind, entry.id, entry.value.size());
      out.insert(out.end(), entry.value.begin(), entry.value.end());
    }
  }
  return true;
}

std::vector<std::uint8_t> big_endian(std::uint64_t bits, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; ++i) {
    out[size - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  }
  return out;
}

std::uint64_t read_big_endian(std::span<const std::uint8_t> bytes) {
  std::uint64_t bits = 0;
  for (const auto byte : bytes) bits = (bits << 8) | byte;
  return bits;
}

bool is_integer_size(std::size_t size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

}  // namespace

Result<std::vector<Entry>> decode(std::span<const std::uint8_t> bytes) {
  return decode_sequence(bytes, nullptr, 0);
}

Result<std::vector<std::uint8_t>> encode(std::span<const Entry> entries) {
  std::vector<std::uint8_t> out;
  auto done = encode_sequence(entries, nullptr, out);
  if (!done) return Error{done.error()};
  return out;
}

Entry resource(std::uint16_t id, std::vector<std::uint8_t> value) {
  return Entry{Kind::ResourceValue, id, std::move(value), {}};
}
Entry resource_instance(std::uint16_t id, std::vector<std::uint8_t> value) {
  return Entry{Kind::ResourceInstance, id, std::move(value), {}};
}
Entry multiple_resource(std::uint16_t id, std::vector<Entry> instances) {
  return Entry{Kind::MultipleResource, id, {}, std::move(instances)};
}
Entry object_instance(std::uint16_t id, std::vector<Entry> resources) {
  return Entry{Kind::ObjectInstance, id, {}, std::move(resources)};
}

std::vector<std::uint8_t> encode_integer(std::int64_t value) {
  std::size_t size = 8;
  if (value >= INT8_MIN && value <= INT8_MAX) {
    size = 1;
  } else if (value >= INT16_MIN && value <= INT16_MAX) {
    size = 2;
  } else if (value >= INT32_MIN && value <= INT32_MAX) {
    size = 4;
  }
  return big_endian(static_cast<std::uint64_t>(value), size);
}

std::vector<std::uint8_t> encode_unsigned(std::uint64_t value) {
  const std::size_t size = value <= UINT8_MAX    ? 1
                           : value <= UINT16_MAX ? 2
                           : value <= UINT32_MAX ? 4
                                                 : 8;
  return big_endian(value, size);
}

std::vector<std::uint8_t> encode_float(double value) {
  const auto narrow = static_cast<float>(value);
  // NaN never compares equal, so it goes out as a double; that is still a valid Float.
  if (static_cast<double>(narrow) == value) {
    return big_endian(std::bit_cast<std::uint32_t>(narrow), 4);
  }
  return big_endian(std::bit_cast<std::uint64_t>(value), 8);
}

std::vector<std::uint8_t> encode_boolean(bool value) {
  return {static_cast<std::uint8_t>(value)};
}

std::vector<std::uint8_t> encode_object_link(ObjectLink link) {
  return {static_cast<std::uint8_t>(link.object_id >> 8),
          static_cast<std::uint8_t>(link.object_id & 0xFF),
          static_cast<std::uint8_t>(link.instance_id >> 8),
          static_cast<std::uint8_t>(link.instance_id & 0xFF)};
}

Result<std::int64_t> decode_integer(std::span<const std::uint8_t> value) {
  if (!is_integer_size(value.size())) {
    return Error{"an integer must be 1, 2, 4 or 8 bytes, not " + std::to_string(value.size())};
  }
  const std::uint64_t bits = read_big_endian(value);
  // Sign-extend from the top bit of the actual width.
  const unsigned unused_bits = 64 - 8 * static_cast<unsigned>(value.size());
  const std::uint64_t shifted = bits << unused_bits;
  return static_cast<std::int64_t>(shifted) >> unused_bits;
}

Result<std::uint64_t> decode_unsigned(std::span<const std::uint8_t> value) {
  if (!is_integer_size(value.size())) {
    return Error{"an unsigned integer must be 1, 2, 4 or 8 bytes, not " +
                 std::to_string(value.size())};
  }
  return read_big_endian(value);
}

Result<double> decode_float(std::span<const std::uint8_t> value) {
  if (value.size() == 4) {
    return static_cast<double>(
        std::bit_cast<float>(static_cast<std::uint32_t>(read_big_endian(value))));
  }
  if (value.size() == 8) return std::bit_cast<double>(read_big_endian(value));
  return Error{"a float must be 4 or 8 bytes, not " + std::to_string(value.size())};
}

Result<bool> decode_boolean(std::span<const std::uint8_t> value) {
  if (value.size() != 1) {
    return Error{"a boolean must be 1 byte, not " + std::to_string(value.size())};
  }
  if (value[0] > 1) return Error{"a boolean must be 0 or 1, not " + std::to_string(value[0])};
  return value[0] == 1;
}

Result<ObjectLink> decode_object_link(std::span<const std::uint8_t> value) {
  if (value.size() != 4) {
    return Error{"an object link must be 4 bytes, not " + std::to_string(value.size())};
  }
  return ObjectLink{static_cast<std::uint16_t>((value[0] << 8) | value[1]),
                    static_cast<std::uint16_t>((value[2] << 8) | value[3])};
}

}  // namespace gatemq::gateway::lwm2m::tlv
