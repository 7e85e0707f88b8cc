#include "gateways/lwm2m/tlv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

// TLV byte strings of the OMA LwM2M 1.0 TS examples, built from the §6.4.3 rules.
namespace gatemq::gateway::lwm2m::test {

// Defined here, declared extern in content_test.cpp (one test binary).
// §6.4.3.1: Read /3/0 of the example client (Device object, single instance).
extern const std::vector<std::uint8_t> kDeviceInstanceTlv = {
    // 0 Manufacturer: Resource, 8-bit id, 8-bit length 20, "Open Mobile Alliance"
    0xC8, 0x00, 0x14, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l', 'e', ' ', 'A', 'l', 'l',
    'i', 'a', 'n', 'c', 'e',
    // 1 Model Number: length 22, "Lightweight M2M Client"
    0xC8, 0x01, 0x16, 'L', 'i', 'g', 'h', 't', 'w', 'e', 'i', 'g', 'h', 't', ' ', 'M', '2', 'M',
    ' ', 'C', 'l', 'i', 'e', 'n', 't',
    // 2 Serial Number: length 9 (too long for 3 bits), "345000123"
    0xC8, 0x02, 0x09, '3', '4', '5', '0', '0', '0', '1', '2', '3',
    // 3 Firmware Version: 3-bit length 3, "1.0"
    0xC3, 0x03, '1', '.', '0',
    // 6 Available Power Sources: Multiple Resource, 6 bytes of instances 0=1, 1=5
    0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05,
    // 7 Power Source Voltage: 8 bytes (needs the length field), 0=3800, 1=5000
    0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88,
    // 8 Power Source Current: 7 bytes, 0=125, 1=900
    0x87, 0x08, 0x41, 0x00, 0x7D, 0x42, 0x01, 0x03, 0x84,
    // 9 Battery Level 100, 10 Memory Free 15
    0xC1, 0x09, 0x64, 0xC1, 0x0A, 0x0F,
    // 11 Error Code: one instance 0=0
    0x83, 0x0B, 0x41, 0x00, 0x00,
    // 13 Current Time 0x5182428F
    0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F,
    // 14 UTC Offset "+02:00"
    0xC6, 0x0E, '+', '0', '2', ':', '0', '0',
    // 16 Supported Binding and Modes "U"
    0xC1, 0x10, 'U'};

// §6.4.3.2: Read /2 (Access Control, instances 0 and 2). Instance 2's ACL has an entry for
// server 310, which needs a 16-bit resource instance identifier (type byte 0x61).
extern const std::vector<std::uint8_t> kAccessControlObjectTlv = {
    // Object Instance 0, 14 bytes: 0 Object ID=1, 1 Instance ID=0, 2 ACL {127: 7}, 3 Owner 127
    0x08, 0x00, 0x0E, 0xC1, 0x00, 0x01, 0xC1, 0x01, 0x00, 0x83, 0x02, 0x41, 0x7F, 0x07, 0xC1, 0x03,
    0x7F,
    // Object Instance 2, 18 bytes: Object ID=3, Instance ID=0, ACL {127: 7, 310: 1}, Owner 127
    0x08, 0x02, 0x12, 0xC1, 0x00, 0x03, 0xC1, 0x01, 0x00, 0x87, 0x02, 0x41, 0x7F, 0x07, 0x61, 0x01,
    0x36, 0x01, 0xC1, 0x03, 0x7F};

}  // namespace gatemq::gateway::lwm2m::test

namespace gatemq::gateway::lwm2m::tlv {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

std::vector<Entry> must_decode(const Bytes& bytes) {
  auto entries = decode(bytes);
  EXPECT_TRUE(entries.ok()) << (entries.ok() ? "" : entries.error());
  return entries.ok() ? *entries : std::vector<Entry>{};
}

Bytes must_encode(const std::vector<Entry>& entries) {
  auto bytes = encode(entries);
  EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error());
  return bytes.ok() ? *bytes : Bytes{};
}

