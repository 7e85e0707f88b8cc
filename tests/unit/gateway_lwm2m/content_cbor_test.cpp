// SenML CBOR (content format 112). Payloads are hand-encoded byte for byte, each with its CBOR
// diagnostic notation (RFC 8949 §8) above it; text pieces are spelled as strings for readability
// but every CBOR head (type and length) is written out by hand.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/lwm2m/content.hpp"
#include "tests/unit/gateway_lwm2m/content_test_support.hpp"

namespace gatemq::gateway::lwm2m {

namespace {

using nlohmann::json;
using Bytes = std::vector<std::uint8_t>;
using content_format::kSenmlCbor;

using test_support::kLookup;
using test_support::kTypesObject;
using test_support::path;

// One piece of a hand-written payload: literal bytes, or the UTF-8 bytes of a text string's
// content (its head is written by hand before it).
struct Piece {
  Piece(std::initializer_list<int> literal) {
    for (const int byte : literal) bytes.push_back(static_cast<std::uint8_t>(byte));
  }
  Piece(const char* text) : Piece(std::string_view(text)) {}
  Piece(std::string_view text) : bytes(text.begin(), text.end()) {}
  Bytes bytes;
};

Bytes cbor(std::initializer_list<Piece> pieces) {
  Bytes out;
  for (const auto& piece : pieces) out.insert(out.end(), piece.bytes.begin(), piece.bytes.end());
  return out;
}

Result<std::vector<Content>> decode_cbor(const Bytes& payload, std::string_view request) {
  return decode(kSenmlCbor, payload, path(request), kLookup);
}

std::vector<Content> must_decode(const Bytes& payload, std::string_view request) {
  auto result = decode_cbor(payload, request);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error());
  return result.ok() ? *result : std::vector<Content>{};
}

json single_value(const Bytes& payload, std::string_view request) {
  const auto contents = must_decode(payload, request);
  if (contents.size() != 1) {
    ADD_FAILURE() << contents.size() << " values for " << request;
    return json();
  }
  EXPECT_EQ(contents.front().path, path(request));
  return contents.front().value;
}

void expect_error(const Bytes& payload, std::string_view request, std::string_view fragment) {
  const auto result = decode_cbor(payload, request);
  ASSERT_FALSE(result.ok()) << "decoded for " << request << ", expected: " << fragment;
  EXPECT_NE(result.error().find(fragment), std::string::npos)
      << "error '" << result.error() << "' lacks '" << fragment << "'";
}

// [{-2: "/3/0/", 0: "0", 3: "Open Mobile Alliance"},
//  {0: "9", 2: 95}, {0: "6/0", 2: 1}, {0: "6/1", 2: 5},
//  {0: "13", 2: 1700000000}, {0: "16", 3: "U"}]
// clang-format off
const Bytes kDeviceInstance = cbor({
    {0x86},                                                                 // array(6)
    {0xA3, 0x21, 0x65}, "/3/0/", {0x00, 0x61}, "0", {0x03, 0x74}, "Open Mobile Alliance",
    {0xA2, 0x00, 0x61}, "9", {0x02, 0x18, 0x5F},                            // 95
    {0xA2, 0x00, 0x63}, "6/0", {0x02, 0x01},
    {0xA2, 0x00, 0x63}, "6/1", {0x02, 0x05},
    {0xA2, 0x00, 0x62}, "13", {0x02, 0x1A, 0x65, 0x53, 0xF1, 0x00},         // 1700000000
    {0xA2, 0x00, 0x62}, "16", {0x03, 0x61}, "U",
});
// clang-format on

// [{-2: "/9999/0/", 0: "0", 3: "héllo"}, {0: "1", 2: -5},
//  {0: "2", 2: 18446744073709551615}, {0: "3", 2: 1.5_1}, {0: "4", 4: true},
//  {0: "5", 8: h'00FF1080'}, {0: "6", 2: 1500000000}, {0: "7", "vlo": "3:0"},
//  {0: "8", 3: "</3/0>"}]
// clang-format off
const Bytes kEveryType = cbor({
    {0x89},                                                                 // array(9)
    {0xA3, 0x21, 0x68}, "/9999/0/", {0x00, 0x61}, "0", {0x03, 0x66}, "h\xC3\xA9llo",
    {0xA2, 0x00, 0x61}, "1", {0x02, 0x24},                                  // -5
    {0xA2, 0x00, 0x61}, "2", {0x02, 0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
    {0xA2, 0x00, 0x61}, "3", {0x02, 0xF9, 0x3E, 0x00},                      // 1.5_1 (half)
    {0xA2, 0x00, 0x61}, "4", {0x04, 0xF5},                                  // true
    {0xA2, 0x00, 0x61}, "5", {0x08, 0x44, 0x00, 0xFF, 0x10, 0x80},          // h'00FF1080'
    {0xA2, 0x00, 0x61}, "6", {0x02, 0x1A, 0x59, 0x68, 0x2F, 0x00},          // 1500000000
    {0xA2, 0x00, 0x61}, "7", {0x63}, "vlo", {0x63}, "3:0",
    {0xA2, 0x00, 0x61}, "8", {0x03, 0x66}, "</3/0>",
});
// clang-format on

TEST(Lwm2mContentCbor, DecodesDeviceInstance) {
  const std::vector<Content> expected = {
      {path("/3/0/0"), "Open Mobile Alliance"},
      {path("/3/0/9"), 95},
      {path("/3/0/6/0"), 1},
      {path("/3/0/6/1"), 5},
      {path("/3/0/13"), 1700000000},
      {path("/3/0/16"), "U"},
  };
  EXPECT_EQ(must_decode(kDeviceInstance, "/3/0"), expected);
  EXPECT_EQ(must_decode(kDeviceInstance, "/3"), expected);
  EXPECT_EQ(must_decode(kDeviceInstance, "/"), expected);
}

TEST(Lwm2mContentCbor, SameResultAsSenmlJson) {
  const std::string text =
      R"([{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"9","v":95},)"
      R"({"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"13","v":1700000000},{"n":"16","vs":"U"}])";
  const auto from_json =
      decode(content_format::kSenmlJson, Bytes(text.begin(), text.end()), path("/3/0"), kLookup);
  ASSERT_TRUE(from_json.ok()) << from_json.error();
  EXPECT_EQ(must_decode(kDeviceInstance, "/3/0"), *from_json);
}

