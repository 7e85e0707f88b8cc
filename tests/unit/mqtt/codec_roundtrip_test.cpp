#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/unit/mqtt/codec_test_util.hpp"

namespace gatemq::mqtt::testing {

Properties all_publish_properties() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 3600;
  p.content_type = "application/json";
  p.response_topic = "reply/here";
  p.correlation_data = std::string("\x00\x01\xff", 3);
  p.subscription_identifiers = {1, 268435455};
  p.topic_alias = 7;
  p.user_properties = {{"k", "v"}, {"k", "v2"}, {"", ""}};
  return p;
}

Properties all_connack_properties() {
  Properties p;
  p.session_expiry_interval = 0xFFFFFFFF;
  p.assigned_client_identifier = "auto-1";
  p.server_keep_alive = 30;
  p.authentication_method = "SCRAM";
  p.authentication_data = std::string(
      "\x00"
      "data",
      5);
  p.response_information = "resp/";
  p.server_reference = "other:1883";
  p.reason_string = "because";
  p.receive_maximum = 10;
  p.topic_alias_maximum = 5;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.user_properties = {{"a", "b"}};
  p.maximum_packet_size = 1024;
  p.wildcard_subscription_available = 0;
  p.subscription_identifier_available = 1;
  p.shared_subscription_available = 0;
  return p;
}

std::vector<std::pair<Packet, ProtocolVersion>> sample_packets() {
  using V = ProtocolVersion;
  std::vector<std::pair<Packet, ProtocolVersion>> samples;
  for (auto version : {V::v31, V::v311, V::v5}) {
    const bool v5 = version == V::v5;
    Connect connect;
    connect.version = version;
    connect.clean_start = false;
    connect.keep_alive = 60;
    connect.client_id = "client-\xC3\xA9";
    connect.username = "user";
    connect.password = std::string("p\x00w", 3);
    Will will{"will/topic", std::string("bye\x00", 4), 2, true, {}};
    if (v5) {
      will.properties.will_delay_interval = 10;
      will.properties.content_type = "text/plain";
      will.properties.user_properties = {{"w", "1"}};
      connect.properties.session_expiry_interval = 120;
      connect.properties.receive_maximum = 20;
      connect.properties.maximum_packet_size = 4096;
      connect.properties.topic_alias_maximum = 10;
      connect.properties.request_problem_information = 0;
      connect.properties.request_response_information = 1;
      connect.properties.authentication_method = "m";
      connect.properties.authentication_data = "d";
      connect.properties.user_properties = {{"x", "y"}};
    }
    connect.will = will;
    samples.emplace_back(connect, version);
    Connect minimal;
    minimal.version = version;
    minimal.client_id = "m";
    samples.emplace_back(minimal, version);

    Connack connack{true, 0, {}};
    if (v5) connack.properties = all_connack_properties();
    samples.emplace_back(connack, version);

    for (std::uint8_t qos = 0; qos < 3; ++qos) {
      Publish publish{qos > 0,
                      qos,
                      true,
                      "a/b",
                      static_cast<std::uint16_t>(qos ? 42 : 0),
                      {},
                      std::string(300, 'x')};
      if (v5) publish.properties = all_publish_properties();
      samples.emplace_back(publish, version);
    }
    Publish empty_payload{false, 1, false, "t", 65535, {}, ""};
    samples.emplace_back(empty_payload, version);

    Properties ack_props;
    if (v5) {
      ack_props.reason_string = "r";
      ack_props.user_properties = {{"u", "p"}};
    }
    const std::uint8_t ack_code = v5 ? rc::kNoMatchingSubscribers : 0;
    samples.emplace_back(Puback{1, ack_code, ack_props}, version);
    samples.emplace_back(Pubrec{2, ack_code, ack_props}, version);
    samples.emplace_back(Pubrel{3, v5 ? rc::kPacketIdentifierNotFound : std::uint8_t{0}, ack_props},
                         version);
    samples.emplace_back(Pubcomp{4, 0, {}}, version);

    Subscribe subscribe;
    subscribe.packet_id = 5;
    subscribe.subscriptions = {{"a/+", {1, false, false, 0}}, {"#", {2, false, false, 0}}};
    if (v5) {
      subscribe.properties.subscription_identifiers = {99};
      subscribe.properties.user_properties = {{"s", "1"}};
      subscribe.subscriptions.push_back({"x", {0, true, true, 2}});
    }
    samples.emplace_back(subscribe, version);
    Suback suback{6, {}, {0, 1, 2, 0x80}};
    if (v5) {
      suback.properties.reason_string = "ok";
      suback.reason_codes.push_back(rc::kNotAuthorized);
    }
    samples.emplace_back(suback, version);
    Unsubscribe unsubscribe{7, {}, {"a/+", "b"}};
    if (v5) unsubscribe.properties.user_properties = {{"u", "1"}};
    samples.emplace_back(unsubscribe, version);
    Unsuback unsuback{8, {}, {}};
    if (v5) unsuback.reason_codes = {0, rc::kNoSubscriptionExisted};
    samples.emplace_back(unsuback, version);
    samples.emplace_back(Pingreq{}, version);
    samples.emplace_back(Pingresp{}, version);
    Disconnect disconnect;
    if (v5) {
      disconnect.reason_code = rc::kDisconnectWithWill;
      disconnect.properties.session_expiry_interval = 0;
      disconnect.properties.reason_string = "bye";
      disconnect.properties.server_reference = "elsewhere";
    }
    samples.emplace_back(disconnect, version);
    if (v5) {
      samples.emplace_back(Disconnect{}, version);
      Auth auth{rc::kContinueAuthentication, {}};
      auth.properties.authentication_method = "SCRAM";
      auth.properties.authentication_data = "abc";
      auth.properties.reason_string = "more";
      samples.emplace_back(auth, version);
      samples.emplace_back(Auth{}, version);
    }
  }
  return samples;
}

