// Hostile input: truncations and random bytes must give an error or a packet, never a crash
// (run under ASan/UBSan in CI), and anything accepted must survive a re-encode.
#include <gtest/gtest.h>

#include <random>

#include "tests/unit/mqtt/codec_test_util.hpp"

namespace gatemq::mqtt::testing {
namespace {

// Whatever the decoder accepts, the encoder must write back as something that decodes to the
// same packet: no field is lost or changed on the way through.
void check_reencodes(const DecodeResult& result, ProtocolVersion version) {
  if (!result.ok()) return;
  std::string out;
  encode(result.packet, version, out);
  ASSERT_FALSE(out.empty()) << "only AUTH before v5 encodes to nothing, and it never decodes";
  const auto again = decode_whole(out, version);
  ASSERT_TRUE(again.ok()) << again.error.message << " " << hex(out);
  EXPECT_EQ(again.packet, result.packet) << hex(out);
}

TEST(CodecFuzz, EveryTruncatedBody) {
  for (const auto& [packet, version] : sample_packets()) {
    const auto bytes = encoded(packet, version);
    const auto frame = next_frame(bytes, 0);
    ASSERT_EQ(frame.status, Frame::Status::Complete);
    for (std::size_t cut = 0; cut < frame.body.size(); ++cut) {
      const auto result = decode(frame.first_byte, frame.body.substr(0, cut), version);
      check_reencodes(result, version);
    }
  }
}

TEST(CodecFuzz, RandomBodies) {
  std::mt19937 random(4242);
  const ProtocolVersion versions[] = {ProtocolVersion::v31, ProtocolVersion::v311,
                                      ProtocolVersion::v5};
  std::size_t accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto first_byte = static_cast<std::uint8_t>(random() & 0xFF);
    const auto length = random() % 64;
    std::string body(length, '\0');
    for (auto& c : body) c = static_cast<char>(random() & 0xFF);
    const auto version = versions[i % 3];
    const auto result = decode(first_byte, body, version);
    if (result.ok()) ++accepted;
    check_reencodes(result, version);
  }
  EXPECT_GT(accepted, 0u);  // the generator does reach valid packets
}

TEST(CodecFuzz, MutatedValidPackets) {
  std::mt19937 random(7);
  const auto samples = sample_packets();
  for (int i = 0; i < 100000; ++i) {
    const auto& [packet, version] = samples[random() % samples.size()];
    auto bytes = encoded(packet, version);
    const int flips = 1 + random() % 3;
    for (int f = 0; f < flips; ++f)
      bytes[random() % bytes.size()] ^= static_cast<char>(1 << (random() % 8));
    const auto frame = next_frame(bytes, 0);
    if (frame.status != Frame::Status::Complete) continue;
    check_reencodes(decode(frame.first_byte, frame.body, version), version);
  }
}

TEST(CodecFuzz, RandomStreamsThroughTheFramer) {
  std::mt19937 random(99);
  for (int i = 0; i < 20000; ++i) {
    std::string stream(random() % 200, '\0');
    for (auto& c : stream) c = static_cast<char>(random() & 0xFF);
    std::string_view rest = stream;
    while (true) {
      const auto frame = next_frame(rest, 1000);
      if (frame.status != Frame::Status::Complete) break;
      decode(frame.first_byte, frame.body, ProtocolVersion::v5);
      rest.remove_prefix(frame.consumed);
    }
  }
}

}  // namespace
}  // namespace gatemq::mqtt::testing