TEST(Lwm2mContentCbor, DecodesEveryType) {
  const std::vector<Content> expected = {
      {path("/9999/0/0"), "h\xC3\xA9llo"},
      {path("/9999/0/1"), -5},
      {path("/9999/0/2"), std::numeric_limits<std::uint64_t>::max()},
      {path("/9999/0/3"), 1.5},
      {path("/9999/0/4"), true},
      {path("/9999/0/5"), "AP8QgA=="},  // vd: a byte string in CBOR, base64 on the MQTT side
      {path("/9999/0/6"), 1500000000},
      {path("/9999/0/7"), "3:0"},
      {path("/9999/0/8"), "</3/0>"},
  };
  EXPECT_EQ(must_decode(kEveryType, "/9999/0"), expected);
}

TEST(Lwm2mContentCbor, FloatWidths) {
  // [{-2: "/9999/0/3", 2: <float>}]
  const auto with_value = [](std::initializer_list<int> value) {
    return cbor({{0x81, 0xA2, 0x21, 0x69}, "/9999/0/3", {0x02}, value});
  };
  EXPECT_EQ(single_value(with_value({0xFA, 0x3F, 0x8C, 0xCC, 0xCD}), "/9999/0/3"), 1.1);  // 1.1_2
  EXPECT_EQ(single_value(with_value({0xFB, 0xC0, 0x97, 0x70, 0, 0, 0, 0, 0}), "/9999/0/3"),
            -1500.0);                                                             // -1500.0_3
  EXPECT_EQ(single_value(with_value({0xF9, 0x7B, 0xFF}), "/9999/0/3"), 65504.0);  // 65504.0_1
  EXPECT_EQ(single_value(with_value({0xF9, 0x00, 0x01}), "/9999/0/3"),
            5.960464477539063e-08);                                      // smallest half subnormal
  EXPECT_EQ(single_value(with_value({0x18, 0x2A}), "/9999/0/3"), 42.0);  // an integer is fine
  // An integral float for an Integer resource is read as the integer, as in SenML JSON:
  // [{-2: "/9999/0/1", 2: 5.0_1}]
  EXPECT_EQ(single_value(cbor({{0x81, 0xA2, 0x21, 0x69}, "/9999/0/1", {0x02, 0xF9, 0x45, 0x00}}),
                         "/9999/0/1"),
            5);
}

