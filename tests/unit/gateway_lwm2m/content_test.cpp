#include "gateways/lwm2m/content.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gateways/lwm2m/tlv.hpp"
#include "tests/unit/gateway_lwm2m/content_test_support.hpp"

namespace gatemq::gateway::lwm2m {
namespace test {
// Defined in tlv_test.cpp: the TS 1.0 §6.4.3.1 / §6.4.3.2 example payloads.
extern const std::vector<std::uint8_t> kDeviceInstanceTlv;
extern const std::vector<std::uint8_t> kAccessControlObjectTlv;
}  // namespace test

namespace {

using nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

using test_support::kLookup;
using test_support::kTypesObject;
using test_support::lookup_type;
using test_support::path;

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Result<std::vector<Content>> decode_text(std::uint16_t format, std::string_view payload,
                                         std::string_view request) {
  return decode(format, bytes_of(payload), path(request), kLookup);
}

std::vector<Content> must_decode(std::uint16_t format, const Bytes& payload,
                                 std::string_view request) {
  auto result = decode(format, payload, path(request), kLookup);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error());
  return result.ok() ? *result : std::vector<Content>{};
}

json single_value(std::uint16_t format, std::string_view payload, std::string_view request) {
  const auto result = decode_text(format, payload, request);
  EXPECT_TRUE(result.ok()) << payload << ": " << (result.ok() ? "" : result.error());
  if (!result.ok() || result->size() != 1) return json();
  EXPECT_EQ(result->front().path, path(request));
  return result->front().value;
}

std::string error_of(std::uint16_t format, std::string_view payload, std::string_view request) {
  const auto result = decode_text(format, payload, request);
  EXPECT_FALSE(result.ok()) << "decoded '" << payload << "' for " << request;
  return result.ok() ? "" : result.error();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The Device object example's values, in payload order.
std::vector<Content> device_example_contents(std::uint16_t instance = 0) {
  const auto at = [&](std::string_view relative) {
    return *Path::from_ids({3, instance})->join(relative);
  };
  return {
      {at("0"), "Open Mobile Alliance"},
      {at("1"), "Lightweight M2M Client"},
      {at("2"), "345000123"},
      {at("3"), "1.0"},
      {at("6/0"), 1},
      {at("6/1"), 5},
      {at("7/0"), 3800},
      {at("7/1"), 5000},
      {at("8/0"), 125},
      {at("8/1"), 900},
      {at("9"), 100},
      {at("10"), 15},
      {at("11/0"), 0},
      {at("13"), 0x5182428F},
      {at("14"), "+02:00"},
      {at("16"), "U"},
  };
}

// ---- TLV ------------------------------------------------------------------------------------

TEST(Lwm2mContentTlv, DecodesDeviceObjectExample) {
  const auto contents = must_decode(content_format::kOmaTlv, test::kDeviceInstanceTlv, "/3/0");
  EXPECT_EQ(contents, device_example_contents());
  EXPECT_TRUE(contents[13].value.is_number_integer());
}

TEST(Lwm2mContentTlv, ObjectLevelWithAndWithoutInstanceWrapper) {
  // Wrapped in an Object Instance TLV (id 0), as a read of /3 returns it.
  std::vector<tlv::Entry> wrapped = {
      tlv::object_instance(0, *tlv::decode(test::kDeviceInstanceTlv))};
  const auto wrapped_bytes = *tlv::encode(wrapped);
  EXPECT_EQ(must_decode(content_format::kOmaTlv, wrapped_bytes, "/3"), device_example_contents());
  // Same, answering /3/0.
  EXPECT_EQ(must_decode(content_format::kOmaTlv, wrapped_bytes, "/3/0"), device_example_contents());
  // Bare resources answering /3 are read as instance 0.
  EXPECT_EQ(must_decode(content_format::kOmaTlv, test::kDeviceInstanceTlv, "/3"),
            device_example_contents());
  // Instance 1 does not answer /3/0.
  wrapped[0].id = 1;
  const auto mismatch =
      decode(content_format::kOmaTlv, *tlv::encode(wrapped), path("/3/0"), kLookup);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_TRUE(contains(mismatch.error(), "object instance 1")) << mismatch.error();
  EXPECT_EQ(must_decode(content_format::kOmaTlv, *tlv::encode(wrapped), "/3"),
            device_example_contents(1));
}

TEST(Lwm2mContentTlv, DecodesMultipleObjectInstances) {
  const auto contents = must_decode(content_format::kOmaTlv, test::kAccessControlObjectTlv, "/2");
  const std::vector<Content> expected = {
      {path("/2/0/0"), 1},     {path("/2/0/1"), 0},     {path("/2/0/2/127"), 7},
      {path("/2/0/3"), 127},   {path("/2/2/0"), 3},     {path("/2/2/1"), 0},
      {path("/2/2/2/127"), 7}, {path("/2/2/2/310"), 1}, {path("/2/2/3"), 127},
  };
  EXPECT_EQ(contents, expected);
}

TEST(Lwm2mContentTlv, ResourceAndResourceInstanceRequests) {
  const Bytes manufacturer(test::kDeviceInstanceTlv.begin(), test::kDeviceInstanceTlv.begin() + 23);
  EXPECT_EQ(must_decode(content_format::kOmaTlv, manufacturer, "/3/0/0"),
            (std::vector<Content>{{path("/3/0/0"), "Open Mobile Alliance"}}));
  const auto wrong = decode(content_format::kOmaTlv, manufacturer, path("/3/0/1"), kLookup);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(contains(wrong.error(), "resource 0")) << wrong.error();

  const Bytes power_sources = {0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
  EXPECT_EQ(must_decode(content_format::kOmaTlv, power_sources, "/3/0/6"),
            (std::vector<Content>{{path("/3/0/6/0"), 1}, {path("/3/0/6/1"), 5}}));
  // Bare resource instances answer their resource or one instance of it.
  const Bytes instances = {0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
  EXPECT_EQ(must_decode(content_format::kOmaTlv, instances, "/3/0/6"),
            (std::vector<Content>{{path("/3/0/6/0"), 1}, {path("/3/0/6/1"), 5}}));
  EXPECT_EQ(must_decode(content_format::kOmaTlv, Bytes{0x41, 0x01, 0x05}, "/3/0/6/1"),
            (std::vector<Content>{{path("/3/0/6/1"), 5}}));
  EXPECT_FALSE(decode(content_format::kOmaTlv, instances, path("/3/0/6/1"), kLookup).ok());
  EXPECT_FALSE(decode(content_format::kOmaTlv, instances, path("/3/0"), kLookup).ok());
  EXPECT_FALSE(decode(content_format::kOmaTlv, instances, path("/"), kLookup).ok());
}

TEST(Lwm2mContentTlv, UnknownAndExecutableResourcesBecomeOpaque) {
  // /3/0/20 is not in the lookup, /3/0/4 is executable: both keep their bytes as base64.
  const Bytes payload = {0xC3, 0x14, 0x01, 0x02, 0x03, 0xC1, 0x04, 0xFF};
  EXPECT_EQ(must_decode(content_format::kOmaTlv, payload, "/3/0"),
            (std::vector<Content>{{path("/3/0/20"), "AQID"}, {path("/3/0/4"), "/w=="}}));
  // No lookup at all behaves the same.
  const auto result = decode(content_format::kOmaTlv, payload, path("/3/0"), TypeLookup{});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->front().value, "AQID");
}

TEST(Lwm2mContentTlv, BadValuesAreErrorsNamingThePath) {
  const auto expect_error = [](const Bytes& payload, std::string_view request,
                               std::string_view fragment) {
    const auto result = decode(content_format::kOmaTlv, payload, path(request), kLookup);
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(contains(result.error(), fragment)) << result.error();
  };
  expect_error({0xC3, 0x09, 0x00, 0x00, 0x01}, "/3/0", "/3/0/9: an integer must be");
  expect_error({0xC2, 0x00, 0xC3, 0x28}, "/3/0", "/3/0/0: string is not valid UTF-8");
  expect_error({0xC1, 0x06, 0x02}, "/1/0", "/1/0/6: a boolean must be 0 or 1");
  expect_error({0xC3, 0x03, 0x00, 0x00, 0x00}, "/9999/0", "a float must be 4 or 8 bytes");
  expect_error({0xC4, 0x03, 0x7F, 0xC0, 0x00, 0x00}, "/9999/0", "not finite");
  expect_error({0xC2, 0x07, 0x00, 0x01}, "/9999/0", "an object link must be 4 bytes");
  expect_error({0xC1, 0x00, 'a', 0xC1, 0x00, 'b'}, "/3/0", "duplicate value for /3/0/0");
  expect_error({0xC3, 0x00}, "/3/0", "malformed TLV");
}

// Every type survives encode_value (TLV) then decode, at resource and resource-instance level.
TEST(Lwm2mContentTlv, EveryTypeRoundTrips) {
  const std::vector<std::pair<std::uint16_t, json>> values = {
      {0, "héllo wörld"},
      {0, ""},
      {1, -5},
      {1, std::numeric_limits<std::int64_t>::min()},
      {1, std::numeric_limits<std::int64_t>::max()},
      {2, 0},
      {2, std::numeric_limits<std::uint64_t>::max()},
      {3, 0.5},
      {3, 0.1},
      {3, -1e300},
      {4, true},
      {4, false},
      {5, "AAECAwQFBgcICQ=="},
      {5, ""},
      {6, 1700000000},
      {6, -1},
      {7, "3:0"},
      {7, "65535:65535"},
      {8, "</3/0>;rt=\"x\""},
  };
  for (const auto& [resource, value] : values) {
    for (const std::string suffix : {"", "/4"}) {
      const auto target = path("/9999/0/" + std::to_string(resource) + suffix);
      const auto type = *lookup_type(kTypesObject, resource);
      const auto payload = encode_value(target, type, value, content_format::kOmaTlv);
      ASSERT_TRUE(payload.ok()) << value << ": " << payload.error();
      EXPECT_EQ(payload->format, content_format::kOmaTlv);
      const auto contents = must_decode(payload->format, payload->bytes, target.to_string());
      EXPECT_EQ(contents, (std::vector<Content>{{target, value}})) << value;
    }
  }
}

TEST(Lwm2mContentTlv, SingleFloatsReadAsTheirShortDecimal) {
  // 1.1f is 0x3F8CCCCD; widening naively would give 1.100000023841858.
  EXPECT_EQ(
      must_decode(content_format::kOmaTlv, Bytes{0xC4, 0x03, 0x3F, 0x8C, 0xCC, 0xCD}, "/9999/0/3"),
      (std::vector<Content>{{path("/9999/0/3"), 1.1}}));
}

// ---- text/plain and octet-stream ------------------------------------------------------------

TEST(Lwm2mContentText, ConvertsByResourceType) {
  using namespace content_format;
  EXPECT_EQ(single_value(kTextPlain, "Open Mobile Alliance", "/3/0/0"), "Open Mobile Alliance");
  EXPECT_EQ(single_value(kTextPlain, "95", "/3/0/9"), 95);
  EXPECT_EQ(single_value(kTextPlain, "-7", "/9999/0/1"), -7);
  EXPECT_EQ(single_value(kTextPlain, "18446744073709551615", "/9999/0/2"),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(single_value(kTextPlain, "3.25", "/9999/0/3"), 3.25);
  EXPECT_EQ(single_value(kTextPlain, "-1e3", "/9999/0/3"), -1000.0);
  EXPECT_EQ(single_value(kTextPlain, "1", "/9999/0/4"), true);
  EXPECT_EQ(single_value(kTextPlain, "0", "/9999/0/4"), false);
  EXPECT_EQ(single_value(kTextPlain, "AQID", "/9999/0/5"), "AQID");
  EXPECT_EQ(single_value(kTextPlain, "1700000000", "/3/0/13"), 1700000000);
  EXPECT_EQ(single_value(kTextPlain, "3:0", "/9999/0/7"), "3:0");
  EXPECT_EQ(single_value(kTextPlain, "</1>", "/9999/0/8"), "</1>");
  EXPECT_EQ(single_value(kTextPlain, "95", "/3/0/6/1"), 95);
  // Unknown resources stay text.
  EXPECT_EQ(single_value(kTextPlain, "95", "/3/0/99"), "95");
  EXPECT_EQ(single_value(kLegacyText, "95", "/3/0/9"), 95);
}

TEST(Lwm2mContentText, RefusesTextThatDoesNotFitTheType) {
  using namespace content_format;
  EXPECT_TRUE(contains(error_of(kTextPlain, "abc", "/3/0/9"), "/3/0/9: text 'abc' is not"));
  for (const char* bad : {"", " 95", "95 ", "+95", "9.5", "0x10", "9223372036854775808"}) {
    error_of(kTextPlain, bad, "/9999/0/1");
  }
  for (const char* bad : {"-1", "18446744073709551616", "1.0"})
    error_of(kTextPlain, bad, "/9999/0/2");
  for (const char* bad : {"", "nan", "inf", "-inf", "1e999", "1,5", "abc"}) {
    error_of(kTextPlain, bad, "/9999/0/3");
  }
  for (const char* bad : {"", "2", "yes", "TRUE"}) error_of(kTextPlain, bad, "/9999/0/4");
  for (const char* bad : {"A", "AQ=", "A===", "AR==", "AQ==AQ==", "AQ ID"}) {
    error_of(kTextPlain, bad, "/9999/0/5");
  }
  for (const char* bad : {"3", "3:", ":0", "3:0:1", "65536:0", "-1:0", "a:b"}) {
    error_of(kTextPlain, bad, "/9999/0/7");
  }
  EXPECT_TRUE(contains(error_of(kTextPlain, "\xC3\x28", "/3/0/0"), "not valid UTF-8"));
  EXPECT_TRUE(contains(error_of(kTextPlain, "x", "/3/0"), "needs a resource path"));
  EXPECT_TRUE(contains(error_of(kTextPlain, "x", "/"), "needs a resource path"));
}

TEST(Lwm2mContentText, OctetStreamIsBase64) {
  using namespace content_format;
  const Bytes firmware = {0x00, 0xFF, 0x10, 0x80};
  EXPECT_EQ(must_decode(kOctetStream, firmware, "/5/0/0"),
            (std::vector<Content>{{path("/5/0/0"), "AP8QgA=="}}));
  EXPECT_EQ(must_decode(kLegacyOpaque, Bytes{}, "/9999/0/5"),
            (std::vector<Content>{{path("/9999/0/5"), ""}}));
  EXPECT_FALSE(decode(kOctetStream, firmware, path("/5/0"), kLookup).ok());
}

TEST(Lwm2mContent, UnsupportedFormat) {
  // 60 is plain application/cbor, which LwM2M does not use.
  const auto result = decode(60, Bytes{0x80}, path("/3/0"), kLookup);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), "unsupported content format 60");
}

// ---- OMA-JSON (LwM2M 1.0) -------------------------------------------------------------------

TEST(Lwm2mContentJson, DecodesOmaJson) {
  const auto result = decode_text(content_format::kOmaJson,
                                  R"({"bn":"/3/0/","e":[
        {"n":"0","sv":"ACME"},{"n":"9","v":95},{"n":"6/0","v":1},{"n":"13","v":1.7e9},
        {"n":"99","bv":true},{"n":"98","ov":"3:0"},{"n":"97","v":2.5}]})",
                                  "/3/0");
  ASSERT_TRUE(result.ok()) << result.error();
  const std::vector<Content> expected = {
      {path("/3/0/0"), "ACME"},      {path("/3/0/9"), 95},    {path("/3/0/6/0"), 1},
      {path("/3/0/13"), 1700000000}, {path("/3/0/99"), true}, {path("/3/0/98"), "3:0"},
      {path("/3/0/97"), 2.5},
  };
  EXPECT_EQ(*result, expected);
  EXPECT_TRUE((*result)[3].value.is_number_integer());  // Time given as 1.7e9 reads as integer
}

