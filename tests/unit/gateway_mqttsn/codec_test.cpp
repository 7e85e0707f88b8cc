#include "gateways/mqtt-sn/codec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace gatemq::gateway::mqttsn {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Decoded decode_bytes(const Bytes& datagram) {
  return decode(std::span<const std::uint8_t>(datagram));
}

Flags flags_with(int qos, TopicIdType topic_id_type = TopicIdType::normal) {
  Flags flags;
  flags.qos = qos;
  flags.topic_id_type = topic_id_type;
  return flags;
}

// Representative instances of every message type, in variant order.
std::vector<Message> sample_messages() {
  Flags connect_flags;
  connect_flags.will = true;
  connect_flags.clean_session = true;
  Flags publish_flags = flags_with(2, TopicIdType::predefined);
  publish_flags.dup = true;
  publish_flags.retain = true;
  return {
      Advertise{7, 900},
      SearchGw{3},
      GwInfo{9, std::nullopt},
      GwInfo{9, Bytes{10, 0, 0, 1, 0x07, 0x5B}},
      Connect{connect_flags, 30, "sensor-42"},
      Connack{congestion},
      WillTopicReq{},
      WillTopic{flags_with(1), "status/sensor-42"},
      WillTopic{std::nullopt, ""},
      WillMsgReq{},
      WillMsg{bytes_of("gone")},
      Register{0, 0x1234, "home/temperature"},
      Regack{0x0001, 0x1234, accepted},
      Publish{publish_flags, 0x0005, 0xBEEF, bytes_of("21.5")},
      Publish{flags_with(-1, TopicIdType::short_name), short_name_to_topic_id("ab"), 0,
              bytes_of("x")},
      Puback{0x0005, 0xBEEF, invalid_topic_id},
      Pubcomp{1},
      Pubrec{2},
      Pubrel{3},
      Subscribe{flags_with(1), 0x0042, "home/+/temperature", 0},
      Subscribe{flags_with(2, TopicIdType::predefined), 0x0043, "", 0x0101},
      Subscribe{flags_with(0, TopicIdType::short_name), 0x0044, "", short_name_to_topic_id("zz")},
      Suback{flags_with(1), 0x0009, 0x0042, accepted},
      Unsubscribe{flags_with(0), 0x0045, "home/#", 0},
      Unsubscribe{flags_with(0, TopicIdType::predefined), 0x0046, "", 0x0101},
      Unsuback{0x0045},
      Pingreq{std::nullopt},
      Pingreq{std::string("sleepy")},
      Pingresp{},
      Disconnect{std::nullopt},
      Disconnect{std::uint16_t{600}},
      WillTopicUpd{flags_with(2), "status/new"},
      WillTopicUpd{std::nullopt, ""},
      WillTopicResp{not_supported},
      WillMsgUpd{bytes_of("bye")},
      WillMsgResp{accepted},
      Encapsulated{0x01, Bytes{0xAA, 0xBB}, Bytes{0x02, 0x16}},
  };
}

TEST(MqttSnCodec, EveryMessageTypeRoundTrips) {
  std::vector<bool> seen(std::variant_size_v<Message>, false);
  for (const auto& message : sample_messages()) {
    seen[message.index()] = true;
    const auto wire = encode(message);
    ASSERT_FALSE(wire.empty());
    const auto decoded = decode_bytes(wire);
    ASSERT_TRUE(decoded.ok()) << type_name(static_cast<std::uint8_t>(type_of(message)));
    EXPECT_EQ(*decoded.message, message) << type_name(decoded.type);
    EXPECT_EQ(decoded.type, static_cast<std::uint8_t>(type_of(message)));
    EXPECT_EQ(encode(*decoded.message), wire);
  }
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_TRUE(seen[i]) << "no sample for variant index " << i;
}

