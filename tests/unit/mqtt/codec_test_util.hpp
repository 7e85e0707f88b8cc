// Helpers shared by the codec tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/mqtt/codec.hpp"
#include "core/mqtt/reason_code.hpp"

namespace gatemq::mqtt::testing {

inline std::string encoded(const Packet& packet, ProtocolVersion version) {
  std::string out;
  encode(packet, version, out);
  return out;
}

// Frames and decodes one whole packet.
inline DecodeResult decode_whole(std::string_view bytes, ProtocolVersion version) {
  const auto frame = next_frame(bytes, 0);
  EXPECT_EQ(frame.status, Frame::Status::Complete);
  EXPECT_EQ(frame.consumed, bytes.size());
  return decode(frame.first_byte, frame.body, version);
}

inline std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline std::string unhex(std::string_view text) {
  std::string out;
  auto value = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    if (text[i] == ' ') {
      --i;
      continue;
    }
    out += static_cast<char>(value(text[i]) * 16 + value(text[i + 1]));
  }
  return out;
}

Properties all_publish_properties();
Properties all_connack_properties();
std::vector<std::pair<Packet, ProtocolVersion>> sample_packets();

}  // namespace gatemq::mqtt::testing