TEST(Lwm2mContentJson, NamesResolveAgainstBaseNameOrRequest) {
  using content_format::kOmaJson;
  // No bn: names are relative to the request path.
  EXPECT_EQ(*decode_text(kOmaJson, R"({"e":[{"n":"0","v":7}]})", "/3/0/6"),
            (std::vector<Content>{{path("/3/0/6/0"), 7}}));
  EXPECT_EQ(*decode_text(kOmaJson, R"({"e":[{"n":"0","sv":"x"}]})", "/3/0"),
            (std::vector<Content>{{path("/3/0/0"), "x"}}));
  // Single resource: bn is the full path, n absent.
  EXPECT_EQ(single_value(kOmaJson, R"({"bn":"/3/0/9","e":[{"v":42}]})", "/3/0/9"), 42);
  // Full names without bn.
  EXPECT_EQ(*decode_text(kOmaJson, R"({"e":[{"n":"/3/0/9","v":1}]})", "/"),
            (std::vector<Content>{{path("/3/0/9"), 1}}));
  // Opaque in sv is base64, normalised.
  EXPECT_EQ(single_value(kOmaJson, R"({"bn":"/9999/0/5","e":[{"sv":"-_8"}]})", "/9999/0/5"),
            "+/8=");
}

TEST(Lwm2mContentJson, OmaJsonErrors) {
  using content_format::kOmaJson;
  const auto expect = [](std::string_view payload, std::string_view request,
                         std::string_view fragment) {
    const auto message = error_of(kOmaJson, payload, request);
    EXPECT_TRUE(contains(message, fragment)) << payload << " -> " << message;
  };
  expect("", "/3/0", "not valid JSON");
  expect("{", "/3/0", "not valid JSON");
  expect("[]", "/3/0", "must be an object");
  expect(R"({"bn":"/3/0/"})", "/3/0", "needs an 'e' array");
  expect(R"({"bn":5,"e":[]})", "/3/0", "'bn' must be a string");
  expect(R"({"bn":"/3/0/","e":[7]})", "/3/0", "record 0: must be an object");
  expect(R"({"bn":"/3/0/","e":[{"n":"0"}]})", "/3/0", "record 0: has no value");
  expect(R"({"bn":"/3/0/","e":[{"n":"0","sv":"a","v":1}]})", "/3/0", "both 'v' and 'sv'");
  expect(R"({"bn":"/3/0/","e":[{"n":"9","sv":"95"}]})", "/3/0", "Integer but the payload has 'sv'");
  expect(R"({"bn":"/3/0/","e":[{"n":"9","v":9.5}]})", "/3/0", "expected an integer");
  expect(R"({"bn":"/3/0/","e":[{"n":"9","v":"9"}]})", "/3/0", "'v' must be a number");
  expect(R"({"bn":"/3/0/","e":[{"n":"0","bv":true}]})", "/3/0", "String but the payload has 'bv'");
  expect(R"({"bn":"/3/0/","e":[{"n":"98","ov":"3"}]})", "/3/0", "not an object link");
  expect(R"({"bn":"/3/0/","e":[{"n":"x","v":1}]})", "/3/0", "record 0: invalid id 'x'");
  expect(R"({"bn":"/3/","e":[{"n":"0","v":1}]})", "/3/0", "not a resource");
  expect(R"({"bn":"/4/0/","e":[{"n":"0","v":1}]})", "/3/0", "outside the requested path /3/0");
  expect(R"({"bn":"/3/0/","e":[{"n":"1","sv":"a"},{"n":"1","sv":"b"}]})", "/3/0",
         "record 1: duplicate value for /3/0/1");
  expect(R"({"e":[{"n":"0","v":1}]})", "/", "not a resource");
  expect(std::string(100, '[') + std::string(100, ']'), "/3/0", "nested too deeply");
}

