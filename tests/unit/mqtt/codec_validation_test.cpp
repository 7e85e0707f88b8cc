#include <gtest/gtest.h>

#include <set>

#include "core/mqtt/utf8.hpp"
#include "tests/unit/mqtt/codec_test_util.hpp"

namespace gatemq::mqtt::testing {
namespace {

using V = ProtocolVersion;

std::uint8_t error_of(std::string_view hex_bytes, V version) {
  const auto bytes = unhex(hex_bytes);
  const auto frame = next_frame(bytes, 0);
  EXPECT_EQ(frame.status, Frame::Status::Complete) << hex_bytes;
  return decode(frame.first_byte, frame.body, version).error.reason_code;
}

TEST(Framing, EveryPrefixNeedsMore) {
  for (const auto& [packet, version] : sample_packets()) {
    const auto bytes = encoded(packet, version);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      ASSERT_EQ(next_frame(std::string_view(bytes).substr(0, cut), 0).status,
                Frame::Status::NeedMore);
    }
  }
}

TEST(Framing, SplitsAStreamOfPackets) {
  std::string stream;
  const auto samples = sample_packets();
  for (const auto& [packet, version] : samples) stream += encoded(packet, version);
  std::string_view rest = stream;
  std::size_t count = 0;
  while (!rest.empty()) {
    const auto frame = next_frame(rest, 0);
    ASSERT_EQ(frame.status, Frame::Status::Complete);
    const auto& [packet, version] = samples[count++];
    const auto result = decode(frame.first_byte, frame.body, version);
    ASSERT_TRUE(result.ok()) << result.error.message;
    EXPECT_EQ(result.packet, packet);
    rest.remove_prefix(frame.consumed);
  }
  EXPECT_EQ(count, samples.size());
}

TEST(Framing, RemainingLengthLimits) {
  EXPECT_EQ(next_frame(unhex("30ffffff7f"), 0).status, Frame::Status::NeedMore);
  EXPECT_EQ(next_frame(unhex("30ffffffff01"), 0).status, Frame::Status::Malformed);
  EXPECT_EQ(next_frame(unhex("0000"), 0).status, Frame::Status::Malformed) << "type 0";
  // 1 + 2 + 200 = 203 bytes: too large for a 100-byte limit before the body arrives.
  EXPECT_EQ(next_frame(unhex("30c801"), 100).status, Frame::Status::TooLarge);
  EXPECT_EQ(next_frame(unhex("3003000161"), 5).status, Frame::Status::Complete);
  EXPECT_EQ(next_frame(unhex("3003000161"), 4).status, Frame::Status::TooLarge);
}

TEST(Validation, Connect) {
  // Unknown protocol level and name.
  EXPECT_EQ(error_of("100e00044d5154540702003c00026331", V::v311), rc::kUnsupportedProtocolVersion);
  EXPECT_EQ(error_of("100e00044d5154580402003c00026331", V::v311), rc::kUnsupportedProtocolVersion);
  // Reserved flag, will QoS 3, will QoS without will flag, password without user name (3.1.1).
  EXPECT_EQ(error_of("100e00044d5154540403003c00026331", V::v311), rc::kMalformedPacket);
  EXPECT_EQ(error_of("100e00044d515454041e003c00026331", V::v311), rc::kMalformedPacket);
  EXPECT_EQ(error_of("100e00044d515454040a003c00026331", V::v311), rc::kMalformedPacket);
  EXPECT_EQ(error_of("101200044d5154540442003c000263310002"
                     "7077",
                     V::v311),
            rc::kMalformedPacket);
  // Trailing garbage, truncated client id.
  EXPECT_EQ(error_of("100f00044d5154540402003c0002633100", V::v311), rc::kMalformedPacket);
  EXPECT_EQ(error_of("100e00044d5154540402003c00056331", V::v311), rc::kMalformedPacket);
  // Client id with U+0000 and with invalid UTF-8.
  EXPECT_EQ(error_of("100e00044d5154540402003c00026300", V::v311), rc::kMalformedPacket);
  EXPECT_EQ(error_of("100e00044d5154540402003c000263ff", V::v311), rc::kMalformedPacket);
}

TEST(Validation, UnsupportedLevelIsAnswerableIn311) {
  // The CONNACK for an unknown level must be one every client reads: the 3.1.1 form, code 1.
  const auto bytes = unhex("100e00044d5154540602003c00026331");
  const auto frame = next_frame(bytes, 0);
  const auto result = decode(frame.first_byte, frame.body, V::v5);
  EXPECT_EQ(result.error.reason_code, rc::kUnsupportedProtocolVersion);
  ASSERT_TRUE(std::holds_alternative<Connect>(result.packet));
  const auto version = std::get<Connect>(result.packet).version;
  EXPECT_EQ(version, V::v311);
  EXPECT_EQ(hex(encoded(Connack{false, result.error.reason_code, {}}, version)), "20020001");
}

TEST(Validation, ConnectErrorKeepsVersionForTheConnack) {
  // v5 CONNECT with a property not allowed in CONNECT (0x01 payload format).
  const auto bytes = unhex(
      "1010"
      "00044d515454"
      "05"
      "02"
      "000a"
      "02"
      "0101"
      "0001"
      "78");
  const auto frame = next_frame(bytes, 0);
  const auto result = decode(frame.first_byte, frame.body, V::v311);
  EXPECT_EQ(result.error.reason_code, rc::kMalformedPacket);
  ASSERT_TRUE(std::holds_alternative<Connect>(result.packet));
  EXPECT_EQ(std::get<Connect>(result.packet).version, V::v5);
}

TEST(Validation, Properties) {
  // PUBLISH v5 "t" qos0 with: duplicate content type, receive maximum (not allowed),
  // payload format 2, unknown id 0x7f, property length past the end.
  EXPECT_EQ(error_of("300a"
                     "000174"
                     "06"
                     "030000"
                     "030000",
                     V::v5),
            rc::kProtocolError);
  EXPECT_EQ(error_of("3007"
                     "000174"
                     "03"
                     "210001",
                     V::v5),
            rc::kMalformedPacket);
  EXPECT_EQ(error_of("3006"
                     "000174"
                     "02"
                     "0102",
                     V::v5),
            rc::kProtocolError);
  EXPECT_EQ(error_of("3006"
                     "000174"
                     "02"
                     "7f00",
                     V::v5),
            rc::kMalformedPacket);
  EXPECT_EQ(error_of("3005"
                     "000174"
                     "05"
                     "00",
                     V::v5),
            rc::kMalformedPacket);
  // Subscription identifier 0 in PUBLISH; two in SUBSCRIBE.
  EXPECT_EQ(error_of("3006"
                     "000174"
                     "02"
                     "0b00",
                     V::v5),
            rc::kProtocolError);
  EXPECT_EQ(error_of("820b"
                     "0001"
                     "04"
                     "0b010b02"
                     "000161"
                     "00",
                     V::v5),
            rc::kProtocolError);
  // Receive maximum 0 and maximum packet size 0 in CONNECT.
  EXPECT_EQ(error_of("1010"
                     "00044d515454"
                     "05"
                     "02"
                     "000a"
                     "03"
                     "210000"
                     "0000",
                     V::v5),
            rc::kProtocolError);
  EXPECT_EQ(error_of("1012"
                     "00044d515454"
                     "05"
                     "02"
                     "000a"
                     "05"
                     "2700000000"
                     "0000",
                     V::v5),
            rc::kProtocolError);
  // User properties may repeat.
  EXPECT_EQ(error_of("3010"
                     "000174"
                     "0c"
                     "260001610001620026000000",
                     V::v5),
            rc::kMalformedPacket)
      << "property length 12 but only 11 bytes of properties";
}

TEST(Validation, Publish) {
  EXPECT_EQ(error_of("3605000174"
                     "0001",
                     V::v311),
            rc::kMalformedPacket)
      << "QoS 3";
  EXPECT_EQ(error_of("3805000174"
                     "0001",
                     V::v311),
            rc::kMalformedPacket)
      << "DUP on QoS 0";
  EXPECT_EQ(error_of("3205000174"
                     "0000",
                     V::v311),
            rc::kMalformedPacket)
      << "packet id 0";
  EXPECT_EQ(error_of("3203000174", V::v311), rc::kMalformedPacket) << "missing packet id";
  EXPECT_EQ(error_of("3003000100", V::v311), rc::kMalformedPacket) << "NUL in topic";
}

TEST(Validation, FixedHeaderFlags) {
  EXPECT_EQ(error_of("60020001", V::v311), rc::kMalformedPacket) << "PUBREL flags 0";
  EXPECT_EQ(error_of("80060001000161"
                     "00",
                     V::v311),
            rc::kMalformedPacket)
      << "SUBSCRIBE flags 0";
  EXPECT_EQ(error_of("a2050001000161", V::v311), 0);
  EXPECT_EQ(error_of("a0050001000161", V::v311), rc::kMalformedPacket);
  EXPECT_EQ(error_of("c100", V::v311), rc::kMalformedPacket) << "PINGREQ flags";
  EXPECT_EQ(error_of("41020001", V::v311), rc::kMalformedPacket) << "PUBACK flags";
}

TEST(Validation, Subscribe) {
  EXPECT_EQ(error_of("82020001", V::v311), rc::kProtocolError) << "no filters";
  EXPECT_EQ(error_of("8206000100016103", V::v311), rc::kMalformedPacket) << "QoS 3";
  EXPECT_EQ(error_of("8206000100016104", V::v311), rc::kMalformedPacket) << "3.1.1 reserved bits";
  EXPECT_EQ(error_of("820700010000016130", V::v5), rc::kMalformedPacket) << "retain handling 3";
  EXPECT_EQ(error_of("820700010000016140", V::v5), rc::kMalformedPacket) << "v5 reserved bits";
  EXPECT_EQ(error_of("82070001000001612e", V::v5), 0) << "all v5 options";
  EXPECT_EQ(error_of("82050000000161", V::v311), rc::kMalformedPacket) << "packet id 0";
  EXPECT_EQ(error_of("a2020001", V::v311), rc::kProtocolError) << "UNSUBSCRIBE without filters";
}

TEST(Validation, AcksAndOthers) {
  EXPECT_EQ(error_of("4003000100", V::v311), rc::kMalformedPacket)
      << "3.1.1 PUBACK with extra byte";
  EXPECT_EQ(error_of("4003000110", V::v5), 0);
  EXPECT_EQ(error_of("c00100", V::v311), rc::kMalformedPacket) << "PINGREQ with a body";
  EXPECT_EQ(error_of("e000", V::v311), 0);
  EXPECT_EQ(error_of("e00100", V::v311), rc::kMalformedPacket) << "3.1.1 DISCONNECT with a body";
  EXPECT_EQ(error_of("f000", V::v311), rc::kMalformedPacket) << "AUTH before v5";
  EXPECT_EQ(error_of("f00187", V::v5), rc::kProtocolError) << "AUTH reason code";
  EXPECT_EQ(error_of("f000", V::v5), 0);
}

TEST(Validation, ServerPacketsIn3x) {
  // 3.x CONNACK return codes come back as the v5 reason codes the encoder maps them from.
  const std::pair<const char*, std::uint8_t> connacks[] = {
      {"20020000", rc::kSuccess},
      {"20020001", rc::kUnsupportedProtocolVersion},
      {"20020002", rc::kClientIdentifierNotValid},
      {"20020003", rc::kServerUnavailable},
      {"20020004", rc::kBadUserNameOrPassword},
      {"20020005", rc::kNotAuthorized}};
  for (const auto& [bytes, code] : connacks) {
    const auto result = decode_whole(unhex(bytes), V::v311);
    ASSERT_TRUE(result.ok()) << bytes;
    EXPECT_EQ(std::get<Connack>(result.packet).reason_code, code);
    EXPECT_EQ(hex(encoded(result.packet, V::v311)), bytes);
  }
  EXPECT_EQ(error_of("20020006", V::v311), rc::kMalformedPacket) << "reserved return code";
  EXPECT_EQ(error_of("20020200", V::v311), rc::kMalformedPacket) << "reserved CONNACK flags";
  EXPECT_EQ(error_of("2003000000", V::v5), 0);
  EXPECT_EQ(error_of("20020000", V::v5), rc::kMalformedPacket) << "v5 CONNACK needs properties";
  EXPECT_EQ(error_of("9005000100"
                     "0180",
                     V::v311),
            0);
  EXPECT_EQ(error_of("9004000100"
                     "87",
                     V::v311),
            rc::kMalformedPacket)
      << "v5 code in 3.1.1";
  EXPECT_EQ(error_of("9004000100"
                     "87",
                     V::v5),
            0)
      << "v5 codes after an empty property block";
}

TEST(Validation, WillAndCredentials) {
  // Will flag with QoS 2 and retain: fine; will retain without the will flag: malformed.
  EXPECT_EQ(error_of("101500044d5154540436003c000263310001740002"
                     "6869",
                     V::v311),
            0);
  EXPECT_EQ(error_of("100e00044d5154540422003c00026331", V::v311), rc::kMalformedPacket);
  // Will flag set but the will topic is missing.
  EXPECT_EQ(error_of("100e00044d5154540406003c00026331", V::v311), rc::kMalformedPacket);
  // Password without user name: malformed in 3.1.1 and 3.1, allowed in 5.0.
  EXPECT_EQ(error_of("101200044d5154540442003c000263310002"
                     "7077",
                     V::v311),
            rc::kMalformedPacket);
  EXPECT_EQ(error_of("101400064d51497364700342003c000263310002"
                     "7077",
                     V::v311),
            rc::kMalformedPacket);
  EXPECT_EQ(error_of("101300044d5154540542003c00"
                     "000263310002"
                     "7077",
                     V::v5),
            0);
  // Protocol name/level mismatches: "MQIsdp" level 4, "MQTT" level 3, lower-case name.
  EXPECT_EQ(error_of("101000064d51497364700402003c00026331", V::v311),
            rc::kUnsupportedProtocolVersion);
  EXPECT_EQ(error_of("100e00044d5154540302003c00026331", V::v311), rc::kUnsupportedProtocolVersion);
  EXPECT_EQ(error_of("100e00046d7174740402003c00026331", V::v311), rc::kUnsupportedProtocolVersion);
}

TEST(Validation, Utf8) {
  EXPECT_TRUE(is_valid_mqtt_utf8(""));
  EXPECT_TRUE(is_valid_mqtt_utf8("plain/ascii"));
  EXPECT_TRUE(is_valid_mqtt_utf8(unhex("c3a9")));      // U+00E9
  EXPECT_TRUE(is_valid_mqtt_utf8(unhex("e282ac")));    // U+20AC
  EXPECT_TRUE(is_valid_mqtt_utf8(unhex("efbfbf")));    // U+FFFF (a non-character, still legal)
  EXPECT_TRUE(is_valid_mqtt_utf8(unhex("f09f9880")));  // U+1F600
  EXPECT_TRUE(is_valid_mqtt_utf8(unhex("f48fbfbf")));  // U+10FFFF
  EXPECT_FALSE(is_valid_mqtt_utf8(std::string("a\0b", 3))) << "U+0000";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("c080"))) << "overlong U+0000";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("c1bf"))) << "overlong";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("e08080"))) << "overlong 3-byte";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("f0808080"))) << "overlong 4-byte";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("eda080"))) << "surrogate U+D800";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("edbfbf"))) << "surrogate U+DFFF";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("f4908080"))) << "above U+10FFFF";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("f8888080 80"))) << "5-byte form";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("80"))) << "lone continuation byte";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("e282"))) << "truncated";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("c3"))) << "truncated at the end";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("c341"))) << "continuation byte missing";
  EXPECT_FALSE(is_valid_mqtt_utf8(unhex("ff")));
  // Strings in packets go through the same check: a surrogate in a topic is malformed.
  EXPECT_EQ(error_of("3005"
                     "0003eda080",
                     V::v311),
            rc::kMalformedPacket);
}