TEST(MqttSnCodec, ConnectMatchesSpecLayout) {
  Flags flags;
  flags.clean_session = true;
  const Bytes expected{0x09, 0x04, 0x04, 0x01, 0x00, 0x1E, 'a', 'b', 'c'};
  EXPECT_EQ(encode(Connect{flags, 30, "abc"}), expected);
  const auto decoded = decode_bytes(expected);
  ASSERT_TRUE(decoded.ok());
  const auto& connect = std::get<Connect>(*decoded.message);
  EXPECT_TRUE(connect.flags.clean_session);
  EXPECT_FALSE(connect.flags.will);
  EXPECT_EQ(connect.duration, 30);
  EXPECT_EQ(connect.client_id, "abc");
}

TEST(MqttSnCodec, HexVectorsFromSpecLayouts) {
  // PUBLISH QoS 1, predefined topic 0x0102, msg id 0x0304, payload "hi".
  EXPECT_EQ(encode(Publish{flags_with(1, TopicIdType::predefined), 0x0102, 0x0304, bytes_of("hi")}),
            (Bytes{0x09, 0x0C, 0x21, 0x01, 0x02, 0x03, 0x04, 'h', 'i'}));
  // QoS -1 is 0b11 in bits 6-5; short topic name "ab".
  EXPECT_EQ(
      encode(Publish{flags_with(-1, TopicIdType::short_name), short_name_to_topic_id("ab"), 0, {}}),
      (Bytes{0x07, 0x0C, 0x62, 'a', 'b', 0x00, 0x00}));
  EXPECT_EQ(encode(Advertise{0x05, 0x0384}), (Bytes{0x05, 0x00, 0x05, 0x03, 0x84}));
  EXPECT_EQ(encode(SearchGw{1}), (Bytes{0x03, 0x01, 0x01}));
  EXPECT_EQ(encode(Regack{0x0001, 0x0002, invalid_topic_id}),
            (Bytes{0x07, 0x0B, 0x00, 0x01, 0x00, 0x02, 0x02}));
  EXPECT_EQ(encode(Subscribe{flags_with(1), 0x0001, "a/b", 0}),
            (Bytes{0x08, 0x12, 0x20, 0x00, 0x01, 'a', '/', 'b'}));
  EXPECT_EQ(encode(Suback{flags_with(2), 0x0007, 0x0001, accepted}),
            (Bytes{0x08, 0x13, 0x40, 0x00, 0x07, 0x00, 0x01, 0x00}));
  EXPECT_EQ(encode(Disconnect{}), (Bytes{0x02, 0x18}));
  EXPECT_EQ(encode(Disconnect{std::uint16_t{60}}), (Bytes{0x04, 0x18, 0x00, 0x3C}));
  EXPECT_EQ(encode(Pingresp{}), (Bytes{0x02, 0x17}));
  EXPECT_EQ(encode(WillTopic{}), (Bytes{0x02, 0x07}));
  // Encapsulation: length 5 = Length, MsgType, Ctrl, 2-byte node id; PINGREQ follows.
  EXPECT_EQ(encode(Encapsulated{0x02, Bytes{0x12, 0x34}, Bytes{0x02, 0x16}}),
            (Bytes{0x05, 0xFE, 0x02, 0x12, 0x34, 0x02, 0x16}));
}

TEST(MqttSnCodec, LongMessageUsesThreeByteLength) {
  const Publish big{flags_with(0), 1, 0, Bytes(300 - 9, 0x5A)};
  const auto wire = encode(big);
  ASSERT_EQ(wire.size(), 300u);
  EXPECT_EQ(wire[0], 0x01);
  EXPECT_EQ(wire[1], 0x01);
  EXPECT_EQ(wire[2], 0x2C);
  EXPECT_EQ(wire[3], 0x0C);
  const auto decoded = decode_bytes(wire);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<Publish>(*decoded.message), big);
}

TEST(MqttSnCodec, LengthFormBoundary) {
  // 255 bytes total still fits the 1-byte form; 256 needs 0x01 + 2 bytes (total 258).
  EXPECT_EQ(encode(Publish{{}, 1, 0, Bytes(255 - 7, 0)}).size(), 255u);
  const auto wire = encode(Publish{{}, 1, 0, Bytes(256 - 7, 0)});
  ASSERT_EQ(wire.size(), 258u);
  EXPECT_EQ(wire[0], 0x01);
  EXPECT_TRUE(decode_bytes(wire).ok());
}