// ---- SenML JSON (LwM2M 1.1) -----------------------------------------------------------------

TEST(Lwm2mContentSenml, DecodesSenmlJson) {
  const auto result = decode_text(content_format::kSenmlJson,
                                  R"([{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},
        {"n":"9","v":95},{"n":"6/0","v":1},{"n":"13","v":1700000000,"t":5},
        {"bn":"/9999/0/","n":"5","vd":"AP8QgA"},{"n":"7","vlo":"3:0"},{"n":"4","vb":true},
        {"n":"3","v":1.5},{"n":"2","v":18446744073709551615}])",
                                  "/");
  ASSERT_TRUE(result.ok()) << result.error();
  const std::vector<Content> expected = {
      {path("/3/0/0"), "Open Mobile Alliance"},
      {path("/3/0/9"), 95},
      {path("/3/0/6/0"), 1},
      {path("/3/0/13"), 1700000000},
      {path("/9999/0/5"), "AP8QgA=="},
      {path("/9999/0/7"), "3:0"},
      {path("/9999/0/4"), true},
      {path("/9999/0/3"), 1.5},
      {path("/9999/0/2"), std::numeric_limits<std::uint64_t>::max()},
  };
  EXPECT_EQ(*result, expected);
}

TEST(Lwm2mContentSenml, BaseFieldsAndSingleResource) {
  using content_format::kSenmlJson;
  // Single resource read: full name in n, or in bn with no n.
  EXPECT_EQ(single_value(kSenmlJson, R"([{"n":"/3/0/9","v":42}])", "/3/0/9"), 42);
  EXPECT_EQ(single_value(kSenmlJson, R"([{"bn":"/3/0/9","v":42}])", "/3/0/9"), 42);
  // A record of base fields only is skipped; base value is added to v.
  EXPECT_EQ(*decode_text(kSenmlJson, R"([{"bn":"/9999/0/","bt":1.5e9,"bver":10},{"n":"3","v":1}])",
                         "/9999/0"),
            (std::vector<Content>{{path("/9999/0/3"), 1.0}}));
  EXPECT_EQ(single_value(kSenmlJson, R"([{"bn":"/3/0/","bv":90,"n":"9","v":5}])", "/3/0/9"), 95);
  // Unknown resources keep the device's JSON type.
  EXPECT_EQ(
      *decode_text(kSenmlJson, R"([{"bn":"/3/0/","n":"50","vs":"a"},{"n":"51","v":2.5}])", "/3/0"),
      (std::vector<Content>{{path("/3/0/50"), "a"}, {path("/3/0/51"), 2.5}}));
}

