#include "core/net/websocket_codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gatemq::net::ws {
namespace {

using State = FrameDecoder::Result::State;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int value : values) out.push_back(static_cast<char>(value));
  return out;
}

enum class LengthForm { shortest, sixteen_bit, sixty_four_bit };

struct ClientFrame {
  std::uint8_t opcode = 1;
  std::string payload;
  bool fin = true;
  std::uint8_t rsv = 0;  // the three RSV bits, 0..7
  bool masked = true;
  LengthForm length_form = LengthForm::shortest;
  std::array<std::uint8_t, 4> mask{0x37, 0xfa, 0x21, 0x3d};
};

// Encodes a client frame the way a (possibly misbehaving) client would.
std::string encode_client(const ClientFrame& frame) {
  std::string out;
  out.push_back(static_cast<char>((frame.fin ? 0x80 : 0) | (frame.rsv << 4) | frame.opcode));
  const std::uint8_t mask_bit = frame.masked ? 0x80 : 0;
  const std::uint64_t size = frame.payload.size();
  LengthForm form = frame.length_form;
  if (form == LengthForm::shortest) {
    form = size < 126 ? LengthForm::shortest
                      : (size <= 0xffff ? LengthForm::sixteen_bit : LengthForm::sixty_four_bit);
  }
  if (form == LengthForm::shortest) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (form == LengthForm::sixteen_bit) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  }
  if (frame.masked) {
    for (const auto byte : frame.mask) out.push_back(static_cast<char>(byte));
  }
  for (std::size_t index = 0; index < frame.payload.size(); ++index) {
    const auto key = frame.masked ? frame.mask[index % 4] : 0;
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(frame.payload[index]) ^ key));
  }
  return out;
}

// Drains the decoder: every event until need_more, or up to and including an error.
std::vector<FrameDecoder::Result> drain(FrameDecoder& decoder) {
  std::vector<FrameDecoder::Result> events;
  while (true) {
    auto result = decoder.next();
    if (result.state == State::need_more) return events;
    const bool error = result.state == State::error;
    events.push_back(std::move(result));
    if (error) return events;
  }
}

std::vector<FrameDecoder::Result> decode(std::string_view input, std::uint64_t max = 0) {
  FrameDecoder decoder(max);
  decoder.feed(input);
  return drain(decoder);
}

// Decodes `input` expecting exactly one error, and returns its close code.
std::uint16_t error_code_of(std::string_view input, std::uint64_t max = 0) {
  const auto events = decode(input, max);
  if (events.empty() || events.back().state != State::error) return 0;
  return events.back().close_code;
}

void expect_frame(const FrameDecoder::Result& result, Opcode opcode, std::string_view payload) {
  ASSERT_EQ(result.state, State::frame);
  EXPECT_EQ(result.frame.opcode, opcode);
  EXPECT_TRUE(result.frame.fin);
  EXPECT_EQ(result.frame.payload, payload);
}

// ---------------------------------------------------------------------------------------------
// RFC 6455 section 5.7 examples

TEST(WebSocketFrames, MaskedHelloFromRfc) {
  const auto events =
      decode(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  ASSERT_EQ(events.size(), 1u);
  expect_frame(events[0], Opcode::text, "Hello");
}

TEST(WebSocketFrames, MaskedPongFromRfc) {
  const auto events =
      decode(bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  ASSERT_EQ(events.size(), 1u);
  expect_frame(events[0], Opcode::pong, "Hello");
}

TEST(WebSocketFrames, UnmaskedRfcExamplesAreRefused) {
  EXPECT_EQ(error_code_of(bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})), kCloseProtocolError);
  // Fragmented unmasked "Hel" + "lo".
  EXPECT_EQ(error_code_of(bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f})),
            kCloseProtocolError);
  EXPECT_EQ(error_code_of(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})), kCloseProtocolError);
}

TEST(WebSocketFrames, Binary256WithSixteenBitLength) {
  std::string payload(256, '\0');
  for (std::size_t index = 0; index < payload.size(); ++index)
    payload[index] = static_cast<char>(index);
  const std::string wire = encode_client({.opcode = 2, .payload = payload});
  ASSERT_EQ(wire.substr(0, 4), bytes({0x82, 0xfe, 0x01, 0x00}));
  const auto events = decode(wire);
  ASSERT_EQ(events.size(), 1u);
  expect_frame(events[0], Opcode::binary, payload);
}