TEST(Lwm2mContentCbor, NamesAndBaseNames) {
  // Full name in n: [{0: "/3/0/9", 2: 42}]
  EXPECT_EQ(single_value(cbor({{0x81, 0xA2, 0x00, 0x66}, "/3/0/9", {0x02, 0x18, 0x2A}}), "/3/0/9"),
            42);
  // Full name in bn, no n: [{-2: "/3/0/9", 2: 42}]
  EXPECT_EQ(single_value(cbor({{0x81, 0xA2, 0x21, 0x66}, "/3/0/9", {0x02, 0x18, 0x2A}}), "/3/0/9"),
            42);
  // Relative name, no bn, against the request path: [{0: "9", 2: 42}]
  EXPECT_EQ(must_decode(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x02, 0x18, 0x2A}}), "/3/0"),
            (std::vector<Content>{{path("/3/0/9"), 42}}));
  // The base name holds until replaced; a record of base fields only is skipped:
  // [{-2: "/3/0/"}, {0: "9", 2: 1}, {-2: "/9999/0/", 0: "1", 2: 2}, {0: "4", 4: false}]
  EXPECT_EQ(must_decode(cbor({{0x84, 0xA1, 0x21, 0x65},
                              "/3/0/",  //
                              {0xA2, 0x00, 0x61},
                              "9",
                              {0x02, 0x01},  //
                              {0xA3, 0x21, 0x68},
                              "/9999/0/",
                              {0x00, 0x61},
                              "1",
                              {0x02, 0x02},
                              {0xA2, 0x00, 0x61},
                              "4",
                              {0x04, 0xF4}}),
                        "/"),
            (std::vector<Content>{
                {path("/3/0/9"), 1}, {path("/9999/0/1"), 2}, {path("/9999/0/4"), false}}));
  // An empty pack has no values: []
  EXPECT_TRUE(must_decode(Bytes{0x80}, "/3/0").empty());
}

TEST(Lwm2mContentCbor, BaseTimeVersionAndUnknownFieldsAreIgnored) {
  // [{-2: "/3/0/", -3: 1500000000, -1: 10}, {0: "9", 2: 95, 6: -5}]
  EXPECT_EQ(single_value(cbor({{0x82, 0xA3, 0x21, 0x65},
                               "/3/0/",
                               {0x22, 0x1A, 0x59, 0x68, 0x2F, 0x00, 0x20, 0x0A},  //
                               {0xA3, 0x00, 0x61},
                               "9",
                               {0x02, 0x18, 0x5F, 0x06, 0x24}}),
                         "/3/0/9"),
            95);
  // {-2: "/3/0/", 0: "9", 2: 1, 99: [1, {2: "x"}], "foo": h'00', 5: 10, 1: "%"}: unknown
  // labels and text keys are skipped whatever their value, like unknown SenML JSON fields.
  EXPECT_EQ(single_value(cbor({{0x81, 0xA7, 0x21, 0x65},
                               "/3/0/",
                               {0x00, 0x61},
                               "9",
                               {0x02, 0x01},
                               {0x18, 0x63, 0x82, 0x01, 0xA1, 0x02, 0x61},
                               "x",  //
                               {0x63},
                               "foo",
                               {0x41, 0x00},  //
                               {0x05, 0x0A, 0x01, 0x61},
                               "%"}),
                         "/3/0/9"),
            1);
  // Base value is added to v: [{-2: "/3/0/", -5: 90, 0: "9", 2: 5}]
  EXPECT_EQ(single_value(cbor({{0x81, 0xA4, 0x21, 0x65},
                               "/3/0/",
                               {0x24, 0x18, 0x5A, 0x00, 0x61},
                               "9",
                               {0x02, 0x05}}),
                         "/3/0/9"),
            95);
  // Unknown resources keep the CBOR type: [{-2: "/3/0/", 0: "50", 3: "a"}, {0: "51", 2: 2.5_1}]
  EXPECT_EQ(must_decode(cbor({{0x82, 0xA3, 0x21, 0x65},
                              "/3/0/",
                              {0x00, 0x62},
                              "50",
                              {0x03, 0x61},
                              "a",
                              {0xA2, 0x00, 0x62},
                              "51",
                              {0x02, 0xF9, 0x41, 0x00}}),
                        "/3/0"),
            (std::vector<Content>{{path("/3/0/50"), "a"}, {path("/3/0/51"), 2.5}}));
}