TEST(Lwm2mContentSenml, SenmlErrors) {
  using content_format::kSenmlJson;
  const auto expect = [](std::string_view payload, std::string_view request,
                         std::string_view fragment) {
    const auto message = error_of(kSenmlJson, payload, request);
    EXPECT_TRUE(contains(message, fragment)) << payload << " -> " << message;
  };
  expect(R"({"bn":"/3/0/"})", "/3/0", "must be an array");
  expect(R"([{"bn":"/3/0/","n":"0"}])", "/3/0", "has no value");
  expect(R"([{"bn":"/3/0/","n":0,"vs":"a"}])", "/3/0", "'n' must be a string");
  expect(R"([{"bn":"/3/0/","n":"0","vs":"a","vb":true}])", "/3/0", "both 'vs' and 'vb'");
  expect(R"([{"bn":"/9999/0/","n":"5","vd":"!!"}])", "/9999/0", "not valid base64");
  expect(R"([{"bn":"/9999/0/","n":"5","vs":5}])", "/9999/0", "'vs' must be a string");
  expect(R"([{"bn":"/9999/0/","n":"2","v":-1}])", "/9999/0", "negative");
  expect(R"([{"bn":"/9999/0/","n":"1","v":1e19}])", "/9999/0", "out of range");
  expect(R"([{"bn":"/9999/0/","n":"7","vlo":"70000:1"}])", "/9999/0", "not an object link");
  expect(R"([{"bn":"/9999/0/","n":"3","vb":false}])", "/9999/0", "Float but the payload has");
  expect(R"([{"bn":"/3/0/","n":"0/1/2","vs":"a"}])", "/3/0", "more than 4 levels");
  expect(R"([{"bn":"/3/0/","bv":"x","n":"9","v":1}])", "/3/0", "'bv' must be a number");
  expect("[1]", "/3/0", "record 0: must be an object");
  expect(R"([{"bn":"/3/0/","bv":1e308,"n":"50","v":1e308}])", "/3/0", "not finite");
  expect(R"([{"n":"/3/0/50","v":1e999}])", "/3/0", "not valid JSON");
}