namespace {

TEST(CodecRoundTrip, EveryPacketEveryVersion) {
  for (const auto& [packet, version] : sample_packets()) {
    const auto bytes = encoded(packet, version);
    const auto result = decode_whole(bytes, version);
    ASSERT_TRUE(result.ok()) << "type " << packet.index() + 1 << " v" << int(version) << ": "
                             << result.error.message << " " << hex(bytes);
    EXPECT_EQ(result.packet, packet) << "type " << packet.index() + 1 << " v" << int(version);
    // Encoding what was decoded gives the same bytes.
    EXPECT_EQ(encoded(result.packet, version), bytes);
  }
}

TEST(CodecRoundTrip, EncodePublishMatchesEncode) {
  for (const auto& [packet, version] : sample_packets()) {
    const auto* publish = std::get_if<Publish>(&packet);
    if (!publish) continue;
    std::string fast;
    encode_publish({publish->dup, publish->qos, publish->retain, publish->packet_id},
                   publish->topic, publish->properties, publish->payload, version, fast);
    EXPECT_EQ(fast, encoded(packet, version));
    EXPECT_EQ(fast.size(), encoded_publish_size(publish->topic, publish->properties,
                                                publish->payload.size(), publish->qos, version));
  }
}

TEST(CodecRoundTrip, EncodeAppendsToWhatIsThere) {
  std::string out = "prefix";
  encode(Pingreq{}, ProtocolVersion::v311, out);
  encode_publish({false, 1, false, 9}, "t", {}, "p", ProtocolVersion::v311, out);
  EXPECT_EQ(out, "prefix" + unhex("c000"
                                  "3206000174000970"));
}

TEST(CodecRoundTrip, LongRemainingLengths) {
  // 127, 128, 16383, 16384 and 2,097,152 body bytes: 1 to 4 remaining-length bytes.
  for (std::size_t body : {127u, 128u, 16383u, 16384u, 2097152u}) {
    const std::string payload(body - 3, 'p');  // topic "t" takes 3 bytes
    Publish publish{false, 0, false, "t", 0, {}, payload};
    const auto bytes = encoded(publish, ProtocolVersion::v311);
    EXPECT_EQ(bytes.size(),
              encoded_publish_size("t", {}, payload.size(), 0, ProtocolVersion::v311));
    const auto result = decode_whole(bytes, ProtocolVersion::v311);
    ASSERT_TRUE(result.ok()) << result.error.message;
    EXPECT_EQ(std::get<Publish>(result.packet), publish);
  }
  EXPECT_EQ(hex(encoded(Publish{false, 0, false, "t", 0, {}, std::string(125, 'p')},
                        ProtocolVersion::v311)
                    .substr(0, 3)),
            "308001");
}

TEST(CodecRoundTrip, UnencodableValuesThrowAndAppendNothing) {
  std::string out = "keep";
  const std::string huge(65536, 'x');
  EXPECT_THROW(encode(Publish{false, 0, false, huge, 0, {}, ""}, ProtocolVersion::v311, out),
               std::length_error);
  Properties properties;
  properties.reason_string = huge;
  EXPECT_THROW(encode(Disconnect{rc::kServerBusy, properties}, ProtocolVersion::v5, out),
               std::length_error);
  properties = {};
  properties.user_properties = {{"k", huge}};
  EXPECT_THROW(encode_publish({}, "t", properties, "p", ProtocolVersion::v5, out),
               std::length_error);
  EXPECT_EQ(out, "keep");
}

TEST(CodecVectors, Connack5AndSubscribe5Bytes) {
  Connack connack{true, rc::kSuccess, {}};
  connack.properties.receive_maximum = 10;
  EXPECT_EQ(hex(encoded(connack, ProtocolVersion::v5)),
            "2006"
            "01"
            "00"
            "03"
            "21000a");
  Subscribe subscribe{1, {}, {{"a", {1, true, true, 2}}}};
  subscribe.properties.subscription_identifiers = {300};
  EXPECT_EQ(hex(encoded(subscribe, ProtocolVersion::v5)),
            "820a"
            "0001"
            "03"
            "0bac02"
            "000161"
            "2d");
  EXPECT_EQ(hex(encoded(subscribe, ProtocolVersion::v311)),
            "8206"
            "0001"
            "000161"
            "01");
  EXPECT_EQ(hex(encoded(Unsuback{2, {}, {0x11}}, ProtocolVersion::v5)),
            "b004"
            "0002"
            "00"
            "11");
  EXPECT_EQ(hex(encoded(Auth{}, ProtocolVersion::v5)), "f000");
  EXPECT_EQ(hex(encoded(Auth{rc::kReAuthenticate, {}}, ProtocolVersion::v5)), "f00119");
  // A full v5 CONNECT: will with properties, user name and password.
  Connect connect;
  connect.version = ProtocolVersion::v5;
  connect.keep_alive = 30;
  connect.client_id = "c";
  connect.properties.session_expiry_interval = 60;
  connect.will = Will{"w", "x", 1, false, {}};
  connect.will->properties.will_delay_interval = 5;
  connect.username = "u";
  connect.password = "p";
  EXPECT_EQ(hex(encoded(connect, ProtocolVersion::v5)),
            "1025"
            "00044d515454"
            "05"
            "ce"
            "001e"
            "05"
            "110000003c"
            "000163"
            "05"
            "1800000005"
            "000177"
            "000178"
            "000175"
            "000170");
}

TEST(CodecVectors, Connect311) {
  // MQTT 3.1.1 CONNECT: client id "c1", clean session, keepalive 60.
  const auto bytes = unhex(
      "100e00044d5154540402003c0002"
      "6331");
  const auto result = decode_whole(bytes, ProtocolVersion::v311);
  ASSERT_TRUE(result.ok()) << result.error.message;
  const auto& connect = std::get<Connect>(result.packet);
  EXPECT_EQ(connect.version, ProtocolVersion::v311);
  EXPECT_TRUE(connect.clean_start);
  EXPECT_EQ(connect.keep_alive, 60);
  EXPECT_EQ(connect.client_id, "c1");
  EXPECT_FALSE(connect.will);
}

TEST(CodecVectors, Connect31) {
  const auto bytes = unhex(
      "101000064d514973647003020005"
      "0002"
      "6331");
  const auto result = decode_whole(bytes, ProtocolVersion::v311);
  ASSERT_TRUE(result.ok()) << result.error.message;
  EXPECT_EQ(std::get<Connect>(result.packet).version, ProtocolVersion::v31);
}

TEST(CodecVectors, Connect5WithSessionExpiry) {
  // v5 CONNECT, properties: session expiry 0x11 = 10, receive maximum 0x21 = 5.
  const auto bytes = unhex(
      "1016"
      "00044d515454"
      "05"
      "02"
      "000a"
      "08"
      "110000000a"
      "210005"
      "0001"
      "78");
  const auto result = decode_whole(bytes, ProtocolVersion::v5);
  ASSERT_TRUE(result.ok()) << result.error.message;
  const auto& connect = std::get<Connect>(result.packet);
  EXPECT_EQ(connect.properties.session_expiry_interval, 10u);
  EXPECT_EQ(connect.properties.receive_maximum, 5);
  EXPECT_EQ(connect.client_id, "x");
}

TEST(CodecVectors, PublishBytes) {
  const Publish publish{false, 1, false, "a/b", 10, {}, "hi"};
  EXPECT_EQ(hex(encoded(publish, ProtocolVersion::v311)),
            "3209"
            "0003612f62"
            "000a"
            "6869");
  EXPECT_EQ(hex(encoded(publish, ProtocolVersion::v5)),
            "320a"
            "0003612f62"
            "000a"
            "00"
            "6869");
}

TEST(CodecVectors, ShortAcksOmitReasonCode) {
  EXPECT_EQ(hex(encoded(Puback{5, 0, {}}, ProtocolVersion::v5)), "40020005");
  EXPECT_EQ(hex(encoded(Puback{5, 0x10, {}}, ProtocolVersion::v5)), "4003000510");
  EXPECT_EQ(hex(encoded(Puback{5, 0x10, {}}, ProtocolVersion::v311)), "40020005");
  EXPECT_EQ(hex(encoded(Pubrel{5, 0, {}}, ProtocolVersion::v311)), "62020005");
  EXPECT_EQ(hex(encoded(Disconnect{}, ProtocolVersion::v5)), "e000");
  EXPECT_EQ(hex(encoded(Disconnect{rc::kSessionTakenOver, {}}, ProtocolVersion::v5)), "e0018e");
  EXPECT_EQ(hex(encoded(Pingresp{}, ProtocolVersion::v311)), "d000");
}

TEST(CodecVectors, Version3Mappings) {
  EXPECT_EQ(
      hex(encoded(Connack{false, rc::kUnsupportedProtocolVersion, {}}, ProtocolVersion::v311)),
      "20020001");
  EXPECT_EQ(hex(encoded(Connack{false, rc::kClientIdentifierNotValid, {}}, ProtocolVersion::v311)),
            "20020002");
  EXPECT_EQ(hex(encoded(Connack{false, rc::kServerUnavailable, {}}, ProtocolVersion::v311)),
            "20020003");
  EXPECT_EQ(hex(encoded(Connack{false, rc::kBadUserNameOrPassword, {}}, ProtocolVersion::v311)),
            "20020004");
  EXPECT_EQ(hex(encoded(Connack{false, rc::kNotAuthorized, {}}, ProtocolVersion::v311)),
            "20020005");
  EXPECT_EQ(hex(encoded(Connack{true, 0, {}}, ProtocolVersion::v311)), "20020100");
  EXPECT_EQ(hex(encoded(Suback{1, {}, {0, rc::kNotAuthorized}}, ProtocolVersion::v311)),
            "9004000100"
            "80");
  EXPECT_EQ(hex(encoded(Unsuback{1, {}, {0x11}}, ProtocolVersion::v311)), "b0020001");
  EXPECT_EQ(encoded(Auth{}, ProtocolVersion::v311), "");
}

}  // namespace
}  // namespace gatemq::mqtt::testing