TEST(MqttSnCodec, TooLongToEncodeGivesEmpty) {
  EXPECT_TRUE(encode(Publish{{}, 1, 0, Bytes(65535, 0)}).empty());
  EXPECT_EQ(encode(Publish{{}, 1, 0, Bytes(65535 - 9, 0)}).size(), 65535u);
}

TEST(MqttSnCodec, SmallMessageInThreeByteFormDecodes) {
  const auto decoded = decode_bytes(Bytes{0x01, 0x00, 0x06, 0x0E, 0x12, 0x34});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<Pubcomp>(*decoded.message).msg_id, 0x1234);
  EXPECT_TRUE(decode_bytes(Bytes{0x01, 0x00, 0x04, 0x17}).ok());  // PINGRESP
}

TEST(MqttSnCodec, EveryFlagsByteRoundTrips) {
  for (int byte = 0; byte < 256; ++byte) {
    const auto flags = decode_flags(static_cast<std::uint8_t>(byte));
    EXPECT_EQ(encode_flags(flags), byte);
    EXPECT_GE(flags.qos, -1);
    EXPECT_LE(flags.qos, 2);
    // And through a message that keeps the whole byte.
    const Bytes wire{0x07, 0x0C, static_cast<std::uint8_t>(byte), 0x00, 0x01, 0x00, 0x00};
    const auto decoded = decode_bytes(wire);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(encode(*decoded.message), wire);
  }
}

TEST(MqttSnCodec, FlagBitsFollowSpec) {
  const auto flags = decode_flags(0b1111'1110);
  EXPECT_TRUE(flags.dup);
  EXPECT_EQ(flags.qos, -1);
  EXPECT_TRUE(flags.retain);
  EXPECT_TRUE(flags.will);
  EXPECT_TRUE(flags.clean_session);
  EXPECT_EQ(flags.topic_id_type, TopicIdType::short_name);
  EXPECT_EQ(decode_flags(0x20).qos, 1);
  EXPECT_EQ(decode_flags(0x40).qos, 2);
  EXPECT_EQ(decode_flags(0x03).topic_id_type, TopicIdType::reserved);
  EXPECT_EQ(encode_flags(flags_with(7)), 0x00);  // out-of-range qos never sets bits
}

TEST(MqttSnCodec, ShortNames) {
  EXPECT_EQ(short_name_to_topic_id("ab"), 0x6162);
  EXPECT_EQ(topic_id_to_short_name(0x6162), "ab");
}

TEST(MqttSnCodec, RejectsBadLengths) {
  EXPECT_EQ(decode_bytes({}).error, DecodeError::too_short);
  EXPECT_EQ(decode_bytes({0x02}).error, DecodeError::too_short);
  EXPECT_EQ(decode_bytes({0x01, 0x00, 0x04}).error, DecodeError::too_short);
  EXPECT_EQ(decode_bytes({0x03, 0x17}).error, DecodeError::bad_length);        // says 3, is 2
  EXPECT_EQ(decode_bytes({0x02, 0x17, 0x00}).error, DecodeError::bad_length);  // trailing byte
  EXPECT_EQ(decode_bytes({0x00, 0x17}).error, DecodeError::bad_length);        // below header size
  EXPECT_EQ(decode_bytes({0x01, 0x00, 0x03, 0x17}).error, DecodeError::bad_length);
  EXPECT_EQ(decode_bytes({0x01, 0x00, 0x05, 0x17}).error, DecodeError::bad_length);
  EXPECT_EQ(decode_bytes({0x01, 0x00, 0x00, 0x17}).error, DecodeError::bad_length);
}

TEST(MqttSnCodec, RejectsReservedTypesButReportsThem) {
  for (std::uint8_t type : {0x03, 0x11, 0x19, 0x1E, 0x80, 0xFD, 0xFF}) {
    const auto decoded = decode_bytes({0x02, type});
    EXPECT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error, DecodeError::unknown_type);
    EXPECT_TRUE(decoded.has_type);
    EXPECT_EQ(decoded.type, type);
    EXPECT_EQ(type_name(type), "RESERVED");
  }
}