// ---- encoding -------------------------------------------------------------------------------

Result<Payload> encode_at(std::string_view target, ResourceType type, const json& value,
                          std::uint16_t format = content_format::kTextPlain) {
  return encode_value(path(target), type, value, format);
}

std::string text_of(const Result<Payload>& payload) {
  EXPECT_TRUE(payload.ok()) << payload.error();
  if (!payload.ok()) return {};
  EXPECT_EQ(payload->format, content_format::kTextPlain);
  return std::string(payload->bytes.begin(), payload->bytes.end());
}

TEST(Lwm2mContentEncode, TextValues) {
  using T = ResourceType;
  EXPECT_EQ(text_of(encode_at("/3/0/14", T::String, "+02:00")), "+02:00");
  EXPECT_EQ(text_of(encode_at("/3/0/13", T::Time, 1700000000)), "1700000000");
  EXPECT_EQ(text_of(encode_at("/3/0/13", T::Time, 1.7e9)), "1700000000");
  EXPECT_EQ(text_of(encode_at("/1/0/1", T::Integer, -300)), "-300");
  EXPECT_EQ(text_of(encode_at("/9999/0/2", T::UnsignedInteger,
                              std::numeric_limits<std::uint64_t>::max())),
            "18446744073709551615");
  EXPECT_EQ(text_of(encode_at("/9999/0/3", T::Float, 0.1)), "0.1");
  EXPECT_EQ(text_of(encode_at("/9999/0/3", T::Float, 3)), "3");
  EXPECT_EQ(text_of(encode_at("/1/0/6", T::Boolean, true)), "1");
  EXPECT_EQ(text_of(encode_at("/1/0/6", T::Boolean, false)), "0");
  EXPECT_EQ(text_of(encode_at("/9999/0/7", T::ObjectLink, "3:0")), "3:0");
  EXPECT_EQ(text_of(encode_at("/9999/0/8", T::CoreLink, "</3/0>")), "</3/0>");
  EXPECT_EQ(text_of(encode_at("/9999/0/5", T::Opaque, "AQID")), "AQID");
  EXPECT_EQ(text_of(encode_at("/3/0/6/1", T::Integer, 5)), "5");
}