TEST(Lwm2mContentCbor, ObjectLinksAndOpaque) {
  // [{0: "/9999/0/7", "vlo": "65535:65535"}]: the "no link" value
  EXPECT_EQ(single_value(
                cbor({{0x81, 0xA2, 0x00, 0x69}, "/9999/0/7", {0x63}, "vlo", {0x6B}, "65535:65535"}),
                "/9999/0/7"),
            "65535:65535");
  // An unknown resource with "vlo" is still checked and kept as a link: [{0: "/3/0/50", ...}]
  EXPECT_EQ(single_value(cbor({{0x81, 0xA2, 0x00, 0x67}, "/3/0/50", {0x63}, "vlo", {0x63}, "1:2"}),
                         "/3/0/50"),
            "1:2");
  // [{0: "/9999/0/5", 8: h''}]: empty opaque
  EXPECT_EQ(single_value(cbor({{0x81, 0xA2, 0x00, 0x69}, "/9999/0/5", {0x08, 0x40}}), "/9999/0/5"),
            "");
  // [{0: "/3/0/50", 8: h'010203'}]: unknown resource, data stays base64
  EXPECT_EQ(
      single_value(cbor({{0x81, 0xA2, 0x00, 0x67}, "/3/0/50", {0x08, 0x43, 0x01, 0x02, 0x03}}),
                   "/3/0/50"),
      "AQID");
}

TEST(Lwm2mContentCbor, StructuralErrors) {
  expect_error({}, "/3/0", "truncated item");
  expect_error({0xA0}, "/3/0", "must be an array");                                 // {}
  expect_error({0x81, 0x01}, "/3/0", "record 0: CBOR: a record must be a map");     // [1]
  expect_error({0x80, 0x00}, "/3/0", "trailing bytes");                             // [] 0
  expect_error({0x9F, 0xFF}, "/3/0", "indefinite-length items are not supported");  // [_ ]
  expect_error({0x81, 0xBF, 0xFF}, "/3/0", "indefinite-length");                    // [{_ }]
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x7F, 0x61}, "9", {0xFF, 0x02, 0x01}}), "/3/0",
               "indefinite-length");  // [{0: (_ "9"), 2: 1}]
  expect_error({0x81, 0xA1, 0x00, 0x1C}, "/3/0", "reserved additional information 28");
  expect_error({0x81, 0xA1, 0x00, 0xFF}, "/3/0", "unexpected break");
  expect_error(cbor({{0x81, 0xA1, 0x00, 0x61}}), "/3/0", "exceeds the 0 bytes left");
  expect_error({0x81, 0xA1, 0xF5, 0x01}, "/3/0", "integer label or a text string");  // {true: 1}
  // [{0: "9", 2: 1(1)}]: a tag
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x02, 0xC1, 0x01}}), "/3/0",
               "tags are not supported");
  // [{0: "9", 2: [1]}]
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x02, 0x81, 0x01}}), "/3/0",
               "nested arrays and maps are not SenML values");
  // [{0: "9", 0: "9"}]
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x00, 0x61}, "9"}), "/3/0",
               "'n' appears twice");
}

TEST(Lwm2mContentCbor, HugeDeclaredLengths) {
  // Array of 2^64-1 records, map of 2^32 pairs, text of 2^63-1 bytes, bytes of 2^32-1 bytes.
  expect_error({0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, "/3/0", "exceeds");
  expect_error({0x81, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}, "/3/0", "exceeds");
  expect_error({0x81, 0xA1, 0x00, 0x7B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, "/3/0",
               "exceeds");
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "5", {0x08, 0x5A, 0xFF, 0xFF, 0xFF, 0xFF}}),
               "/9999/0", "exceeds");
  // Under an unknown label, which is skipped rather than read: {99: [2^64-1 items]}
  expect_error({0x81, 0xA1, 0x18, 0x63, 0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
               "/3/0", "exceeds");
  // A count that fits the bytes left but whose items are not there: [{..}, {..}] with one map
  expect_error({0x82, 0xA0}, "/3/0", "exceeds");
}

