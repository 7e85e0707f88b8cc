// Bounds-checked primitives of the MQTT wire format (spec 1.5), internal to the codec.
// The reader throws WireError on any violation; decode() turns it into a DecodeError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/mqtt/reason_code.hpp"

namespace gatemq::mqtt::wire {

struct WireError {
  std::uint8_t reason_code;
  const char* what;
};

[[noreturn]] inline void fail(std::uint8_t reason_code, const char* what) {
  throw WireError{reason_code, what};
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - position_; }
  bool done() const { return position_ == data_.size(); }

  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(data_[position_++]);
  }
  std::uint16_t u16() {
    need(2);
    const auto value = static_cast<std::uint16_t>((byte_at(0) << 8) | byte_at(1));
    position_ += 2;
    return value;
  }
  std::uint32_t u32() {
    need(4);
    const std::uint32_t value = (std::uint32_t{byte_at(0)} << 24) |
                                (std::uint32_t{byte_at(1)} << 16) |
                                (std::uint32_t{byte_at(2)} << 8) | std::uint32_t{byte_at(3)};
    position_ += 4;
    return value;
  }
  // Variable Byte Integer: at most 4 bytes. Non-minimal encodings (which spec 1.5.5 forbids
  // senders to produce) are tolerated, as most brokers do; the value is unambiguous.
  std::uint32_t varint() {
    std::uint32_t value = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      const auto byte = u8();
      value |= std::uint32_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
    fail(rc::kMalformedPacket, "variable byte integer longer than 4 bytes");
  }
  std::string_view bytes(std::size_t count) {
    need(count);
    const auto view = data_.substr(position_, count);
    position_ += count;
    return view;
  }
  std::string binary() { return std::string(bytes(u16())); }
  std::string utf8();  // validated UTF-8 string (decode.cpp)
  std::string_view rest() { return bytes(remaining()); }

 private:
  void need(std::size_t count) const {
    if (remaining() < count) fail(rc::kMalformedPacket, "packet shorter than its fields");
  }
  std::uint8_t byte_at(std::size_t offset) const {
    return static_cast<std::uint8_t>(data_[position_ + offset]);
  }

  std::string_view data_;
  std::size_t position_ = 0;
};

inline std::size_t varint_size(std::uint32_t value) {
  return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : 4;
}
inline void put_u8(std::string& out, std::uint8_t value) {
  out.push_back(static_cast<char>(value));
}
inline void put_u16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xFF));
}
inline void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
}
inline void put_varint(std::string& out, std::uint32_t value) {
  do {
    std::uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value);
}
// Strings and binary data carry a two-byte length; longer values cannot be represented.
void put_string(std::string& out, std::string_view value);

}  // namespace gatemq::mqtt::wire