TEST(Lwm2mContentEncode, OpaqueAndTlvValues) {
  using T = ResourceType;
  EXPECT_EQ(single_value_format(T::Opaque), content_format::kOctetStream);
  EXPECT_EQ(single_value_format(T::Integer), content_format::kTextPlain);
  const auto opaque = encode_at("/5/0/0", T::Opaque, "AP8QgA==", content_format::kOctetStream);
  ASSERT_TRUE(opaque.ok());
  EXPECT_EQ(*opaque, (Payload{content_format::kOctetStream, {0x00, 0xFF, 0x10, 0x80}}));

  // The brief's example: write /3/0/13 Time 1700000000 as TLV.
  const auto time = encode_at("/3/0/13", T::Time, 1700000000, content_format::kOmaTlv);
  ASSERT_TRUE(time.ok());
  EXPECT_EQ(*time, (Payload{content_format::kOmaTlv, {0xC4, 0x0D, 0x65, 0x53, 0xF1, 0x00}}));
  const auto instance = encode_at("/3/0/6/1", T::Integer, 5, content_format::kOmaTlv);
  ASSERT_TRUE(instance.ok());
  EXPECT_EQ(instance->bytes, (Bytes{0x41, 0x01, 0x05}));

  // SenML: one record named from the parent path.
  const auto senml = encode_at("/3/0/6/1", T::Integer, 5, content_format::kSenmlJson);
  ASSERT_TRUE(senml.ok()) << senml.error();
  EXPECT_EQ(senml->format, content_format::kSenmlJson);
  EXPECT_EQ(std::string(senml->bytes.begin(), senml->bytes.end()),
            R"([{"bn":"/3/0/6/","n":"1","v":5}])");
  const auto cbor = encode_at("/3/0/14", T::String, "+02:00", content_format::kSenmlCbor);
  ASSERT_TRUE(cbor.ok()) << cbor.error();
  EXPECT_EQ(cbor->format, content_format::kSenmlCbor);
}

TEST(Lwm2mContentEncode, SenmlJsonBatchRoundTrips) {
  using T = ResourceType;
  const std::vector<BatchItem> items = {
      {"0", T::String, "h\xC3\xA9llo"},
      {"1", T::Integer, -7},
      {"2", T::UnsignedInteger, 9},
      {"3", T::Float, -1.5},
      {"4", T::Boolean, true},
      {"5", T::Opaque, "AP8QgA=="},
      {"6", T::Time, 0},
      {"7", T::ObjectLink, "3:0"},
      {"8", T::CoreLink, "</3/0>"},
  };
  const auto payload = encode_batch_as(content_format::kSenmlJson, path("/9999/0"), items);
  ASSERT_TRUE(payload.ok()) << payload.error();
  const std::string text(payload->bytes.begin(), payload->bytes.end());
  // Opaque as base64url without padding (RFC 8428 §4.3).
  EXPECT_TRUE(contains(text, R"("vd":"AP8QgA")")) << text;
  const auto decoded = decode(content_format::kSenmlJson, payload->bytes, path("/9999/0"), kLookup);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  std::vector<Content> expected;
  for (const auto& item : items) expected.push_back({*path("/9999/0").join(item.path), item.value});
  EXPECT_EQ(*decoded, expected);
  EXPECT_FALSE(encode_batch_as(content_format::kTextPlain, path("/9999/0"), items).ok());
  EXPECT_EQ(encode_batch_as(content_format::kOmaTlv, path("/9999/0"), items)->format,
            content_format::kOmaTlv);
}