TEST(Lwm2mContentCbor, DeepNestingIsRefused) {
  // [[[[...]]]] a hundred thousand deep: the pack's first record is not a map.
  Bytes arrays(100000, 0x81);
  expect_error(arrays, "/3/0", "a record must be a map");
  // [{99: [[[[...1]]]]}]: nested under a skipped label.
  Bytes skipped = {0x81, 0xA1, 0x18, 0x63};
  skipped.insert(skipped.end(), 100000, 0x81);
  skipped.push_back(0x01);
  expect_error(skipped, "/3/0", "nested too deeply");
  // [{99: {1: {1: ... 1}}}]
  Bytes maps = {0x81, 0xA1, 0x18, 0x63};
  for (int i = 0; i < 50000; ++i) maps.insert(maps.end(), {0xA1, 0x01});
  maps.push_back(0x01);
  expect_error(maps, "/3/0", "nested too deeply");
}

TEST(Lwm2mContentCbor, ValueErrors) {
  // [{0: "9", 2: NaN}], Infinity as single, null, undefined
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x02, 0xF9, 0x7E, 0x00}}), "/3/0",
               "not finite");
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x02, 0xFA, 0x7F, 0x80, 0x00, 0x00}}), "/3/0",
               "not finite");
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x02, 0xF6}}), "/3/0",
               "unsupported simple value 22");
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "9", {0x02, 0xF7}}), "/3/0",
               "unsupported simple value 23");
  // [{0: "9", 2: -18446744073709551616}]
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61},
                     "9",
                     {0x02, 0x3B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}),
               "/3/0", "out of range");
  // [{0: "2", 2: -1}] for an Unsigned Integer
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "2", {0x02, 0x20}}), "/9999/0", "negative");
  // [{0: "5", 8: "A"}]: vd must be a byte string
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "5", {0x08, 0x61}, "A"}), "/9999/0",
               "'vd' must be a byte string");
  // [{0: h'39', 2: 1}], [{0: "0", 3: h'00'}]: byte strings elsewhere
  expect_error({0x81, 0xA2, 0x00, 0x41, 0x39, 0x02, 0x01}, "/3/0", "'n' must be a string");
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "0", {0x03, 0x41, 0x00}}), "/3/0",
               "'vs' must be a string");
  // [{0: "0", 3: h'C328' as text}]: invalid UTF-8
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "0", {0x03, 0x62, 0xC3, 0x28}}), "/3/0",
               "not valid UTF-8");
  // [{0: "4", 4: 1}], [{0: "0", 3: "a", 4: true}]
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "4", {0x04, 0x01}}), "/9999/0",
               "'vb' must be true or false");
  expect_error(cbor({{0x81, 0xA3, 0x00, 0x61}, "0", {0x03, 0x61}, "a", {0x04, 0xF5}}), "/3/0",
               "both 'vs' and 'vb'");
  // [{0: "3", "vlo": "3:0"}] for a Float; [{0: "7", "vlo": "70000:1"}]
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "3", {0x63}, "vlo", {0x63}, "3:0"}), "/9999/0",
               "Float but the payload has 'vlo'");
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "7", {0x63}, "vlo", {0x67}, "70000:1"}), "/9999/0",
               "not an object link");
  // [{-5: "x", 0: "9", 2: 1}]: base value must be a number
  expect_error(cbor({{0x81, 0xA3, 0x24, 0x61}, "x", {0x00, 0x61}, "9", {0x02, 0x01}}), "/3/0",
               "'bv' must be a number");
  // [{0: "9"}]: no value
  expect_error(cbor({{0x81, 0xA1, 0x00, 0x61}, "9"}), "/3/0", "has no value");
  // [{0: "1", 2: 5.5_1}] for an Integer
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x61}, "1", {0x02, 0xF9, 0x45, 0x80}}), "/9999/0",
               "expected an integer");
}

TEST(Lwm2mContentCbor, PathRules) {
  // [{-2: "/3/0/", 0: "9", 2: 1}, {0: "9", 2: 2}]: the same resource twice
  expect_error(cbor({{0x82, 0xA3, 0x21, 0x65},
                     "/3/0/",
                     {0x00, 0x61},
                     "9",
                     {0x02, 0x01},
                     {0xA2, 0x00, 0x61},
                     "9",
                     {0x02, 0x02}}),
               "/3/0", "duplicate value for /3/0/9");
  // [{0: "/4/0/0", 2: 1}]: outside the request
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x66}, "/4/0/0", {0x02, 0x01}}), "/3/0",
               "outside the requested path /3/0");
  // [{0: "/3/0", 2: 1}]: not a resource
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x64}, "/3/0", {0x02, 0x01}}), "/3/0",
               "is not a resource or resource instance");
  // [{0: "0/1/2", 2: 1}] under /3/0: five levels
  expect_error(cbor({{0x81, 0xA2, 0x00, 0x65}, "0/1/2", {0x02, 0x01}}), "/3/0",
               "more than 4 levels");
}