// The Device object read example (TS 1.0 §6.4.3.1), decoded by hand from the spec's rules.
TEST(Lwm2mTlv, DecodesDeviceObjectExample) {
  const auto entries = must_decode(test::kDeviceInstanceTlv);
  const std::vector<Entry> expected = {
      resource(0, text("Open Mobile Alliance")),
      resource(1, text("Lightweight M2M Client")),
      resource(2, text("345000123")),
      resource(3, text("1.0")),
      multiple_resource(6, {resource_instance(0, {0x01}), resource_instance(1, {0x05})}),
      multiple_resource(7,
                        {resource_instance(0, {0x0E, 0xD8}), resource_instance(1, {0x13, 0x88})}),
      multiple_resource(8, {resource_instance(0, {0x7D}), resource_instance(1, {0x03, 0x84})}),
      resource(9, {0x64}),
      resource(10, {0x0F}),
      multiple_resource(11, {resource_instance(0, {0x00})}),
      resource(13, {0x51, 0x82, 0x42, 0x8F}),
      resource(14, text("+02:00")),
      resource(16, text("U")),
  };
  EXPECT_EQ(entries, expected);
  EXPECT_EQ(*decode_integer(entries[5].children[1].value), 5000);
  EXPECT_EQ(*decode_integer(entries[6].children[1].value), 900);
  EXPECT_EQ(*decode_integer(entries[10].value), 0x5182428F);
}

TEST(Lwm2mTlv, ReencodesSpecExamplesByteForByte) {
  for (const auto* example : {&test::kDeviceInstanceTlv, &test::kAccessControlObjectTlv}) {
    EXPECT_EQ(must_encode(must_decode(*example)), *example);
  }
}

// Multiple object instance example (TS 1.0 §6.4.3.2, Access Control object), including a
// resource instance with a 16-bit identifier (ACL entry 310).
TEST(Lwm2mTlv, DecodesObjectInstancesWithWideIdentifier) {
  const auto entries = must_decode(test::kAccessControlObjectTlv);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].kind, Kind::ObjectInstance);
  EXPECT_EQ(entries[0].id, 0);
  EXPECT_EQ(entries[1].id, 2);
  ASSERT_EQ(entries[1].children.size(), 4u);
  const auto& acl = entries[1].children[2];
  EXPECT_EQ(acl,
            multiple_resource(2, {resource_instance(127, {0x07}), resource_instance(310, {0x01})}));
}

TEST(Lwm2mTlv, EveryLengthFormRoundTrips) {
  struct Case {
    std::size_t length;
    Bytes header;  // expected type byte, identifier and length field for a Resource id 5
  };
  const std::vector<Case> cases = {
      {0, {0xC0, 0x05}},
      {7, {0xC7, 0x05}},
      {8, {0xC8, 0x05, 0x08}},
      {255, {0xC8, 0x05, 0xFF}},
      {256, {0xD0, 0x05, 0x01, 0x00}},
      {65535, {0xD0, 0x05, 0xFF, 0xFF}},
      {65536, {0xD8, 0x05, 0x01, 0x00, 0x00}},
      {70000, {0xD8, 0x05, 0x01, 0x11, 0x70}},
  };
  for (const auto& c : cases) {
    Bytes value(c.length);
    for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<std::uint8_t>(i * 7);
    const std::vector<Entry> entries = {resource(5, value)};
    const auto bytes = must_encode(entries);
    ASSERT_EQ(bytes.size(), c.header.size() + c.length) << c.length;
    EXPECT_EQ(Bytes(bytes.begin(), bytes.begin() + c.header.size()), c.header) << c.length;
    EXPECT_EQ(must_decode(bytes), entries) << c.length;
  }
}