TEST(WebSocketFrames, Binary64KiBWithSixtyFourBitLength) {
  std::string payload(65536, '\0');
  for (std::size_t index = 0; index < payload.size(); ++index)
    payload[index] = static_cast<char>(index * 7);
  const std::string wire = encode_client({.opcode = 2, .payload = payload});
  ASSERT_EQ(wire.substr(0, 10), bytes({0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  const auto events = decode(wire);
  ASSERT_EQ(events.size(), 1u);
  expect_frame(events[0], Opcode::binary, payload);
}

// ---------------------------------------------------------------------------------------------
// Fragmentation

TEST(WebSocketFrames, FragmentedTextWithInterleavedPing) {
  const std::string wire = encode_client({.opcode = 1, .payload = "Hel", .fin = false}) +
                           encode_client({.opcode = 9, .payload = "are you there"}) +
                           encode_client({.opcode = 0, .payload = "l", .fin = false}) +
                           encode_client({.opcode = 10, .payload = ""}) +
                           encode_client({.opcode = 0, .payload = "o"});
  const auto events = decode(wire);
  ASSERT_EQ(events.size(), 3u);
  expect_frame(events[0], Opcode::ping, "are you there");
  expect_frame(events[1], Opcode::pong, "");
  expect_frame(events[2], Opcode::text, "Hello");
}

TEST(WebSocketFrames, FragmentedBinaryAndEmptyFragments) {
  const std::string wire = encode_client({.opcode = 2, .payload = "", .fin = false}) +
                           encode_client({.opcode = 0, .payload = "ab", .fin = false}) +
                           encode_client({.opcode = 0, .payload = "", .fin = false}) +
                           encode_client({.opcode = 0, .payload = "c"}) +
                           encode_client({.opcode = 2, .payload = "next"});
  const auto events = decode(wire);
  ASSERT_EQ(events.size(), 2u);
  expect_frame(events[0], Opcode::binary, "abc");
  expect_frame(events[1], Opcode::binary, "next");
}

TEST(WebSocketFrames, Utf8CharacterSplitAcrossFragmentsIsValid) {
  const std::string euro = "\xe2\x82\xac";
  const std::string wire =
      encode_client({.opcode = 1, .payload = euro.substr(0, 1), .fin = false}) +
      encode_client({.opcode = 0, .payload = euro.substr(1)});
  const auto events = decode(wire);
  ASSERT_EQ(events.size(), 1u);
  expect_frame(events[0], Opcode::text, euro);
}

TEST(WebSocketFrames, NonMinimalLengthEncodingIsAccepted) {
  const auto sixteen =
      decode(encode_client({.payload = "Hello", .length_form = LengthForm::sixteen_bit}));
  ASSERT_EQ(sixteen.size(), 1u);
  expect_frame(sixteen[0], Opcode::text, "Hello");
  const auto sixty_four = decode(
      encode_client({.opcode = 9, .payload = "p", .length_form = LengthForm::sixty_four_bit}));
  ASSERT_EQ(sixty_four.size(), 1u);
  expect_frame(sixty_four[0], Opcode::ping, "p");
}

TEST(WebSocketFrames, ValidCloseFramesPass) {
  const auto empty = decode(encode_client({.opcode = 8, .payload = ""}));
  ASSERT_EQ(empty.size(), 1u);
  expect_frame(empty[0], Opcode::close, "");
  const auto with_reason =
      decode(encode_client({.opcode = 8, .payload = encode_close(1000, "bye")}));
  ASSERT_EQ(with_reason.size(), 1u);
  expect_frame(with_reason[0], Opcode::close, encode_close(1000, "bye"));
}

// ---------------------------------------------------------------------------------------------
// Error rules

TEST(WebSocketFrameErrors, ReservedBits) {
  for (std::uint8_t rsv = 1; rsv < 8; ++rsv) {
    EXPECT_EQ(error_code_of(encode_client({.payload = "x", .rsv = rsv})), kCloseProtocolError)
        << int(rsv);
  }
}

TEST(WebSocketFrameErrors, UnknownOpcodes) {
  for (std::uint8_t opcode : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    EXPECT_EQ(error_code_of(encode_client({.opcode = opcode, .payload = ""})), kCloseProtocolError)
        << int(opcode);
  }
}

TEST(WebSocketFrameErrors, ControlFrameRules) {
  for (std::uint8_t opcode : {8, 9, 10}) {
    EXPECT_EQ(error_code_of(encode_client({.opcode = opcode, .payload = std::string(126, 'a')})),
              kCloseProtocolError);
    EXPECT_EQ(error_code_of(encode_client({.opcode = opcode, .payload = "", .fin = false})),
              kCloseProtocolError);
  }
  // 125 bytes is the limit, inclusive.
  const auto events = decode(encode_client({.opcode = 9, .payload = std::string(125, 'a')}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, State::frame);
}

TEST(WebSocketFrameErrors, ContinuationWithoutMessage) {
  EXPECT_EQ(error_code_of(encode_client({.opcode = 0, .payload = "x"})), kCloseProtocolError);
  // Also after a message completed.
  EXPECT_EQ(error_code_of(encode_client({.opcode = 2, .payload = "a"}) +
                          encode_client({.opcode = 0, .payload = "b"})),
            kCloseProtocolError);
}

TEST(WebSocketFrameErrors, NewDataFrameInsideFragmentedMessage) {
  for (std::uint8_t opcode : {1, 2}) {
    EXPECT_EQ(error_code_of(encode_client({.opcode = 2, .payload = "a", .fin = false}) +
                            encode_client({.opcode = opcode, .payload = "b"})),
              kCloseProtocolError);
  }
}

TEST(WebSocketFrameErrors, SixtyFourBitLengthWithMostSignificantBit) {
  const std::string wire = bytes({0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4});
  EXPECT_EQ(error_code_of(wire), kCloseProtocolError);
}

TEST(WebSocketFrameErrors, InvalidUtf8Text) {
  EXPECT_EQ(error_code_of(encode_client({.payload = "\xff"})), kCloseInvalidPayload);
  EXPECT_EQ(error_code_of(encode_client({.payload = "\xc0\xaf"})), kCloseInvalidPayload);
  // A character left unfinished at the end of the message.
  EXPECT_EQ(error_code_of(encode_client({.opcode = 1, .payload = "ok", .fin = false}) +
                          encode_client({.opcode = 0, .payload = "\xe2\x82"})),
            kCloseInvalidPayload);
  // Binary messages are not checked.
  EXPECT_EQ(decode(encode_client({.opcode = 2, .payload = "\xff"})).at(0).state, State::frame);
}

TEST(WebSocketFrameErrors, InvalidClosePayloads) {
  EXPECT_EQ(error_code_of(encode_client({.opcode = 8, .payload = "\x03"})), kCloseProtocolError);
  EXPECT_EQ(error_code_of(encode_client({.opcode = 8, .payload = encode_close(999, "")})),
            kCloseProtocolError);
  EXPECT_EQ(error_code_of(encode_client({.opcode = 8, .payload = encode_close(1005, "")})),
            kCloseProtocolError);
  EXPECT_EQ(error_code_of(encode_client({.opcode = 8, .payload = encode_close(1000, "\xff")})),
            kCloseInvalidPayload);
}

TEST(WebSocketFrameErrors, SingleFrameTooBigIsDetectedFromHeader) {
  // Only the header of a 1 MiB frame: the error comes before any payload arrives.
  const std::string header = bytes({0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4});
  EXPECT_EQ(error_code_of(header.substr(0, 10), 1024), kCloseMessageTooBig);
  EXPECT_EQ(error_code_of(
                encode_client({.opcode = 2, .payload = std::string(1025, 'a')}).substr(0, 4), 1024),
            kCloseMessageTooBig);
  // Exactly the limit is fine.
  EXPECT_EQ(
      decode(encode_client({.opcode = 2, .payload = std::string(1024, 'a')}), 1024).at(0).state,
      State::frame);
  // Control frames count as single frames too.
  EXPECT_EQ(error_code_of(encode_client({.opcode = 9, .payload = std::string(20, 'a')}), 10),
            kCloseMessageTooBig);
}

TEST(WebSocketFrameErrors, FragmentsSumTooBig) {
  const std::string wire =
      encode_client({.opcode = 2, .payload = std::string(600, 'a'), .fin = false}) +
      encode_client({.opcode = 0, .payload = std::string(424, 'b'), .fin = false});
  FrameDecoder decoder(1024);
  decoder.feed(wire);
  EXPECT_TRUE(drain(decoder).empty());
  // The next fragment's header alone is enough to refuse it.
  decoder.feed(encode_client({.opcode = 0, .payload = "c"}).substr(0, 2));
  const auto result = decoder.next();
  EXPECT_EQ(result.state, State::error);
  EXPECT_EQ(result.close_code, kCloseMessageTooBig);
}

TEST(WebSocketFrameErrors, ErrorIsSticky) {
  FrameDecoder decoder;
  decoder.feed(encode_client({.payload = "x", .masked = false}));
  const auto first = decoder.next();
  ASSERT_EQ(first.state, State::error);
  decoder.feed(encode_client({.payload = "valid"}));
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto again = decoder.next();
    EXPECT_EQ(again.state, State::error);
    EXPECT_EQ(again.close_code, first.close_code);
    EXPECT_EQ(again.reason, first.reason);
  }
  EXPECT_EQ(decoder.buffered(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Incremental feeding and buffering

std::string mixed_stream() {
  return encode_client({.opcode = 1, .payload = "Hello"}) +
         encode_client({.opcode = 2, .payload = std::string(300, 'z'), .fin = false}) +
         encode_client({.opcode = 9, .payload = "ping"}) +
         encode_client({.opcode = 0, .payload = std::string(70000, 'y')}) +
         encode_client(
             {.opcode = 1, .payload = "\xe2\x82\xac", .length_form = LengthForm::sixty_four_bit}) +
         encode_client({.opcode = 8, .payload = encode_close(1001, "away")});
}

TEST(WebSocketFrames, ByteByByteMatchesWholeFeed) {
  const std::string stream = mixed_stream();
  const auto whole = decode(stream);
  ASSERT_EQ(whole.size(), 5u);

  FrameDecoder decoder;
  std::vector<FrameDecoder::Result> piecewise;
  for (const char byte : stream) {
    decoder.feed(std::string_view(&byte, 1));
    for (auto& event : drain(decoder)) piecewise.push_back(std::move(event));
  }
  ASSERT_EQ(piecewise.size(), whole.size());
  for (std::size_t index = 0; index < whole.size(); ++index) {
    EXPECT_EQ(piecewise[index].state, whole[index].state);
    EXPECT_EQ(piecewise[index].frame.opcode, whole[index].frame.opcode);
    EXPECT_EQ(piecewise[index].frame.payload, whole[index].frame.payload);
  }
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(WebSocketFrames, ErrorByteByByteMatchesWholeFeed) {
  const std::string stream = encode_client({.opcode = 1, .payload = "ok"}) +
                             encode_client({.opcode = 1, .payload = "\xed\xa0\x80"});
  const auto whole = decode(stream);
  FrameDecoder decoder;
  std::vector<FrameDecoder::Result> piecewise;
  for (const char byte : stream) {
    decoder.feed(std::string_view(&byte, 1));
    for (auto& event : drain(decoder)) piecewise.push_back(std::move(event));
    if (!piecewise.empty() && piecewise.back().state == State::error) break;
  }
  ASSERT_EQ(whole.size(), 2u);
  ASSERT_EQ(piecewise.size(), 2u);
  EXPECT_EQ(piecewise[1].close_code, kCloseInvalidPayload);
  EXPECT_EQ(whole[1].close_code, kCloseInvalidPayload);
}

TEST(WebSocketFrames, ConsumedBytesAreReleased) {
  const std::string frame = encode_client({.opcode = 2, .payload = std::string(100, 'q')});
  FrameDecoder decoder;
  for (int round = 0; round < 1000; ++round) {
    decoder.feed(frame + frame.substr(0, 7));
    decoder.feed(frame.substr(7));
    ASSERT_EQ(drain(decoder).size(), 2u);
    ASSERT_EQ(decoder.buffered(), 0u);
  }
}

// ---------------------------------------------------------------------------------------------
// Server-side encoding and close payloads

TEST(WebSocketEncode, ShortestLengthEncoding) {
  EXPECT_EQ(encode_frame(Opcode::text, "Hello"), bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(encode_frame(Opcode::pong, ""), bytes({0x8a, 0x00}));
  EXPECT_EQ(encode_frame(Opcode::binary, std::string(125, 'a')).substr(0, 2), bytes({0x82, 125}));
  EXPECT_EQ(encode_frame(Opcode::binary, std::string(126, 'a')).substr(0, 4),
            bytes({0x82, 126, 0, 126}));
  EXPECT_EQ(encode_frame(Opcode::binary, std::string(65535, 'a')).substr(0, 4),
            bytes({0x82, 126, 0xff, 0xff}));
  const std::string large = encode_frame(Opcode::binary, std::string(65536, 'a'));
  EXPECT_EQ(large.substr(0, 10), bytes({0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(large.size(), 65536u + 10u);
}

TEST(WebSocketEncode, CloseFrames) {
  EXPECT_EQ(encode_close(kCloseNormal, ""), bytes({0x03, 0xe8}));
  EXPECT_EQ(encode_close(kCloseProtocolError, "bad"), bytes({0x03, 0xea, 'b', 'a', 'd'}));
  EXPECT_EQ(encode_close(kCloseGoingAway, std::string(300, 'r')).size(), 125u);
  // 122 ASCII bytes then a 3-byte character: the character does not fit and is dropped whole.
  const std::string cut = encode_close(kCloseNormal, std::string(122, 'r') + "\xe2\x82\xac");
  EXPECT_EQ(cut.size(), 124u);
  EXPECT_TRUE(is_valid_utf8(cut.substr(2)));
}

TEST(WebSocketEncode, ParseClose) {
  const auto empty = parse_close("");
  EXPECT_TRUE(empty.valid);
  EXPECT_EQ(empty.code, kCloseNoStatus);

  const auto normal = parse_close(encode_close(kCloseNormal, "done"));
  EXPECT_TRUE(normal.valid);
  EXPECT_EQ(normal.code, kCloseNormal);
  EXPECT_EQ(normal.reason, "done");

  EXPECT_FALSE(parse_close("\x03").valid);
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    const auto parsed = parse_close(encode_close(code, ""));
    EXPECT_FALSE(parsed.valid) << code;
    EXPECT_EQ(parsed.error_code, kCloseProtocolError) << code;
  }
  for (std::uint16_t code :
       {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1014, 3000, 4999}) {
    EXPECT_TRUE(parse_close(encode_close(code, "")).valid) << code;
  }
  EXPECT_EQ(parse_close(encode_close(1000, "\xc3")).error_code, kCloseInvalidPayload);
}

TEST(WebSocketEncode, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));       // U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));          // surrogate
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\x80"));                  // stray continuation
  EXPECT_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));              // truncated
}

// ---------------------------------------------------------------------------------------------
// Upgrade handshake

const std::string kRequest =
    "GET /mqtt?client=1 HTTP/1.1\r\n"
    "Host: broker.example\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqtt, mqttv3.1\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

// kRequest with the header line starting with `name:` replaced by `replacement` (or removed).
std::string request_with(std::string_view name, std::string_view replacement) {
  std::string request = kRequest;
  const auto start = request.find("\r\n" + std::string(name) + ":");
  if (start == std::string::npos) return request;
  const auto end = request.find("\r\n", start + 2);
  request.replace(start + 2, end + 2 - (start + 2),
                  replacement.empty() ? std::string() : std::string(replacement) + "\r\n");
  return request;
}

int status_of(std::string_view request) {
  const auto parsed = parse_upgrade_request(request);
  if (parsed.state == UpgradeParse::State::complete) return 101;
  if (parsed.state == UpgradeParse::State::incomplete) return 0;
  return parsed.error.status;
}

TEST(WebSocketUpgrade, HappyPath) {
  const std::string trailing = encode_client({.payload = "first frame"});
  const auto parsed = parse_upgrade_request(kRequest + trailing);
  ASSERT_EQ(parsed.state, UpgradeParse::State::complete);
  EXPECT_EQ(parsed.consumed, kRequest.size());
  const auto& request = parsed.request;
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/mqtt");
  EXPECT_EQ(request.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(request.protocols, (std::vector<std::string>{"mqtt", "mqttv3.1"}));
  ASSERT_EQ(request.headers.size(), 6u);
  EXPECT_EQ(request.headers[0], (std::pair<std::string, std::string>{"host", "broker.example"}));
  ASSERT_NE(request.header("sec-websocket-version"), nullptr);
  EXPECT_EQ(*request.header("sec-websocket-version"), "13");
  EXPECT_EQ(request.header("cookie"), nullptr);
}

TEST(WebSocketUpgrade, BareLineFeedsAndLooseSpellings) {
  const std::string request =
      "GET /ws HTTP/1.1\n"
      "upgrade:   WebSocket  \n"
      "CONNECTION: keep-alive, Upgrade\n"
      "sec-websocket-key:dGhlIHNhbXBsZSBub25jZQ==\n"
      "Sec-WebSocket-Protocol: mqtt\n"
      "Sec-WebSocket-Protocol:  , mqttv3.1 ,\n"
      "Sec-WebSocket-Version: 13\n"
      "\n";
  const auto parsed = parse_upgrade_request(request);
  ASSERT_EQ(parsed.state, UpgradeParse::State::complete);
  EXPECT_EQ(parsed.consumed, request.size());
  EXPECT_EQ(parsed.request.target, "/ws");
  EXPECT_EQ(parsed.request.protocols, (std::vector<std::string>{"mqtt", "mqttv3.1"}));
  EXPECT_EQ(*parsed.request.header("upgrade"), "WebSocket");
  // Upgrade listing other tokens, later HTTP/1.x.
  EXPECT_EQ(status_of(request_with("Upgrade", "Upgrade: h2c, websocket")), 101);
  std::string later_minor = kRequest;
  later_minor.replace(later_minor.find("HTTP/1.1"), 8, "HTTP/1.2");
  EXPECT_EQ(status_of(later_minor), 101);
  EXPECT_TRUE(
      parse_upgrade_request(request_with("Sec-WebSocket-Protocol", "")).request.protocols.empty());
}

TEST(WebSocketUpgrade, ErrorStatuses) {
  EXPECT_EQ(status_of("POST /mqtt HTTP/1.1\r\n\r\n"), 405);  // the method is checked first
  std::string post = kRequest;
  post.replace(0, 3, "POST");
  EXPECT_EQ(status_of(post), 405);
  const auto not_allowed = parse_upgrade_request(post);
  EXPECT_EQ(not_allowed.error.reason, "Method Not Allowed");

  std::string old_http = kRequest;
  old_http.replace(old_http.find("HTTP/1.1"), 8, "HTTP/1.0");
  EXPECT_EQ(status_of(old_http), 400);
  std::string http2 = kRequest;
  http2.replace(http2.find("HTTP/1.1"), 8, "HTTP/2.0");
  EXPECT_EQ(status_of(http2), 400);
  EXPECT_EQ(status_of("GET /mqtt\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET  /mqtt HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("\r\n\r\n"), 400);

  EXPECT_EQ(status_of(request_with("Host", "Bad Name: x")), 400);
  EXPECT_EQ(status_of(request_with("Host", "Host : x")), 400);
  EXPECT_EQ(status_of(request_with("Host", "NoColon")), 400);
  EXPECT_EQ(status_of(request_with("Host", " folded")), 400);
  EXPECT_EQ(status_of(request_with("Host", std::string("Host: a\0b", 9))), 400);

  EXPECT_EQ(status_of(request_with("Upgrade", "")), 400);
  EXPECT_EQ(status_of(request_with("Upgrade", "Upgrade: h2c")), 400);
  EXPECT_EQ(status_of(request_with("Upgrade", "Upgrade: websockets")), 400);
  EXPECT_EQ(status_of(request_with("Connection", "")), 400);
  EXPECT_EQ(status_of(request_with("Connection", "Connection: keep-alive")), 400);

  EXPECT_EQ(status_of(request_with("Sec-WebSocket-Version", "")), 426);
  EXPECT_EQ(status_of(request_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")), 426);
  const auto upgrade_required =
      parse_upgrade_request(request_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 14"));
  EXPECT_EQ(upgrade_required.error.reason, "Upgrade Required");

  EXPECT_EQ(status_of(request_with("Sec-WebSocket-Key", "")), 400);
  EXPECT_EQ(status_of(request_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==")),
            400);
  EXPECT_EQ(
      status_of(request_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ")),
      400);
  EXPECT_EQ(
      status_of(request_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==")),
      400);
  EXPECT_EQ(
      status_of(request_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ====")),
      400);
}

TEST(WebSocketUpgrade, TruncatedHeadIsIncompleteUntilTheEnd) {
  for (std::size_t size = 0; size < kRequest.size(); ++size) {
    const auto parsed = parse_upgrade_request(std::string_view(kRequest).substr(0, size));
    ASSERT_EQ(parsed.state, UpgradeParse::State::incomplete) << size;
  }
  EXPECT_EQ(parse_upgrade_request(kRequest).state, UpgradeParse::State::complete);
}

TEST(WebSocketUpgrade, BytesThatCannotStartARequestFailAtOnce) {
  const std::string mqtt_connect("\x10\x13\x00\x04MQTT\x04\x02\x00\x3c", 12);
  const auto parsed = parse_upgrade_request(mqtt_connect);
  ASSERT_EQ(parsed.state, UpgradeParse::State::error);
  EXPECT_EQ(parsed.error.status, 400);
  EXPECT_EQ(parse_upgrade_request("GE").state, UpgradeParse::State::incomplete);
  EXPECT_EQ(parse_upgrade_request("GET /mq").state, UpgradeParse::State::incomplete);
}

TEST(WebSocketUpgrade, OversizeHead) {
  const std::string padding = "X-Padding: " + std::string(9000, 'p') + "\r\n";
  const std::string big =
      request_with("Host", "Host: h\r\n" + padding.substr(0, padding.size() - 2));
  const auto parsed = parse_upgrade_request(big);
  ASSERT_EQ(parsed.state, UpgradeParse::State::error);
  EXPECT_EQ(parsed.error.status, 431);
  EXPECT_EQ(parsed.error.reason, "Request Header Fields Too Large");
  // Without the end in sight, reaching the limit is enough.
  EXPECT_EQ(status_of(std::string(8192, 'G')), 431);
  EXPECT_EQ(status_of(std::string(8191, 'G')), 0);
  // A head of exactly max_head_size bytes is fine, one more is not.
  EXPECT_EQ(parse_upgrade_request(kRequest, kRequest.size()).state, UpgradeParse::State::complete);
  EXPECT_EQ(parse_upgrade_request(kRequest, kRequest.size() - 1).error.status, 431);
}

TEST(WebSocketUpgrade, AcceptKeyVectorFromRfc) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketUpgrade, Responses) {
  const auto parsed = parse_upgrade_request(kRequest);
  ASSERT_EQ(parsed.state, UpgradeParse::State::complete);
  EXPECT_EQ(upgrade_response(parsed.request, "mqtt"),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: mqtt\r\n"
            "\r\n");
  EXPECT_EQ(upgrade_response(parsed.request, ""),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "\r\n");
  // Never echo something that could inject a header.
  EXPECT_EQ(upgrade_response(parsed.request, "x\r\nSet-Cookie: a"),
            upgrade_response(parsed.request, ""));

  EXPECT_EQ(error_response({400, "Bad Request"}),
            "HTTP/1.1 400 Bad Request\r\n"
            "Content-Length: 12\r\n"
            "Connection: close\r\n"
            "\r\n"
            "Bad Request\n");
  EXPECT_EQ(error_response({426, "Upgrade Required"}),
            "HTTP/1.1 426 Upgrade Required\r\n"
            "Content-Length: 17\r\n"
            "Connection: close\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n"
            "Upgrade Required\n");
}

// ---------------------------------------------------------------------------------------------
// Fuzz-style robustness: hostile bytes must never crash (run under ASan/UBSan).

std::string random_bytes(std::mt19937& random, std::size_t max_size) {
  std::uniform_int_distribution<std::size_t> size_of(0, max_size);
  std::uniform_int_distribution<int> byte_of(0, 255);
  std::string out(size_of(random), '\0');
  for (auto& byte : out) byte = static_cast<char>(byte_of(random));
  return out;
}

// Flips, overwrites, inserts or deletes a few bytes, then maybe truncates.
std::string mutate(std::mt19937& random, std::string input) {
  std::uniform_int_distribution<int> mutation_count(0, 4);
  std::uniform_int_distribution<int> byte_of(0, 255);
  for (int count = mutation_count(random); count > 0 && !input.empty(); --count) {
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, input.size() - 1)(random);
    switch (byte_of(random) % 4) {
      case 0:
        input[at] = static_cast<char>(input[at] ^ (1 << (byte_of(random) % 8)));
        break;
      case 1:
        input[at] = static_cast<char>(byte_of(random));
        break;
      case 2:
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(at),
                     static_cast<char>(byte_of(random)));
        break;
      default:
        input.erase(at, 1);
        break;
    }
  }
  if (byte_of(random) % 2 == 0 && !input.empty()) {
    input.resize(std::uniform_int_distribution<std::size_t>(0, input.size())(random));
  }
  return input;
}

// Feeds `input` in random chunks, draining after each.
void decode_in_chunks(std::mt19937& random, std::string_view input, std::uint64_t max) {
  FrameDecoder decoder(max);
  std::uniform_int_distribution<std::size_t> chunk_of(1, 64);
  while (!input.empty()) {
    const auto chunk = std::min(chunk_of(random), input.size());
    decoder.feed(input.substr(0, chunk));
    input.remove_prefix(chunk);
    for (const auto& event : drain(decoder)) {
      if (event.state == State::error) {
        ASSERT_NE(event.close_code, 0);
        ASSERT_LE(event.reason.size(), 123u);
      }
    }
  }
}

TEST(WebSocketFuzz, RandomBytesNeverCrash) {
  std::mt19937 random(20260101);
  for (int round = 0; round < 100000; ++round) {
    const std::string input = random_bytes(random, 48);
    // Valid-looking starts make the decoder go deeper than pure noise would.
    std::string frame_input = input;
    if (!frame_input.empty() && round % 2 == 0)
      frame_input[0] = static_cast<char>(frame_input[0] & 0x8f);
    if (frame_input.size() > 1 && round % 2 == 0)
      frame_input[1] = static_cast<char>(frame_input[1] | 0x80);
    FrameDecoder decoder(round % 3 == 0 ? 0 : 4096);
    decoder.feed(frame_input);
    drain(decoder);
    parse_upgrade_request(input, 32);
    parse_close(input);
  }
}

TEST(WebSocketFuzz, MutatedFramesNeverCrash) {
  std::mt19937 random(7);
  const std::string stream =
      encode_client({.opcode = 1, .payload = "Hello \xe2\x82\xac", .fin = false}) +
      encode_client({.opcode = 9, .payload = "p"}) +
      encode_client({.opcode = 0, .payload = std::string(200, 'x')}) +
      encode_client({.opcode = 2, .payload = "b", .length_form = LengthForm::sixty_four_bit}) +
      encode_client({.opcode = 8, .payload = encode_close(1000, "bye")});
  for (int round = 0; round < 10000; ++round) {
    decode_in_chunks(random, mutate(random, stream), round % 2 == 0 ? 0 : 256);
  }
}

TEST(WebSocketFuzz, MutatedUpgradeRequestsNeverCrash) {
  std::mt19937 random(11);
  const std::string bare_lf = [] {
    std::string text = kRequest;
    for (auto at = text.find("\r\n"); at != std::string::npos; at = text.find("\r\n", at))
      text.erase(at, 1);
    return text;
  }();
  for (int round = 0; round < 10000; ++round) {
    const std::string input = mutate(random, round % 2 == 0 ? kRequest : bare_lf);
    const auto parsed = parse_upgrade_request(input, round % 3 == 0 ? 64 : 8192);
    if (parsed.state == UpgradeParse::State::complete) {
      ASSERT_LE(parsed.consumed, input.size());
      upgrade_response(parsed.request,
                       parsed.request.protocols.empty() ? "" : parsed.request.protocols[0]);
    } else if (parsed.state == UpgradeParse::State::error) {
      error_response(parsed.error);
    }
  }
}

}  // namespace
}  // namespace gatemq::net::ws