TEST(Lwm2mContentEncode, TypeErrors) {
  using T = ResourceType;
  const auto expect = [](Result<Payload> result, std::string_view fragment) {
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(contains(result.error(), fragment)) << result.error();
  };
  expect(encode_at("/3/0/9", T::Integer, "abc"), "/3/0/9: expected an integer, got string");
  expect(encode_at("/3/0/9", T::Integer, "95"), "expected an integer");
  expect(encode_at("/3/0/9", T::Integer, 9.5), "expected an integer");
  expect(encode_at("/3/0/9", T::Integer, 9223372036854775808ULL), "out of range");
  expect(encode_at("/3/0/9", T::Integer, 1e19), "out of range");
  expect(encode_at("/3/0/9", T::Integer, json::array()), "expected an integer");
  expect(encode_at("/9999/0/2", T::UnsignedInteger, -1), "negative");
  expect(encode_at("/9999/0/2", T::UnsignedInteger, 2e19), "out of range");
  expect(encode_at("/9999/0/3", T::Float, "1.5"), "expected a number");
  expect(encode_at("/9999/0/4", T::Boolean, 1), "expected true or false");
  expect(encode_at("/9999/0/5", T::Opaque, "not base64!"), "not valid base64");
  expect(encode_at("/9999/0/5", T::Opaque, 5), "expected a base64 string");
  expect(encode_at("/9999/0/7", T::ObjectLink, "3"), "not an object link");
  expect(encode_at("/9999/0/7", T::ObjectLink, "3:65536"), "not an object link");
  expect(encode_at("/3/0/0", T::String, 5), "expected a string");
  expect(encode_at("/3/0/4", T::None, nullptr), "executable");
  expect(encode_at("/3/0", T::String, "x"), "needs a resource or resource instance path");
  expect(encode_at("/3/0/9", T::Integer, 1, content_format::kOctetStream), "only for Opaque");
  expect(encode_at("/3/0/9", T::Integer, 1, content_format::kOmaJson), "not supported");
  // check_value gives the canonical form.
  EXPECT_EQ(*check_value(T::Opaque, "-_8"), "+/8=");
  EXPECT_EQ(*check_value(T::ObjectLink, "003:00"), "3:0");
  EXPECT_EQ(*check_value(T::Time, 1.7e9), 1700000000);
  EXPECT_FALSE(check_value(T::String, "\xC3\x28").ok());
}

TEST(Lwm2mContentEncode, BatchReproducesDeviceExample) {
  using T = ResourceType;
  const std::vector<BatchItem> items = {
      // Given out of order: the encoder sorts by id.
      {"16", T::String, "U"},
      {"0", T::String, "Open Mobile Alliance"},
      {"/1", T::String, "Lightweight M2M Client"},
      {"2", T::String, "345000123"},
      {"3", T::String, "1.0"},
      {"6/1", T::Integer, 5},
      {"6/0", T::Integer, 1},
      {"7/0", T::Integer, 3800},
      {"7/1", T::Integer, 5000},
      {"8/0", T::Integer, 125},
      {"8/1", T::Integer, 900},
      {"9", T::Integer, 100},
      {"10", T::Integer, 15},
      {"11/0", T::Integer, 0},
      {"13", T::Time, 0x5182428F},
      {"14", T::String, "+02:00"},
  };
  const auto payload = encode_batch(path("/3/0"), items);
  ASSERT_TRUE(payload.ok()) << payload.error();
  EXPECT_EQ(payload->format, content_format::kOmaTlv);
  EXPECT_EQ(payload->bytes, test::kDeviceInstanceTlv);
}

TEST(Lwm2mContentEncode, BatchAtObjectAndResourceLevel) {
  using T = ResourceType;
  const std::vector<BatchItem> access_control = {
      {"0/0", T::Integer, 1},     {"0/1", T::Integer, 0},     {"0/2/127", T::Integer, 7},
      {"0/3", T::Integer, 127},   {"2/0", T::Integer, 3},     {"2/1", T::Integer, 0},
      {"2/2/310", T::Integer, 1}, {"2/2/127", T::Integer, 7}, {"2/3", T::Integer, 127},
  };
  const auto object = encode_batch(path("/2"), access_control);
  ASSERT_TRUE(object.ok()) << object.error();
  EXPECT_EQ(object->bytes, test::kAccessControlObjectTlv);

  const std::vector<BatchItem> instances = {{"0", T::Integer, 1}, {"/1", T::Integer, 5}};
  const auto resource = encode_batch(path("/3/0/6"), instances);
  ASSERT_TRUE(resource.ok()) << resource.error();
  EXPECT_EQ(resource->bytes, (Bytes{0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05}));
  // Empty batch at resource level: an empty multiple resource (clears the instances).
  EXPECT_EQ(encode_batch(path("/3/0/6"), {})->bytes, (Bytes{0x80, 0x06}));
  // And it decodes back.
  EXPECT_EQ(must_decode(content_format::kOmaTlv, resource->bytes, "/3/0/6"),
            (std::vector<Content>{{path("/3/0/6/0"), 1}, {path("/3/0/6/1"), 5}}));
}