TEST(Lwm2mTlv, IdentifierWidths) {
  for (const std::uint16_t id : {0, 1, 255, 256, 4660, 65534, 65535}) {
    for (const auto kind : {Kind::ResourceValue, Kind::ResourceInstance, Kind::ObjectInstance,
                            Kind::MultipleResource}) {
      const Entry entry{kind, id, {}, {}};
      const auto bytes = must_encode({entry});
      ASSERT_FALSE(bytes.empty());
      EXPECT_EQ((bytes[0] & 0x20) != 0, id > 255) << id;
      EXPECT_EQ(bytes.size(), id > 255 ? 3u : 2u);
      EXPECT_EQ(must_decode(bytes), std::vector<Entry>{entry});
    }
  }
  // A 16-bit identifier below 256 and an 8-bit length where 3 bits would do are accepted.
  EXPECT_EQ(must_decode({0xE8, 0x00, 0x05, 0x01, 0x2A}), std::vector<Entry>{resource(5, {0x2A})});
  EXPECT_EQ(must_decode({0xC8, 0x05, 0x01, 0x2A}), std::vector<Entry>{resource(5, {0x2A})});
  // Stray length bits in the type byte are ignored when a length field is present.
  EXPECT_EQ(must_decode({0xCF, 0x05, 0x01, 0x2A}), std::vector<Entry>{resource(5, {0x2A})});
}

TEST(Lwm2mTlv, NestedStructuresRoundTrip) {
  const std::vector<Entry> entries = {
      object_instance(0, {resource(1, {0x01}), multiple_resource(2, {})}),
      object_instance(300, {multiple_resource(7, {resource_instance(1000, Bytes(300, 0xAB))}),
                            resource(65534, Bytes(70000, 0x11))}),
      object_instance(1, {}),
  };
  const auto bytes = must_encode(entries);
  EXPECT_EQ(must_decode(bytes), entries);
  EXPECT_EQ(must_encode(must_decode(bytes)), bytes);
}

TEST(Lwm2mTlv, EmptyInputIsEmptyList) {
  EXPECT_TRUE(must_decode({}).empty());
}

TEST(Lwm2mTlv, RefusesBadNesting) {
  // Object instance inside object instance.
  EXPECT_FALSE(decode(Bytes{0x03, 0x00, 0x00, 0x00, 0x00}).ok());
  // Resource instance directly inside an object instance.
  EXPECT_FALSE(decode(Bytes{0x03, 0x00, 0x41, 0x00, 0x01}).ok());
  // Resource (11) inside a multiple resource.
  EXPECT_FALSE(decode(Bytes{0x83, 0x06, 0xC1, 0x00, 0x01}).ok());
  // Multiple resource inside a multiple resource.
  EXPECT_FALSE(decode(Bytes{0x82, 0x06, 0x80, 0x00}).ok());
  const auto error = decode(Bytes{0x83, 0x06, 0xC1, 0x00, 0x01}).error();
  EXPECT_NE(error.find("not allowed inside a multiple resource"), std::string::npos) << error;

  EXPECT_FALSE(encode(std::vector<Entry>{object_instance(0, {object_instance(1, {})})}).ok());
  EXPECT_FALSE(encode(std::vector<Entry>{multiple_resource(0, {resource(1, {})})}).ok());
  EXPECT_FALSE(
      encode(std::vector<Entry>{Entry{Kind::ResourceValue, 1, {}, {resource(1, {})}}}).ok());
  EXPECT_FALSE(encode(std::vector<Entry>{Entry{Kind::ObjectInstance, 1, {0x01}, {}}}).ok());
}