TEST(ReasonCodes, EveryCodeHasAName) {
  const std::uint8_t codes[] = {rc::kSuccess,
                                rc::kGrantedQos1,
                                rc::kGrantedQos2,
                                rc::kDisconnectWithWill,
                                rc::kNoMatchingSubscribers,
                                rc::kNoSubscriptionExisted,
                                rc::kContinueAuthentication,
                                rc::kReAuthenticate,
                                rc::kUnspecifiedError,
                                rc::kMalformedPacket,
                                rc::kProtocolError,
                                rc::kImplementationSpecificError,
                                rc::kUnsupportedProtocolVersion,
                                rc::kClientIdentifierNotValid,
                                rc::kBadUserNameOrPassword,
                                rc::kNotAuthorized,
                                rc::kServerUnavailable,
                                rc::kServerBusy,
                                rc::kBanned,
                                rc::kServerShuttingDown,
                                rc::kBadAuthenticationMethod,
                                rc::kKeepAliveTimeout,
                                rc::kSessionTakenOver,
                                rc::kTopicFilterInvalid,
                                rc::kTopicNameInvalid,
                                rc::kPacketIdentifierInUse,
                                rc::kPacketIdentifierNotFound,
                                rc::kReceiveMaximumExceeded,
                                rc::kTopicAliasInvalid,
                                rc::kPacketTooLarge,
                                rc::kMessageRateTooHigh,
                                rc::kQuotaExceeded,
                                rc::kAdministrativeAction,
                                rc::kPayloadFormatInvalid,
                                rc::kRetainNotSupported,
                                rc::kQosNotSupported,
                                rc::kUseAnotherServer,
                                rc::kServerMoved,
                                rc::kSharedSubscriptionsNotSupported,
                                rc::kConnectionRateExceeded,
                                rc::kMaximumConnectTime,
                                rc::kSubscriptionIdentifiersNotSupported,
                                rc::kWildcardSubscriptionsNotSupported};
  std::set<std::string_view> names;
  for (auto code : codes) {
    EXPECT_NE(rc::name(code), "Unknown reason code") << int(code);
    names.insert(rc::name(code));
  }
  EXPECT_EQ(names.size(), std::size(codes)) << "names are distinct";
  EXPECT_EQ(rc::name(rc::kMalformedPacket), "Malformed Packet");
  EXPECT_EQ(rc::name(0x7F), "Unknown reason code");
}

}  // namespace
}  // namespace gatemq::mqtt::testing
