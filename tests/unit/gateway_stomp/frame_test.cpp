#include "gateways/stomp/frame.hpp"

#include <gtest/gtest.h>

#include <random>

namespace gatemq::gateway::stomp {
namespace {

using Status = ParseResult::Status;
const FrameLimits kLimits;

ParseResult parse(std::string_view input, Version version = Version::v12) {
  return parse_frame(input, version, kLimits);
}

TEST(StompFrame, SendWithHeadersAndBody) {
  const std::string input("SEND\ndestination:/queue/a\nreceipt:77\n\nhello\0", 44);
  const auto result = parse(input);
  ASSERT_EQ(result.status, Status::Complete) << result.error;
  EXPECT_EQ(result.consumed, input.size());
  EXPECT_EQ(result.frame.command, "SEND");
  ASSERT_NE(result.frame.header("destination"), nullptr);
  EXPECT_EQ(*result.frame.header("destination"), "/queue/a");
  EXPECT_EQ(*result.frame.header("receipt"), "77");
  EXPECT_EQ(result.frame.body, "hello");
}

TEST(StompFrame, CrLfLinesAndRepeatedHeadersFirstWins) {
  const std::string input("MESSAGE\r\nfoo:first\r\nfoo:second\r\n\r\n\0", 35);
  const auto result = parse(input);
  ASSERT_EQ(result.status, Status::Complete) << result.error;
  EXPECT_EQ(*result.frame.header("foo"), "first");
  EXPECT_EQ(result.frame.headers.size(), 2u);
}

TEST(StompFrame, ContentLengthBodyMayHoldNuls) {
  const std::string body("a\0b\0c", 5);
  const std::string input = "SEND\ndestination:t\ncontent-length:5\n\n" + body + std::string(1, '\0');
  const auto result = parse(input);
  ASSERT_EQ(result.status, Status::Complete) << result.error;
  EXPECT_EQ(result.frame.body, body);
}

TEST(StompFrame, HeartbeatsBetweenFrames) {
  EXPECT_EQ(parse("\n").status, Status::Heartbeat);
  EXPECT_EQ(parse("\r\n").consumed, 2u);
  EXPECT_EQ(parse("\r").status, Status::NeedMore);
}

TEST(StompFrame, EveryPrefixNeedsMore) {
  const std::string input("SUBSCRIBE\nid:0\ndestination:a/#\nack:client\n\n\0", 44);
  ASSERT_EQ(parse(input).status, Status::Complete);
  for (std::size_t cut = 0; cut < input.size(); ++cut) {
    const auto status = parse(std::string_view(input).substr(0, cut)).status;
    EXPECT_TRUE(status == Status::NeedMore) << cut;
  }
}

TEST(StompFrame, EscapingPerVersion) {
  EXPECT_EQ(escape_header("a:b\nc\\d\re", Version::v12), "a\\cb\\nc\\\\d\\re");
  EXPECT_EQ(escape_header("a:b\re", Version::v11), "a\\cb\re");
  EXPECT_EQ(escape_header("a:b", Version::v10), "a:b");
  EXPECT_EQ(unescape_header("a\\cb\\nc\\\\d\\re", Version::v12), "a:b\nc\\d\re");
  EXPECT_FALSE(unescape_header("\\r", Version::v11)) << "\\r is 1.2 only";
  EXPECT_FALSE(unescape_header("\\t", Version::v12));
  EXPECT_FALSE(unescape_header("trailing\\", Version::v12));
  EXPECT_EQ(unescape_header("\\t", Version::v10), "\\t") << "1.0 has no escapes";
  // Header values are unescaped, except in CONNECT.
  const std::string send("SEND\ndestination:a\\cb\n\n\0", 24);
  EXPECT_EQ(*parse(send).frame.header("destination"), "a:b");
  const std::string connect("CONNECT\nlogin:a\\cb\n\n\0", 21);
  EXPECT_EQ(*parse(connect).frame.header("login"), "a\\cb");
  const std::string bad("SEND\ndestination:a\\tb\n\n\0", 24);
  EXPECT_EQ(parse(bad).status, Status::Invalid);
}

TEST(StompFrame, EncodeRoundTrips) {
  Frame frame{"MESSAGE", {{"destination", "x:y"}, {"subscription", "0"}}, std::string("b\0dy", 4)};
  const auto wire = encode_frame(frame, Version::v12);
  const auto result = parse(wire);
  ASSERT_EQ(result.status, Status::Complete) << result.error;
  EXPECT_EQ(result.consumed, wire.size());
  EXPECT_EQ(*result.frame.header("destination"), "x:y");
  EXPECT_EQ(*result.frame.header("content-length"), "4");
  EXPECT_EQ(result.frame.body, frame.body);
  EXPECT_EQ(encode_frame(Frame{"RECEIPT", {{"receipt-id", "1"}}, ""}, Version::v11),
            std::string("RECEIPT\nreceipt-id:1\n\n\0", 23));
}

TEST(StompFrame, LimitsAndMalformedInput) {
  FrameLimits small{.max_headers = 2, .max_header_length = 16, .max_body_length = 4};
  EXPECT_EQ(parse_frame(std::string("SEND\na:1\nb:2\nc:3\n\n\0", 19), Version::v12, small).status,
            Status::Invalid);
  EXPECT_EQ(parse_frame("SEND\nverylongheadername:value\n\n", Version::v12, small).status,
            Status::Invalid);
  EXPECT_EQ(parse_frame(std::string("SEND\n\nhello\0", 12), Version::v12, small).status,
            Status::Invalid);
  EXPECT_EQ(parse_frame("SEND\ncontent-length:5\n\n", Version::v12, small).status,
            Status::Invalid) << "known too long before the body arrives";
  EXPECT_EQ(parse_frame("SEND\n\nabcdef", Version::v12, small).status, Status::Invalid)
      << "no NUL yet but already over the limit";
  EXPECT_EQ(parse(std::string("send\n\n\0", 7)).status, Status::Invalid) << "lower-case command";
  EXPECT_EQ(parse(std::string("SEND\nnocolon\n\n\0", 15)).status, Status::Invalid);
  EXPECT_EQ(parse(std::string("SEND\n:value\n\n\0", 14)).status, Status::Invalid);
  EXPECT_EQ(parse(std::string("SEND\ncontent-length:x\n\n\0", 24)).status, Status::Invalid);
  EXPECT_EQ(parse(std::string("SEND\ncontent-length:1\n\nab", 25)).status, Status::Invalid)
      << "no NUL right after content-length bytes";
}

TEST(StompFrame, RandomInputNeverCrashes) {
  std::mt19937 random(61613);
  const std::string alphabet("SENDCOTabc:\\\n\r\0-0123456789", 27);
  for (int i = 0; i < 100000; ++i) {
    std::string input(random() % 64, ' ');
    for (auto& c : input) c = alphabet[random() % alphabet.size()];
    std::string_view rest = input;
    for (int step = 0; step < 64; ++step) {
      const auto result = parse_frame(rest, static_cast<Version>(random() % 3), kLimits);
      if (result.status != Status::Complete && result.status != Status::Heartbeat) break;
      ASSERT_GT(result.consumed, 0u);
      rest.remove_prefix(result.consumed);
    }
  }
}

}  // namespace
}  // namespace gatemq::gateway::stomp