TEST(Lwm2mTlv, RefusesLengthsPastTheEnd) {
  EXPECT_FALSE(decode(Bytes{0xC3, 0x00, 0x01, 0x02}).ok());        // 3-bit length 3, 2 left
  EXPECT_FALSE(decode(Bytes{0xC8, 0x00, 0x05, 0x01}).ok());        // 8-bit length 5, 1 left
  EXPECT_FALSE(decode(Bytes{0xD0, 0x00, 0xFF, 0xFF, 0x00}).ok());  // 16-bit length
  EXPECT_FALSE(decode(Bytes{0xD8, 0x00, 0xFF, 0xFF, 0xFF}).ok());  // 24-bit length, nothing left
  EXPECT_FALSE(decode(Bytes{0xD8, 0x00, 0x00, 0x00}).ok());        // length field truncated
  EXPECT_FALSE(decode(Bytes{0xE1, 0x00}).ok());                    // 16-bit id truncated
  EXPECT_FALSE(decode(Bytes{0xC1}).ok());                          // identifier missing
  // A child that overruns its container but not the whole input.
  EXPECT_FALSE(decode(Bytes{0x82, 0x06, 0x42, 0x00, 0x01, 0x02}).ok());
  const auto error = decode(Bytes{0xC3, 0x00, 0x01, 0x02}).error();
  EXPECT_NE(error.find("exceeds"), std::string::npos) << error;
}

TEST(Lwm2mTlv, RefusesValuesTooLongToEncode) {
  const std::vector<Entry> entries = {resource(1, Bytes(kMaxValueLength + 1, 0))};
  EXPECT_FALSE(encode(entries).ok());
  const std::vector<Entry> fits = {resource(1, Bytes(kMaxValueLength, 0))};
  const auto bytes = encode(fits);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), kMaxValueLength + 5);
  // A container whose children add up past 24 bits.
  const std::vector<Entry> nested = {object_instance(
      0, {resource(1, Bytes(kMaxValueLength - 10, 0)), resource(2, Bytes(100, 0))})};
  EXPECT_FALSE(encode(nested).ok());
}

TEST(Lwm2mTlv, EveryTruncationFailsCleanly) {
  for (const auto* example : {&test::kDeviceInstanceTlv, &test::kAccessControlObjectTlv}) {
    for (std::size_t size = 0; size < example->size(); ++size) {
      const Bytes prefix(example->begin(), example->begin() + size);
      const auto result = decode(prefix);
      // A cut exactly between two top-level TLVs is a valid shorter list; anything else fails.
      if (result.ok()) {
        EXPECT_EQ(must_encode(*result), prefix) << size;
      }
    }
  }
}

TEST(Lwm2mTlv, RandomBytesNeverCrash) {
  std::mt19937 random(20240508);
  std::size_t decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes bytes(random() % 48);
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
    // Bias towards plausible type bytes so the nested paths get exercised.
    if (!bytes.empty() && round % 2 == 0) bytes[0] &= 0xC7;
    const auto result = decode(bytes);
    if (result.ok()) {
      ++decoded;
      // Whatever decodes must re-encode and decode to the same tree.
      const auto again = encode(*result);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(must_decode(*again), *result);
    } else {
      EXPECT_FALSE(result.error().empty());
    }
  }
  EXPECT_GT(decoded, 0u);
}

// ---- values ---------------------------------------------------------------------------------

