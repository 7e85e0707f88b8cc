#include "gateways/coap/uri.hpp"

#include <gtest/gtest.h>

#include <random>

namespace gatemq::gateway::coap {
namespace {

TEST(CoapPercentDecode, Escapes) {
  EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
  EXPECT_EQ(percent_decode("%23"), "#");
  EXPECT_EQ(percent_decode("%2b%2B"), "++");
  EXPECT_EQ(percent_decode("a+b"), "a+b") << "CoAP URIs are not HTML forms";
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
}

TEST(CoapPercentDecode, BadEscapes) {
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("abc%"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%g1"));
}

TEST(CoapQuery, Options) {
  auto query = parse_query({"c=dev1", "u=user", "p=pa%26ss", "retain", "qos=1", "qos=2"});
  ASSERT_TRUE(query);
  EXPECT_EQ(query->at("c"), "dev1");
  EXPECT_EQ(query->at("p"), "pa&ss");
  EXPECT_EQ(query->at("retain"), "");
  EXPECT_EQ(query->at("qos"), "2") << "a later duplicate wins";
  EXPECT_EQ(query->at("u"), "user");
  EXPECT_FALSE(parse_query({"=x"})) << "empty key";
  EXPECT_FALSE(parse_query({"c=%zz"}));
  EXPECT_TRUE(parse_query({})->empty());
}

TEST(CoapQuery, SeedForm) {
  auto form = parse_form("qos=0&retain=0&message=payload&topic=hello");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->size(), 4u);
  EXPECT_EQ(form->at("topic"), "hello");
  EXPECT_EQ(form->at("message"), "payload");
  EXPECT_TRUE(parse_form("")->empty());
  EXPECT_EQ(parse_form("&&a=1&")->at("a"), "1");
  EXPECT_FALSE(parse_form("a=%4"));
}

TEST(CoapRoute, Paths) {
  auto mqtt = route({"mqtt", "a", "b"});
  EXPECT_EQ(mqtt.kind, RouteKind::MqttTopic);
  EXPECT_EQ(mqtt.topic, "a/b");
  auto ps = route({"ps", "x"});
  EXPECT_EQ(ps.kind, RouteKind::PsTopic);
  EXPECT_EQ(ps.topic, "x");
  EXPECT_EQ(route({"mqtt"}).kind, RouteKind::MqttRoot);
  EXPECT_EQ(route({"mqtt", "connection"}).kind, RouteKind::Connection);
  EXPECT_EQ(route({"mqtt", "connection", "x"}).topic, "connection/x");
  EXPECT_EQ(route({"ps"}).kind, RouteKind::Unknown);
  EXPECT_EQ(route({}).kind, RouteKind::Unknown);
  EXPECT_EQ(route({"other", "a"}).kind, RouteKind::Unknown);
  EXPECT_EQ(route({"MQTT", "a"}).kind, RouteKind::Unknown) << "paths are case-sensitive";
}

TEST(CoapRoute, EncodedWildcardsAndEmptyLevels) {
  EXPECT_EQ(route({"mqtt", "a", "%23"}).topic, "a/#");
  EXPECT_EQ(route({"mqtt", "%2B", "b"}).topic, "+/b");
  EXPECT_EQ(route({"mqtt", "a", "#"}).topic, "a/#");
  EXPECT_EQ(route({"mqtt", "", "a", ""}).topic, "/a/");
  EXPECT_EQ(route({"mqtt", "a%2Fb"}).topic, "a/b");
  EXPECT_EQ(route({"ps", "bad%"}).kind, RouteKind::Unknown);
}

TEST(CoapValues, QosAndFlags) {
  EXPECT_EQ(parse_qos("0"), 0);
  EXPECT_EQ(parse_qos("2"), 2);
  EXPECT_EQ(parse_qos("qos1"), 1);
  EXPECT_FALSE(parse_qos("3"));
  EXPECT_FALSE(parse_qos(""));
  EXPECT_FALSE(parse_qos("qos"));
  EXPECT_FALSE(parse_qos("01"));
  EXPECT_EQ(parse_flag("1"), true);
  EXPECT_EQ(parse_flag("false"), false);
  EXPECT_EQ(parse_flag("on"), true);
  EXPECT_FALSE(parse_flag("yes please"));
}

TEST(CoapValues, Credentials) {
  auto who = credentials(Query{{"c", "a"}, {"u", "b"}, {"p", "c"}});
  EXPECT_EQ(who.client_id, "a");
  EXPECT_EQ(who.username, "b");
  EXPECT_EQ(who.password, "c");
  EXPECT_FALSE(who.token);
  auto long_form =
      credentials(Query{{"clientid", "x"}, {"username", "y"}, {"password", "z"}, {"token", "t"}});
  EXPECT_EQ(long_form.client_id, "x");
  EXPECT_EQ(long_form.username, "y");
  EXPECT_EQ(long_form.token, "t");
  auto none = credentials(Query{});
  EXPECT_TRUE(none.client_id.empty());
  EXPECT_FALSE(none.username);
}

TEST(CoapUri, RandomInputNeverCrashes) {
  std::mt19937 random(7);
  for (int round = 0; round < 20000; ++round) {
    std::string text(random() % 12, '\0');
    for (auto& c : text) c = "%2Fab#+&=/\x00\xff"[random() % 12];
    percent_decode(text);
    parse_form(text);
    route({"mqtt", text});
    parse_query({text});
  }
}

}  // namespace
}  // namespace gatemq::gateway::coap