TEST(MqttSnCodec, MalformedBodiesReportTheirType) {
  auto expect_malformed = [](const Bytes& wire) {
    SCOPED_TRACE(::testing::PrintToString(wire));
    const auto decoded = decode_bytes(wire);
    EXPECT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error, DecodeError::malformed);
    EXPECT_EQ(decoded.type, wire[0] == 0x01 ? wire[3] : wire[1]);
  };
  expect_malformed({0x09, 0x04, 0x04, 0x02, 0x00, 0x1E, 'a', 'b', 'c'});  // protocol id 2
  expect_malformed({0x03, 0x18, 0x00});                                // DISCONNECT 1-byte duration
  expect_malformed({0x05, 0x18, 0x00, 0x01, 0x00});                    // DISCONNECT too long
  expect_malformed({0x02, 0x02});                                      // GWINFO without gw id
  expect_malformed({0x03, 0x06, 0x00});                                // WILLTOPICREQ with body
  expect_malformed({0x06, 0x0A, 0x00, 0x00, 0x00, 0x01});              // REGISTER without name
  expect_malformed({0x05, 0x12, 0x20, 0x00, 0x01});                    // SUBSCRIBE without name
  expect_malformed({0x08, 0x12, 0x21, 0x00, 0x01, 0x00, 0x01, 0x00});  // predefined id + extra
  expect_malformed({0x07, 0x12, 0x23, 0x00, 0x01, 0x00, 0x01});        // reserved topic id type
  expect_malformed({0x06, 0x14, 0x02, 0x00, 0x01, 0x61});              // short name of 1 char
  expect_malformed({0x06, 0x0C, 0x00, 0x00, 0x01, 0x00});              // PUBLISH too short
  expect_malformed({0x04, 0x05, 0x00, 0x00});                          // CONNACK too long
  expect_malformed({0x01, 0x00, 0x04, 0x05});                          // 3-byte form, CONNACK empty
}

TEST(MqttSnCodec, GwInfoWithAndWithoutAddress) {
  const auto from_gateway = decode_bytes({0x03, 0x02, 0x07});
  ASSERT_TRUE(from_gateway.ok());
  EXPECT_FALSE(std::get<GwInfo>(*from_gateway.message).gateway_address.has_value());
  const auto from_client = decode_bytes({0x05, 0x02, 0x07, 0xC0, 0xA8});
  ASSERT_TRUE(from_client.ok());
  EXPECT_EQ(std::get<GwInfo>(*from_client.message).gateway_address, (Bytes{0xC0, 0xA8}));
}

TEST(MqttSnCodec, EncapsulatedInnerMessageDecodesAgain) {
  const auto inner = encode(Connect{{}, 10, "node"});
  Bytes wire{0x04, 0xFE, 0x01, 0x99};
  wire.insert(wire.end(), inner.begin(), inner.end());
  const auto decoded = decode_bytes(wire);
  ASSERT_TRUE(decoded.ok());
  const auto& encapsulated = std::get<Encapsulated>(*decoded.message);
  EXPECT_EQ(encapsulated.ctrl, 0x01);
  EXPECT_EQ(encapsulated.wireless_node_id, Bytes{0x99});
  EXPECT_EQ(encapsulated.message, inner);
  const auto nested = decode(encapsulated.message);
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(std::get<Connect>(*nested.message).client_id, "node");

  EXPECT_EQ(decode_bytes({0x03, 0xFE, 0x01}).error, DecodeError::malformed);  // no inner message
  EXPECT_EQ(decode_bytes({0x02, 0xFE, 0x02, 0x16}).error, DecodeError::bad_length);  // no ctrl byte
  EXPECT_EQ(decode_bytes({0x09, 0xFE, 0x01, 0x02, 0x16}).error,
            DecodeError::bad_length);  // past the end
  EXPECT_TRUE(
      decode_bytes({0x01, 0x00, 0x05, 0xFE, 0x00, 0x02, 0x16}).ok());  // 3-byte form, no node id
}

