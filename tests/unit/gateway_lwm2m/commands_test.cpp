#include "gateways/lwm2m/commands.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace gatemq::gateway::lwm2m {
namespace {

using nlohmann::json;

const ObjectRegistry& registry() {
  static const auto load =
      ObjectRegistry::load(std::filesystem::path(GATEMQ_SOURCE_DIR) / "lwm2m_xml");
  return *load.registry;
}

Command parse(const json& document) {
  return parse_command(document.dump(), registry());
}

std::string text(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

TEST(Commands, ReadEchoesEveryFieldButData) {
  auto command =
      parse({{"reqID", 7}, {"msgType", "read"}, {"x", {1, 2}}, {"data", {{"path", "/3/0/0"}}}});
  ASSERT_TRUE(command.ok()) << command.error;
  EXPECT_EQ(command.kind, CommandKind::Read);
  EXPECT_EQ(command.echo, (json{{"reqID", 7}, {"msgType", "read"}, {"x", {1, 2}}}));
  EXPECT_EQ(command.req_path, "/3/0/0");
  EXPECT_EQ(command.request.method, Method::Get);
  EXPECT_EQ(command.request.path.to_string(), "/3/0/0");
  EXPECT_FALSE(command.request.observe);
}

TEST(Commands, DiscoverObserveCancelDelete) {
  auto discover = parse({{"msgType", "discover"}, {"data", {{"path", "/3"}}}});
  ASSERT_TRUE(discover.ok());
  EXPECT_EQ(discover.request.accept, 40);
  auto observe = parse({{"msgType", "observe"}, {"data", {{"path", "/3/0/9"}}}});
  EXPECT_EQ(observe.request.observe, 0u);
  auto cancel = parse({{"msgType", "cancel-observe"}, {"data", {{"path", "/3/0/9"}}}});
  EXPECT_EQ(cancel.request.observe, 1u);
  auto remove = parse({{"msgType", "delete"}, {"data", {{"path", "/1/0"}}}});
  ASSERT_TRUE(remove.ok());
  EXPECT_EQ(remove.request.method, Method::Delete);
  EXPECT_FALSE(parse({{"msgType", "delete"}, {"data", {{"path", "/1/0/1"}}}}).ok());
}

TEST(Commands, SingleWriteTypedByCommandOrXml) {
  auto typed = parse({{"msgType", "write"},
                      {"data", {{"path", "/3/0/14"}, {"type", "String"}, {"value", "+02:00"}}}});
  ASSERT_TRUE(typed.ok()) << typed.error;
  EXPECT_EQ(typed.request.method, Method::Put);
  EXPECT_EQ(typed.request.content_format, content_format::kTextPlain);
  EXPECT_EQ(text(typed.request.payload), "+02:00");
  // Lifetime is an Integer in the Server object's XML; "600" as a string is taken as a number.
  auto from_xml = parse({{"msgType", "write"}, {"data", {{"path", "/1/0/1"}, {"value", "600"}}}});
  ASSERT_TRUE(from_xml.ok()) << from_xml.error;
  EXPECT_EQ(text(from_xml.request.payload), "600");
  EXPECT_FALSE(
      parse({{"msgType", "write"}, {"data", {{"path", "/1/0/1"}, {"value", "many"}}}}).ok());
  EXPECT_FALSE(parse({{"msgType", "write"}, {"data", {{"path", "/1/0"}, {"value", 1}}}}).ok());
  EXPECT_FALSE(
      parse({{"msgType", "write"}, {"data", {{"path", "/1/0/1"}, {"type", "Bogus"}, {"value", 1}}}})
          .ok());
}

TEST(Commands, BatchWriteIsTlv) {
  auto command = parse(
      {{"msgType", "write"},
       {"data",
        {{"basePath", "/1/0"},
         {"content", {{{"path", "1"}, {"value", 600}}, {{"path", "/1/0/7"}, {"value", "UQ"}}}}}}});
  ASSERT_TRUE(command.ok()) << command.error;
  EXPECT_EQ(command.req_path, "/1/0");
  EXPECT_EQ(command.request.method, Method::Post);
  EXPECT_EQ(command.request.content_format, content_format::kOmaTlv);
  EXPECT_FALSE(command.request.payload.empty());
}

TEST(Commands, FormatFromTheDeviceOrTheCommand) {
  const auto with = [](const json& document, std::uint16_t device_format) {
    return parse_command(document.dump(), registry(), device_format);
  };
  const json read = {{"msgType", "read"}, {"data", {{"path", "/3/0"}}}};
  EXPECT_EQ(parse(read).request.accept, content_format::kOmaTlv);
  EXPECT_EQ(with(read, content_format::kSenmlCbor).request.accept, content_format::kSenmlCbor);
  const json observe = {{"msgType", "observe"}, {"data", {{"path", "/3/0"}, {"format", "json"}}}};
  EXPECT_EQ(with(observe, content_format::kSenmlCbor).request.accept, content_format::kOmaJson);
  // Discover stays link format; an unknown format name is refused everywhere.
  const json discover = {{"msgType", "discover"}, {"data", {{"path", "/3"}, {"format", "tlv"}}}};
  EXPECT_EQ(parse(discover).request.accept, content_format::kLinkFormat);
  EXPECT_FALSE(parse({{"msgType", "read"}, {"data", {{"path", "/3/0"}, {"format", "xml"}}}}).ok());
  EXPECT_FALSE(parse({{"msgType", "read"}, {"data", {{"path", "/3/0"}, {"format", 112}}}}).ok());

  const json batch = {
      {"msgType", "write"},
      {"data", {{"basePath", "/1/0"}, {"content", {{{"path", "1"}, {"value", 6}}}}}}};
  const auto cbor = with(batch, content_format::kSenmlCbor);
  ASSERT_TRUE(cbor.ok()) << cbor.error;
  EXPECT_EQ(cbor.request.content_format, content_format::kSenmlCbor);
  auto named = batch;
  named["data"]["format"] = "senml-json";
  const auto senml_json = with(named, content_format::kOmaTlv);
  EXPECT_EQ(text(senml_json.request.payload), R"([{"bn":"/1/0/","n":"1","v":6}])");
  named["data"]["format"] = "text";
  EXPECT_FALSE(parse(named).ok());

  // One value: text unless named.
  json single = {{"msgType", "write"}, {"data", {{"path", "/1/0/1"}, {"value", 6}}}};
  EXPECT_EQ(with(single, content_format::kSenmlCbor).request.content_format,
            content_format::kTextPlain);
  single["data"]["format"] = "senml-json";
  EXPECT_EQ(text(parse(single).request.payload), R"([{"bn":"/1/0/","n":"1","v":6}])");

  // A create in SenML names the instance.
  json create = {{"msgType", "create"},
                 {"data", {{"basePath", "/1"}, {"content", {{{"path", "0/1"}, {"value", 6}}}}}}};
  EXPECT_EQ(with(create, content_format::kSenmlCbor).request.content_format,
            content_format::kSenmlCbor);
  create["data"]["content"][0]["path"] = "1";
  EXPECT_FALSE(with(create, content_format::kSenmlCbor).ok());
  EXPECT_TRUE(with(create, content_format::kOmaTlv).ok());
}

TEST(Commands, ExecuteAndWriteAttributes) {
  auto execute = parse({{"msgType", "execute"}, {"data", {{"path", "/3/0/4"}, {"args", "0='a'"}}}});
  ASSERT_TRUE(execute.ok());
  EXPECT_EQ(execute.request.method, Method::Post);
  EXPECT_EQ(text(execute.request.payload), "0='a'");
  auto bare = parse({{"msgType", "execute"}, {"data", {{"path", "/3/0/4"}}}});
  EXPECT_FALSE(bare.request.content_format);
  auto attributes =
      parse({{"msgType", "write-attr"},
             {"data", {{"path", "/3/0/9"}, {"pmin", "10"}, {"pmax", 60}, {"gt", 1.5}, {"st", 2}}}});
  ASSERT_TRUE(attributes.ok()) << attributes.error;
  EXPECT_EQ(attributes.request.query,
            (std::vector<std::string>{"pmin=10", "pmax=60", "gt=1.5", "st=2"}));
  EXPECT_TRUE(attributes.request.payload.empty());
  EXPECT_FALSE(parse({{"msgType", "write-attr"}, {"data", {{"path", "/3/0/9"}}}}).ok());
  EXPECT_FALSE(parse({{"msgType", "write-attr"}, {"data", {{"path", "/3/0/9"}, {"st", -1}}}}).ok());
}

TEST(Commands, CreateOnAnObject) {
  auto command =
      parse({{"msgType", "create"},
             {"data",
              {{"basePath", "/1"},
               {"content", {{{"path", "0"}, {"value", 101}}, {{"path", "1"}, {"value", 300}}}}}}});
  ASSERT_TRUE(command.ok()) << command.error;
  EXPECT_EQ(command.request.method, Method::Post);
  EXPECT_EQ(command.request.path.to_string(), "/1");
}

TEST(Commands, RefusalsKeepTheEcho) {
  auto no_xml = parse({{"reqID", 3}, {"msgType", "read"}, {"data", {{"path", "/3303/0/5700"}}}});
  EXPECT_FALSE(no_xml.ok());
  EXPECT_EQ(no_xml.echo, (json{{"reqID", 3}, {"msgType", "read"}}));
  EXPECT_EQ(no_xml.req_path, "/3303/0/5700");
  for (const char* payload : {"", "null", "[]", "{", "{\"msgType\":1}", "{\"msgType\":\"read\"}",
                              "{\"msgType\":\"read\",\"data\":{\"path\":3}}",
                              "{\"msgType\":\"read\",\"data\":{\"path\":\"/99999\"}}",
                              "{\"msgType\":\"nope\",\"data\":{\"path\":\"/3\"}}"}) {
    EXPECT_FALSE(parse_command(payload, registry()).ok()) << payload;
  }
  EXPECT_FALSE(parse_command(std::string(100000, '['), registry()).ok());
}

TEST(Commands, ResponseMessage) {
  const auto message = response_message({{"reqID", 1}, {"msgType", "read"}}, "/3/0/0", 0x45,
                                        json::array({{{"path", "/3/0/0"}, {"value", "x"}}}));
  EXPECT_EQ(message, json::parse(R"({"reqID":1,"msgType":"read","data":{"reqPath":"/3/0/0",
      "code":"2.05","codeMsg":"content","content":[{"path":"/3/0/0","value":"x"}]}})"));
  EXPECT_EQ(code_text(0x84), "4.04");
  EXPECT_EQ(code_message(0xA4), "gateway_timeout");
  EXPECT_EQ(dump(json("\xff")), "\"\xef\xbf\xbd\"");
}

TEST(Commands, DiscoverLinks) {
  EXPECT_EQ(*discover_json("</3/0>,</3/0/1>;dim=2"), (json{"</3/0>", "</3/0/1>;dim=2"}));
  EXPECT_FALSE(discover_json("</3/0"));
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m
