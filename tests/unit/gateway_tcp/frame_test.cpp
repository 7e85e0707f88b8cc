#include "gateways/tcp/frame.hpp"

#include <gtest/gtest.h>

#include <random>

namespace gatemq::gateway::tcp {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(TcpFrame, ConnectFromTheSeedText) {
  // 0x11 (CONNECT, version 1), length 7, keepalive 60, client id "abcd".
  const auto input = bytes({0x11, 0x00, 0x07, 0x3c, 0x00, 0x04, 'a', 'b', 'c', 'd'});
  const auto parsed = parse_frame(input, kMaxPayload);
  ASSERT_EQ(parsed.status, ParseResult::Status::Complete);
  EXPECT_EQ(parsed.consumed, input.size());
  EXPECT_EQ(parsed.frame.type, FrameType::Connect);
  EXPECT_EQ(parsed.frame.flags, 1);
  const auto connect = parse_connect(parsed.frame.flags, parsed.frame.payload);
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->keepalive, 60);
  EXPECT_EQ(connect->client_id, "abcd");
  EXPECT_FALSE(connect->username);
}

TEST(TcpFrame, ConnectWithCredentialsRoundTrips) {
  const ConnectFrame connect{1, 30, "dev-1", "user", "secret"};
  std::string wire;
  encode_connect(connect, wire);
  const auto parsed = parse_frame(wire, kMaxPayload);
  ASSERT_EQ(parsed.status, ParseResult::Status::Complete);
  EXPECT_EQ(parse_connect(parsed.frame.flags, parsed.frame.payload), connect);
}

TEST(TcpFrame, BadConnectPayloads) {
  EXPECT_FALSE(parse_connect(1, ""));
  EXPECT_FALSE(parse_connect(1, bytes({60, 0x00, 0x00}))) << "empty client id";
  EXPECT_FALSE(parse_connect(1, bytes({60, 0x00, 0x05, 'a'}))) << "truncated client id";
  EXPECT_FALSE(parse_connect(1, bytes({60, 0x00, 0x01, 'a', 0x00}))) << "half a username length";
  EXPECT_FALSE(parse_connect(1, bytes({60, 0x00, 0x01, 'a', 0x00, 0x00, 0x00, 0x00, 'x'})))
      << "bytes after the password";
}

TEST(TcpFrame, DatatransPingDisconnect) {
  std::string wire;
  encode_datatrans("abcd", wire);
  EXPECT_EQ(wire, bytes({0x30, 0x00, 0x04, 'a', 'b', 'c', 'd'}));
  wire += bytes({0x40, 0x60});
  auto first = parse_frame(wire, kMaxPayload);
  ASSERT_EQ(first.status, ParseResult::Status::Complete);
  EXPECT_EQ(first.frame.type, FrameType::Datatrans);
  EXPECT_EQ(first.frame.payload, "abcd");
  auto second = parse_frame(std::string_view(wire).substr(first.consumed), kMaxPayload);
  EXPECT_EQ(second.frame.type, FrameType::Ping);
  EXPECT_EQ(second.consumed, 1u);
  auto third = parse_frame(std::string_view(wire).substr(first.consumed + 1), kMaxPayload);
  EXPECT_EQ(third.frame.type, FrameType::Disconnect);
}

TEST(TcpFrame, ServerFramesEncode) {
  std::string wire;
  encode_connack(ConnackCode::AuthFailed, "", wire);
  EXPECT_EQ(wire, bytes({0x21, 0x00, 0x00}));
  wire.clear();
  encode_bare(FrameType::Pong, wire);
  EXPECT_EQ(wire, bytes({0x50}));
}

TEST(TcpFrame, PartialInputNeedsMore) {
  std::string wire;
  encode_datatrans(std::string(300, 'x'), wire);
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    EXPECT_EQ(parse_frame(std::string_view(wire).substr(0, cut), kMaxPayload).status,
              ParseResult::Status::NeedMore);
  }
}

TEST(TcpFrame, InvalidInput) {
  EXPECT_EQ(parse_frame(bytes({0x20, 0, 0}), kMaxPayload).status, ParseResult::Status::Invalid)
      << "CONNACK is server-only";
  EXPECT_EQ(parse_frame(bytes({0x50}), kMaxPayload).status, ParseResult::Status::Invalid);
  EXPECT_EQ(parse_frame(bytes({0x70}), kMaxPayload).status, ParseResult::Status::Invalid);
  EXPECT_EQ(parse_frame(bytes({0x00}), kMaxPayload).status, ParseResult::Status::Invalid);
  EXPECT_EQ(parse_frame(bytes({0x30, 0x01, 0x00}), 100).status, ParseResult::Status::Invalid)
      << "256 bytes over a 100-byte limit, known before the payload arrives";
}

TEST(TcpFrame, RandomInputNeverCrashes) {
  std::mt19937 random(5);
  for (int i = 0; i < 100000; ++i) {
    std::string input(random() % 40, '\0');
    for (auto& c : input) c = static_cast<char>(random() & 0xFF);
    std::string_view rest = input;
    while (true) {
      const auto parsed = parse_frame(rest, 32);
      if (parsed.status != ParseResult::Status::Complete) break;
      if (parsed.frame.type == FrameType::Connect) parse_connect(parsed.frame.flags, parsed.frame.payload);
      rest.remove_prefix(parsed.consumed);
    }
  }
}

}  // namespace
}  // namespace gatemq::gateway::tcp
