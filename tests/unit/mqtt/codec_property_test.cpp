// MQTT 5 properties property by property: where each may appear (spec table 2-4, written out
// again here rather than shared with the codec), duplicates and value ranges.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/unit/mqtt/codec_test_util.hpp"

namespace gatemq::mqtt::testing {
namespace {

// Where a property block can sit: the packet types that carry one, plus the will properties.
enum class Where {
  Connect,
  Will,
  Connack,
  Publish,
  Puback,
  Pubrec,
  Pubrel,
  Pubcomp,
  Subscribe,
  Suback,
  Unsubscribe,
  Unsuback,
  Disconnect,
  Auth
};
const Where kEveryPlace[] = {Where::Connect,    Where::Will,   Where::Connack,     Where::Publish,
                             Where::Puback,     Where::Pubrec, Where::Pubrel,      Where::Pubcomp,
                             Where::Subscribe,  Where::Suback, Where::Unsubscribe, Where::Unsuback,
                             Where::Disconnect, Where::Auth};

std::string varint(std::uint32_t value) {
  std::string out;
  do {
    std::uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (value);
  return out;
}

// A v5 packet with `properties` (raw property bytes, no length) in the block at `where`.
std::pair<std::uint8_t, std::string> packet_with(Where where, std::string_view properties) {
  const std::string block =
      varint(static_cast<std::uint32_t>(properties.size())) + std::string(properties);
  const std::string connect_head = unhex(
      "00044d515454"
      "05");
  switch (where) {
    case Where::Connect:
      return {0x10, connect_head + unhex("02000a") + block + unhex("000178")};
    case Where::Will:  // clean start + will flag; the will block follows the client id
      return {0x10, connect_head + unhex("06000a00000178") + block + unhex("0001740000")};
    case Where::Connack:
      return {0x20, unhex("0000") + block};
    case Where::Publish:
      return {0x30, unhex("000174") + block};
    case Where::Puback:
      return {0x40, unhex("000100") + block};
    case Where::Pubrec:
      return {0x50, unhex("000100") + block};
    case Where::Pubrel:
      return {0x62, unhex("000100") + block};
    case Where::Pubcomp:
      return {0x70, unhex("000100") + block};
    case Where::Subscribe:
      return {0x82, unhex("0001") + block + unhex("00016100")};
    case Where::Suback:
      return {0x90, unhex("0001") + block + unhex("00")};
    case Where::Unsubscribe:
      return {0xa2, unhex("0001") + block + unhex("000161")};
    case Where::Unsuback:
      return {0xb0, unhex("0001") + block + unhex("00")};
    case Where::Disconnect:
      return {0xe0, unhex("00") + block};
    case Where::Auth:
      return {0xf0, unhex("00") + block};
  }
  return {};
}

std::uint8_t decode_error(Where where, std::string_view properties) {
  const auto [first_byte, body] = packet_with(where, properties);
  return decode(first_byte, body, ProtocolVersion::v5).error.reason_code;
}

struct PropertySpec {
  std::uint8_t id;
  std::string valid_value;  // hex
  std::set<Where> allowed;
};

const std::vector<PropertySpec>& property_specs() {
  using W = Where;
  const std::set<Where> message{W::Publish, W::Will};
  const std::set<Where> everywhere(std::begin(kEveryPlace), std::end(kEveryPlace));
  static const std::vector<PropertySpec> specs = {
      {0x01, "01", message},
      {0x02, "0000000a", message},
      {0x03, "000161", message},
      {0x08, "000161", message},
      {0x09, "000100", message},
      {0x0B, "05", {W::Publish, W::Subscribe}},
      {0x11, "0000000a", {W::Connect, W::Connack, W::Disconnect}},
      {0x12, "000161", {W::Connack}},
      {0x13, "000a", {W::Connack}},
      {0x15, "000161", {W::Connect, W::Connack, W::Auth}},
      {0x16, "000100", {W::Connect, W::Connack, W::Auth}},
      {0x17, "01", {W::Connect}},
      {0x18, "0000000a", {W::Will}},
      {0x19, "01", {W::Connect}},
      {0x1A, "000161", {W::Connack}},
      {0x1C, "000161", {W::Connack, W::Disconnect}},
      {0x1F,
       "000161",
       {W::Connack, W::Puback, W::Pubrec, W::Pubrel, W::Pubcomp, W::Suback, W::Unsuback,
        W::Disconnect, W::Auth}},
      {0x21, "000a", {W::Connect, W::Connack}},
      {0x22, "000a", {W::Connect, W::Connack}},
      {0x23, "0001", {W::Publish}},
      {0x24, "01", {W::Connack}},
      {0x25, "01", {W::Connack}},
      {0x26, "000161000162", everywhere},
      {0x27, "00000400", {W::Connect, W::Connack}},
      {0x28, "01", {W::Connack}},
      {0x29, "01", {W::Connack}},
      {0x2A, "01", {W::Connack}},
  };
  return specs;
}

std::string property(const PropertySpec& spec) {
  return std::string(1, static_cast<char>(spec.id)) + unhex(spec.valid_value);
}

TEST(Properties, AllowedExactlyWhereTheSpecSays) {
  for (const auto& spec : property_specs()) {
    for (auto where : kEveryPlace) {
      auto expected = spec.allowed.count(where) ? std::uint8_t{0} : rc::kMalformedPacket;
      // Authentication data alone in CONNECT: allowed there, but only with a method.
      if (spec.id == 0x16 && where == Where::Connect) expected = rc::kProtocolError;
      EXPECT_EQ(decode_error(where, property(spec)), expected)
          << "property 0x" << std::hex << int(spec.id) << " at place " << std::dec
          << static_cast<int>(where);
    }
  }
}

TEST(Properties, AuthenticationDataWithMethodInConnect) {
  EXPECT_EQ(decode_error(Where::Connect, unhex("15000161"
                                               "16000100")),
            0);
}

TEST(Properties, UnknownIdentifiersAreMalformed) {
  std::set<std::uint8_t> known;
  for (const auto& spec : property_specs()) known.insert(spec.id);
  for (int id = 0; id < 0x80; ++id) {
    if (known.count(static_cast<std::uint8_t>(id))) continue;
    const std::string bytes = std::string(1, static_cast<char>(id)) + unhex("00");
    EXPECT_EQ(decode_error(Where::Publish, bytes), rc::kMalformedPacket) << id;
  }
  // A multi-byte identifier is not a known one either, even if it decodes to a known value.
  EXPECT_EQ(decode_error(Where::Publish, unhex("810001")), rc::kMalformedPacket);
}

TEST(Properties, DuplicatesAreProtocolErrorsExceptRepeatables) {
  for (const auto& spec : property_specs()) {
    const auto where = *spec.allowed.begin();
    const auto twice = property(spec) + property(spec);
    std::uint8_t expected = rc::kProtocolError;
    if (spec.id == 0x26) expected = 0;                             // user property
    if (spec.id == 0x0B && where == Where::Publish) expected = 0;  // subscription ids
    EXPECT_EQ(decode_error(where, twice), expected) << "property 0x" << std::hex << int(spec.id);
  }
  EXPECT_EQ(decode_error(Where::Subscribe, unhex("0b01"
                                                 "0b02")),
            rc::kProtocolError);
}

TEST(Properties, RepeatablesKeepEveryValueInOrder) {
  const auto [first_byte, body] = packet_with(Where::Publish, unhex("0b05"
                                                                    "0b81"
                                                                    "01"
                                                                    "26000161000162"
                                                                    "26000161000163"));
  const auto result = decode(first_byte, body, ProtocolVersion::v5);
  ASSERT_TRUE(result.ok()) << result.error.message;
  const auto& properties = std::get<Publish>(result.packet).properties;
  EXPECT_EQ(properties.subscription_identifiers, (std::vector<std::uint32_t>{5, 129}));
  EXPECT_EQ(properties.user_properties, (UserProperties{{"a", "b"}, {"a", "c"}}));
}

TEST(Properties, ValueRanges) {
  // Byte properties that are booleans (or Maximum QoS, 0 or 1): 2 is a protocol error.
  const std::map<std::uint8_t, Where> flags = {{0x01, Where::Publish}, {0x17, Where::Connect},
                                               {0x19, Where::Connect}, {0x24, Where::Connack},
                                               {0x25, Where::Connack}, {0x28, Where::Connack},
                                               {0x29, Where::Connack}, {0x2A, Where::Connack}};
  for (const auto& [id, where] : flags) {
    const std::string bytes{static_cast<char>(id), '\x02'};
    EXPECT_EQ(decode_error(where, bytes), rc::kProtocolError)
        << "property 0x" << std::hex << int(id);
    const std::string zero{static_cast<char>(id), '\x00'};
    EXPECT_EQ(decode_error(where, zero), 0) << "property 0x" << std::hex << int(id);
  }
  EXPECT_EQ(decode_error(Where::Connect, unhex("210000")), rc::kProtocolError) << "receive max 0";
  EXPECT_EQ(decode_error(Where::Connack, unhex("210000")), rc::kProtocolError);
  EXPECT_EQ(decode_error(Where::Connect, unhex("2700000000")), rc::kProtocolError)
      << "maximum packet size 0";
  EXPECT_EQ(decode_error(Where::Publish, unhex("230000")), rc::kTopicAliasInvalid)
      << "topic alias 0";
  EXPECT_EQ(decode_error(Where::Publish, unhex("0b00")), rc::kProtocolError)
      << "subscription identifier 0";
  EXPECT_EQ(decode_error(Where::Subscribe, unhex("0b00")), rc::kProtocolError);
  // Zero is fine where the spec gives it a meaning.
  EXPECT_EQ(decode_error(Where::Connect, unhex("220000")), 0) << "topic alias maximum 0";
  EXPECT_EQ(decode_error(Where::Connack, unhex("130000")), 0) << "server keep alive 0";
  EXPECT_EQ(decode_error(Where::Connect, unhex("1100000000")), 0) << "session expiry 0";
  // Largest subscription identifier, 268,435,455.
  EXPECT_EQ(decode_error(Where::Subscribe, unhex("0bffffff7f")), 0);
  EXPECT_EQ(decode_error(Where::Subscribe, unhex("0bffffffff01")), rc::kMalformedPacket);
}

TEST(Properties, TruncatedOrBadlyTypedValuesAreMalformed) {
  EXPECT_EQ(decode_error(Where::Publish, unhex("020000")), rc::kMalformedPacket);
  EXPECT_EQ(decode_error(Where::Publish, unhex("030005616263")), rc::kMalformedPacket);
  EXPECT_EQ(decode_error(Where::Publish, unhex("230a")), rc::kMalformedPacket);
  EXPECT_EQ(decode_error(Where::Publish, unhex("26000161")), rc::kMalformedPacket)
      << "user property without its value";
  EXPECT_EQ(decode_error(Where::Publish, unhex("030002c0af")), rc::kMalformedPacket)
      << "content type with an overlong encoding";
  EXPECT_EQ(decode_error(Where::Publish, unhex("2600016100020000")), rc::kMalformedPacket)
      << "user property value with U+0000";
  // Correlation data is binary: any byte is fine.
  EXPECT_EQ(decode_error(Where::Publish, unhex("090003ff0000")), 0);
}

TEST(Properties, IgnoredBefore5) {
  // A 3.1.1 PUBLISH has no property block: what would be one is payload.
  const auto result = decode(0x30,
                             unhex("000174"
                                   "0101"),
                             ProtocolVersion::v311);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(std::get<Publish>(result.packet).payload, unhex("0101"));
  // And encoding for 3.x drops them.
  Publish publish{false, 0, false, "t", 0, all_publish_properties(), "p"};
  EXPECT_EQ(hex(encoded(publish, ProtocolVersion::v311)),
            "3004"
            "000174"
            "70");
}

}  // namespace
}  // namespace gatemq::mqtt::testing