// ---- encoding --------------------------------------------------------------------------------

TEST(Lwm2mContentCborEncode, WritesRecordsRelativeToTheBasePath) {
  using T = ResourceType;
  const std::vector<BatchItem> items = {
      {"14", T::String, "+02:00"},
      {"/13", T::Time, 1700000000},  // a leading '/' is still relative, as in encode_batch()
      {"6/1", T::Integer, -5},
  };
  const auto payload = encode_batch_senml_cbor(path("/3/0"), items);
  ASSERT_TRUE(payload.ok()) << payload.error();
  EXPECT_EQ(payload->format, kSenmlCbor);
  // [{-2: "/3/0/", 0: "6/1", 2: -5}, {0: "13", 2: 1700000000}, {0: "14", 3: "+02:00"}]
  // clang-format off
  const Bytes expected = cbor({
      {0x83},
      {0xA3, 0x21, 0x65}, "/3/0/", {0x00, 0x63}, "6/1", {0x02, 0x24},
      {0xA2, 0x00, 0x62}, "13", {0x02, 0x1A, 0x65, 0x53, 0xF1, 0x00},
      {0xA2, 0x00, 0x62}, "14", {0x03, 0x66}, "+02:00",
  });
  // clang-format on
  EXPECT_EQ(payload->bytes, expected);
}

TEST(Lwm2mContentCborEncode, EveryTypeRoundTrips) {
  using T = ResourceType;
  const std::vector<BatchItem> items = {
      {"0", T::String, "h\xC3\xA9llo"},
      {"1", T::Integer, std::numeric_limits<std::int64_t>::min()},
      {"2", T::UnsignedInteger, std::numeric_limits<std::uint64_t>::max()},
      {"3", T::Float, -1.1},
      {"4", T::Boolean, true},
      {"5", T::Opaque, "AP8QgA=="},
      {"6", T::Time, 0},
      {"7", T::ObjectLink, "3:0"},
      {"8", T::CoreLink, "</3/0>"},
  };
  const auto payload = encode_batch_senml_cbor(path("/9999/0"), items);
  ASSERT_TRUE(payload.ok()) << payload.error();
  std::vector<Content> expected;
  for (const auto& item : items) expected.push_back({*path("/9999/0").join(item.path), item.value});
  EXPECT_EQ(must_decode(payload->bytes, "/9999/0"), expected);
  // The root as base (composite), and a resource as base (its instances).
  const std::vector<BatchItem> spread = {{"/3/0/9", T::Integer, 1},
                                         {"/9999/0/4", T::Boolean, false}};
  const auto composite = encode_batch_senml_cbor(path("/"), spread);
  ASSERT_TRUE(composite.ok()) << composite.error();
  EXPECT_EQ(must_decode(composite->bytes, "/"),
            (std::vector<Content>{{path("/3/0/9"), 1}, {path("/9999/0/4"), false}}));
  const std::vector<BatchItem> instances = {{"1", T::Integer, 5}, {"0", T::Integer, 1}};
  const auto resource = encode_batch_senml_cbor(path("/3/0/6"), instances);
  ASSERT_TRUE(resource.ok()) << resource.error();
  EXPECT_EQ(must_decode(resource->bytes, "/3/0/6"),
            (std::vector<Content>{{path("/3/0/6/0"), 1}, {path("/3/0/6/1"), 5}}));
}