TEST(MqttSnCodec, TypeNames) {
  EXPECT_EQ(type_name(0x04), "CONNECT");
  EXPECT_EQ(type_name(0x0C), "PUBLISH");
  EXPECT_EQ(type_name(0x1D), "WILLMSGRESP");
  EXPECT_EQ(type_name(0xFE), "ENCAPSULATED");
  for (const auto& message : sample_messages()) {
    EXPECT_NE(type_name(static_cast<std::uint8_t>(type_of(message))), "RESERVED");
  }
}

// Every strict prefix of a valid message disagrees with its length field (or is too short to
// read it) and must fail cleanly; only ENCAPSULATED may carry a shorter inner message.
TEST(MqttSnCodec, EveryTruncationFailsCleanly) {
  for (const auto& message : sample_messages()) {
    const auto wire = encode(message);
    for (std::size_t size = 0; size < wire.size(); ++size) {
      const Bytes prefix(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(size));
      const auto decoded = decode_bytes(prefix);
      if (std::holds_alternative<Encapsulated>(message)) continue;  // only must not crash
      EXPECT_FALSE(decoded.ok()) << type_name(decoded.type) << " truncated to " << size;
    }
  }
}

TEST(MqttSnCodec, RandomDatagramsNeverCrash) {
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> size(0, 40);
  std::size_t decoded_ok = 0;
  for (int i = 0; i < 200'000; ++i) {
    Bytes datagram(static_cast<std::size_t>(size(random)));
    for (auto& b : datagram) b = static_cast<std::uint8_t>(byte(random));
    // Make the length field right half of the time so the body decoders get exercised too.
    if (!datagram.empty() && i % 2 == 0) datagram[0] = static_cast<std::uint8_t>(datagram.size());
    if (datagram.size() >= 2 && i % 4 == 0)
      datagram[1] = static_cast<std::uint8_t>(byte(random) % 0x20);
    const auto decoded = decode_bytes(datagram);
    if (decoded.ok()) {
      ++decoded_ok;
      const auto again = encode(*decoded.message);
      const auto redecoded = decode_bytes(again);
      ASSERT_TRUE(redecoded.ok());
      EXPECT_EQ(*redecoded.message, *decoded.message);
    }
  }
  EXPECT_GT(decoded_ok, 1000u);
}

TEST(MqttSnCodec, RandomMutationsNeverCrash) {
  std::mt19937 random(777);
  std::uniform_int_distribution<int> byte(0, 255);
  const auto samples = sample_messages();
  for (const auto& message : samples) {
    const auto wire = encode(message);
    for (int i = 0; i < 2000; ++i) {
      Bytes mutated = wire;
      const int edits = 1 + i % 4;
      for (int e = 0; e < edits; ++e) {
        switch (byte(random) % 3) {
          case 0:
            if (!mutated.empty())
              mutated[static_cast<std::size_t>(byte(random)) % mutated.size()] ^=
                  static_cast<std::uint8_t>(1 + byte(random) % 255);
            break;
          case 1:
            mutated.insert(mutated.begin() +
                               static_cast<std::ptrdiff_t>(static_cast<std::size_t>(byte(random)) %
                                                           (mutated.size() + 1)),
                           static_cast<std::uint8_t>(byte(random)));
            break;
          default:
            if (!mutated.empty())
              mutated.erase(mutated.begin() +
                            static_cast<std::ptrdiff_t>(static_cast<std::size_t>(byte(random)) %
                                                        mutated.size()));
            break;
        }
      }
      const auto decoded = decode_bytes(mutated);
      if (decoded.ok()) {
        EXPECT_TRUE(decode_bytes(encode(*decoded.message)).ok());
      }
    }
  }
}

}  // namespace
}  // namespace gatemq::gateway::mqttsn