TEST(Lwm2mContentEncode, BatchErrors) {
  using T = ResourceType;
  const auto expect = [](std::string_view base, std::vector<BatchItem> items,
                         std::string_view fragment) {
    const auto result = encode_batch(path(base), items);
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(contains(result.error(), fragment)) << result.error();
  };
  expect("/", {}, "base path");
  expect("/3/0/6/0", {}, "base path");
  expect("/3/0", {{"13", T::Time, "soon"}}, "item 0 ('13'): expected an integer");
  expect("/3/0", {{"0", T::String, "a"}, {"x", T::String, "b"}}, "item 1 ('x'): invalid id");
  expect("/3/0", {{"0", T::String, "a"}, {"/0", T::String, "b"}}, "duplicate path /3/0/0");
  expect("/3/0", {{"6", T::Integer, 1}, {"6/0", T::Integer, 1}},
         "/3/0/6 is given both as a value and as instances");
  expect("/3/0", {{"6/0/1", T::Integer, 1}}, "more than 4 levels");
  expect("/3", {{"0", T::Integer, 1}}, "not a resource or resource instance");
  expect("/3/0", {{"", T::Integer, 1}}, "empty relative");
}

// ---- hostile input --------------------------------------------------------------------------

const std::uint16_t kAllFormats[] = {
    content_format::kTextPlain,  content_format::kOctetStream, content_format::kOmaTlv,
    content_format::kOmaJson,    content_format::kSenmlJson,   content_format::kLegacyTlv,
    content_format::kLegacyJson, content_format::kSenmlCbor,   60};
const char* const kRequestPaths[] = {"/", "/3", "/3/0", "/3/0/6", "/3/0/6/1", "/9999/0", "/2"};

// Either a list of values under the request path or a non-empty error; never a crash.
void expect_clean(std::uint16_t format, const Bytes& payload, const Path& request) {
  const auto result = decode(format, payload, request, kLookup);
  if (result.ok()) {
    for (const auto& content : *result) {
      EXPECT_TRUE(content.path.starts_with(request));
      EXPECT_GE(content.path.depth(), 3u);
      EXPECT_NO_THROW((void)content.value.dump());  // valid UTF-8 all the way
    }
  } else {
    EXPECT_FALSE(result.error().empty());
    EXPECT_NO_THROW((void)json(result.error()).dump());
  }
}

TEST(Lwm2mContentFuzz, RandomBytesInEveryFormat) {
  std::mt19937 random(8);
  const std::string json_alphabet = R"({}[]":,0123456789.-eE+ntrufalsbvdo/\ )";
  for (int round = 0; round < 4000; ++round) {
    Bytes payload(random() % 64);
    for (auto& byte : payload) {
      byte = round % 2 == 0
                 ? static_cast<std::uint8_t>(random())
                 : static_cast<std::uint8_t>(json_alphabet[random() % json_alphabet.size()]);
    }
    for (const auto format : kAllFormats) {
      expect_clean(format, payload, path(kRequestPaths[round % std::size(kRequestPaths)]));
    }
  }
}

TEST(Lwm2mContentFuzz, EveryTruncationOfValidPayloads) {
  const std::vector<std::pair<std::uint16_t, Bytes>> payloads = {
      {content_format::kOmaTlv, test::kDeviceInstanceTlv},
      {content_format::kOmaTlv, test::kAccessControlObjectTlv},
      {content_format::kOmaJson,
       bytes_of(R"({"bn":"/3/0/","e":[{"n":"0","sv":"ACME"},{"n":"9","v":95},)"
                R"({"n":"6/0","v":1},{"n":"99","bv":true},{"n":"98","ov":"3:0"}]})")},
      {content_format::kSenmlJson,
       bytes_of(R"([{"bn":"/9999/0/","n":"0","vs":"h\u00e9llo"},{"n":"5","vd":"AP8QgA"},)"
                R"({"n":"7","vlo":"3:0"},{"n":"4","vb":false},{"n":"3","v":-1.5e3}])")},
      {content_format::kTextPlain, bytes_of("h\xC3\xA9llo")},
  };
  for (const auto& [format, payload] : payloads) {
    for (std::size_t size = 0; size <= payload.size(); ++size) {
      const Bytes prefix(payload.begin(), payload.begin() + size);
      for (const char* request : kRequestPaths) expect_clean(format, prefix, path(request));
    }
    // And one flipped byte at every position.
    for (std::size_t i = 0; i < payload.size(); ++i) {
      Bytes mutated = payload;
      mutated[i] ^= 0xA5;
      expect_clean(format, mutated, path("/3/0"));
      expect_clean(format, mutated, path("/"));
    }
  }
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m