TEST(Lwm2mContentCborEncode, Errors) {
  using T = ResourceType;
  const auto error_of = [](std::string_view base, std::vector<BatchItem> items) {
    const auto payload = encode_batch_senml_cbor(path(base), items);
    EXPECT_FALSE(payload.ok());
    return payload.ok() ? std::string() : payload.error();
  };
  EXPECT_NE(error_of("/3/0", {{"9", T::Integer, "x"}}).find("expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of("/3/0", {{"9", T::Integer, 1}, {"/9", T::Integer, 2}}).find("duplicate"),
            std::string::npos);
  EXPECT_NE(error_of("/3", {{"0", T::Integer, 1}}).find("not a resource"), std::string::npos);
  EXPECT_NE(error_of("/3/0", {{"4", T::None, nullptr}}).find("executable"), std::string::npos);
  EXPECT_NE(error_of("/3/0", {{"5", T::Opaque, "!!"}}).find("base64"), std::string::npos);
}

// ---- fuzz-style: nothing may crash, errors must be printable --------------------------------

void expect_clean(const Bytes& payload, std::string_view request) {
  const auto result = decode_cbor(payload, request);
  if (result.ok()) {
    for (const auto& content : *result) {
      EXPECT_GE(content.path.depth(), 3u);
      EXPECT_NO_THROW((void)content.value.dump());  // valid UTF-8, no binary left
      EXPECT_FALSE(content.value.is_binary());
    }
  } else {
    EXPECT_FALSE(result.error().empty());
    EXPECT_NO_THROW((void)json(result.error()).dump());
  }
}

const char* const kRequestPaths[] = {"/", "/3", "/3/0", "/3/0/9", "/9999/0", "/9999/0/5"};

TEST(Lwm2mContentCborFuzz, EveryTruncationIsAnError) {
  for (const Bytes* payload : {&kDeviceInstance, &kEveryType}) {
    ASSERT_TRUE(decode_cbor(*payload, "/").ok());
    for (std::size_t size = 0; size < payload->size(); ++size) {
      const Bytes prefix(payload->begin(), payload->begin() + size);
      // A SenML CBOR pack declares its counts and lengths up front: no proper prefix is whole.
      for (const char* request : kRequestPaths) {
        EXPECT_FALSE(decode_cbor(prefix, request).ok()) << "prefix of " << size << " bytes";
      }
    }
    // One flipped byte at every position, and every value at the first position of a record.
    for (std::size_t i = 0; i < payload->size(); ++i) {
      for (const std::uint8_t flip : {0x01, 0x20, 0x80, 0xA5, 0xFF}) {
        Bytes mutated = *payload;
        mutated[i] ^= flip;
        for (const char* request : kRequestPaths) expect_clean(mutated, request);
      }
    }
  }
}

TEST(Lwm2mContentCborFuzz, RandomBytes) {
  std::mt19937 random(112);
  // Bytes that make CBOR heads of every major type, small lengths and the SenML labels, so
  // random payloads get past the first byte often enough to matter.
  const Bytes structured = {0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x18, 0x19, 0x1A, 0x1B, 0x20,
                            0x21, 0x22, 0x24, 0x41, 0x44, 0x5B, 0x61, 0x63, 0x65, 0x7B, 0x7F, 0x81,
                            0x82, 0x9B, 0x9F, 0xA1, 0xA2, 0xA3, 0xBB, 0xBF, 0xC1, 0xF4, 0xF5, 0xF6,
                            0xF9, 0xFA, 0xFB, 0xFF, '/',  '3',  '0',  '9',  'v',  'l',  'o',  ':'};
  for (int round = 0; round < 6000; ++round) {
    Bytes payload(random() % 64);
    for (auto& byte : payload) {
      byte = round % 2 == 0 ? static_cast<std::uint8_t>(random())
                            : structured[random() % structured.size()];
    }
    if (round % 3 == 0 && payload.size() >= 2) {
      payload[0] = static_cast<std::uint8_t>(0x81 + random() % 3);  // a small array of
      payload[1] = static_cast<std::uint8_t>(0xA1 + random() % 3);  // small maps
    }
    expect_clean(payload, kRequestPaths[round % std::size(kRequestPaths)]);
  }
}

TEST(Lwm2mContentCborFuzz, RandomEditsOfValidPayloads) {
  std::mt19937 random(8428);
  for (int round = 0; round < 3000; ++round) {
    Bytes payload = round % 2 == 0 ? kDeviceInstance : kEveryType;
    for (int edits = 1 + random() % 4; edits > 0; --edits) {
      const std::size_t at = random() % payload.size();
      switch (random() % 3) {
        case 0:
          payload[at] = static_cast<std::uint8_t>(random());
          break;
        case 1:
          payload.erase(payload.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        default:
          payload.insert(payload.begin() + static_cast<std::ptrdiff_t>(at),
                         static_cast<std::uint8_t>(random()));
      }
      if (payload.empty()) break;
    }
    expect_clean(payload, kRequestPaths[round % std::size(kRequestPaths)]);
  }
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m