TEST(Lwm2mTlvValue, IntegersUseSmallestWidth) {
  const std::vector<std::pair<std::int64_t, Bytes>> cases = {
      {0, {0x00}},
      {127, {0x7F}},
      {-128, {0x80}},
      {128, {0x00, 0x80}},
      {-129, {0xFF, 0x7F}},
      {32767, {0x7F, 0xFF}},
      {-32768, {0x80, 0x00}},
      {32768, {0x00, 0x00, 0x80, 0x00}},
      {3800, {0x0E, 0xD8}},
      {0x5182428F, {0x51, 0x82, 0x42, 0x8F}},
      {2147483647, {0x7F, 0xFF, 0xFF, 0xFF}},
      {-2147483648LL, {0x80, 0x00, 0x00, 0x00}},
      {2147483648LL, {0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00}},
      {std::numeric_limits<std::int64_t>::max(), {0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
      {std::numeric_limits<std::int64_t>::min(), {0x80, 0, 0, 0, 0, 0, 0, 0}},
  };
  for (const auto& [value, bytes] : cases) {
    EXPECT_EQ(encode_integer(value), bytes) << value;
    EXPECT_EQ(*decode_integer(bytes), value) << value;
  }
  // Non-minimal but valid widths decode too.
  EXPECT_EQ(*decode_integer(Bytes{0xFF, 0xFF}), -1);
  EXPECT_EQ(*decode_integer(Bytes{0, 0, 0, 0, 0, 0, 0, 0x05}), 5);
  for (const std::size_t size : {0u, 3u, 5u, 6u, 7u, 9u}) {
    EXPECT_FALSE(decode_integer(Bytes(size, 0)).ok()) << size;
  }
}

TEST(Lwm2mTlvValue, UnsignedIntegers) {
  const std::vector<std::pair<std::uint64_t, Bytes>> cases = {
      {0, {0x00}},
      {255, {0xFF}},
      {256, {0x01, 0x00}},
      {65535, {0xFF, 0xFF}},
      {65536, {0x00, 0x01, 0x00, 0x00}},
      {4294967295u, {0xFF, 0xFF, 0xFF, 0xFF}},
      {4294967296u, {0, 0, 0, 1, 0, 0, 0, 0}},
      {std::numeric_limits<std::uint64_t>::max(), Bytes(8, 0xFF)},
  };
  for (const auto& [value, bytes] : cases) {
    EXPECT_EQ(encode_unsigned(value), bytes) << value;
    EXPECT_EQ(*decode_unsigned(bytes), value) << value;
  }
  EXPECT_FALSE(decode_unsigned(Bytes(3, 0)).ok());
}

TEST(Lwm2mTlvValue, Floats) {
  // 0.5 and -2.25 are exact in single precision: 4 bytes.
  EXPECT_EQ(encode_float(0.5), (Bytes{0x3F, 0x00, 0x00, 0x00}));
  EXPECT_EQ(encode_float(-2.25), (Bytes{0xC0, 0x10, 0x00, 0x00}));
  // 0.1 is not: 8 bytes.
  EXPECT_EQ(encode_float(0.1), (Bytes{0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A}));
  for (const double value : {0.0, 1.0, -1.5, 0.1, 3.141592653589793, 1e300, -1e-300, 65504.0}) {
    const auto bytes = encode_float(value);
    EXPECT_TRUE(bytes.size() == 4 || bytes.size() == 8);
    EXPECT_EQ(*decode_float(bytes), value) << value;
  }
  EXPECT_TRUE(std::isinf(*decode_float(Bytes{0x7F, 0x80, 0x00, 0x00})));
  EXPECT_FALSE(decode_float(Bytes(2, 0)).ok());
  EXPECT_FALSE(decode_float(Bytes(5, 0)).ok());
}

TEST(Lwm2mTlvValue, BooleansAndObjectLinks) {
  EXPECT_EQ(encode_boolean(true), Bytes{0x01});
  EXPECT_EQ(encode_boolean(false), Bytes{0x00});
  EXPECT_TRUE(*decode_boolean(Bytes{0x01}));
  EXPECT_FALSE(*decode_boolean(Bytes{0x00}));
  EXPECT_FALSE(decode_boolean(Bytes{0x02}).ok());
  EXPECT_FALSE(decode_boolean(Bytes{}).ok());
  EXPECT_FALSE(decode_boolean(Bytes{0x00, 0x01}).ok());

  EXPECT_EQ(encode_object_link({66, 1}), (Bytes{0x00, 0x42, 0x00, 0x01}));
  EXPECT_EQ(*decode_object_link(Bytes{0x00, 0x42, 0x00, 0x01}), (ObjectLink{66, 1}));
  EXPECT_EQ(*decode_object_link(Bytes{0xFF, 0xFF, 0xFF, 0xFF}), (ObjectLink{65535, 65535}));
  EXPECT_FALSE(decode_object_link(Bytes{0x00, 0x42, 0x00}).ok());
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m::tlv
