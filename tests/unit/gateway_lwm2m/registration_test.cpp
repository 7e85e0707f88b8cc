#include "gateways/lwm2m/registration.hpp"

#include <gtest/gtest.h>

namespace gatemq::gateway::lwm2m {
namespace {

TEST(RegistrationQuery, AllParameters) {
  auto query =
      parse_registration_query({"ep=urn:imei:123", "lt=300", "lwm2m=1.1", "b=UQ", "sms=1", "Q"});
  ASSERT_TRUE(query) << query.error();
  EXPECT_EQ(query->endpoint, "urn:imei:123");
  EXPECT_EQ(query->lifetime, 300u);
  EXPECT_EQ(query->version, "1.1");
  EXPECT_EQ(query->binding, "UQ");
  EXPECT_TRUE(query->queue_mode);
}

TEST(RegistrationQuery, AbsentParametersStayAbsent) {
  auto query = parse_registration_query({});
  ASSERT_TRUE(query);
  EXPECT_FALSE(query->endpoint || query->lifetime || query->version || query->binding);
}

TEST(RegistrationQuery, HostileValuesAreRefused) {
  for (const auto& options : std::vector<std::vector<std::string>>{
           {"ep="},
           {"ep=a/b"},
           {"ep=a+"},
           {"ep=#"},
           {"ep=a\x01"},
           {"ep=\xff\xfe"},
           {"ep=\xc0\xaf"},  // overlong '/'
           {std::string("ep=") + std::string(257, 'a')},
           {"ep=a", "ep=b"},
           {"lt="},
           {"lt=-1"},
           {"lt=1x"},
           {"lt=99999999999999999999999"},
           {"lwm2m=2.0"},
           {"b="},
           {"b=X"},
           {"b=UU"},
           {"Q", "Q"},
           {"other=\x02"},
       }) {
    EXPECT_FALSE(parse_registration_query(options)) << options.front();
  }
}

TEST(EndpointName, Rules) {
  EXPECT_TRUE(valid_endpoint_name("dev-1"));
  EXPECT_TRUE(valid_endpoint_name("urn:uuid:0c4a"));
  EXPECT_TRUE(valid_endpoint_name("capteur-\xc3\xa9t\xc3\xa9"));
  EXPECT_FALSE(valid_endpoint_name(""));
  EXPECT_FALSE(valid_endpoint_name("a/b"));
  EXPECT_FALSE(valid_endpoint_name("\xe2\x82"));  // truncated UTF-8
}

TEST(ObjectLinks, PlainList) {
  auto links = parse_object_links("</1/0>,</3/0>;ver=1.1,</5>,</3303/0>");
  ASSERT_TRUE(links) << links.error();
  EXPECT_EQ(links->alternate_path, "/");
  EXPECT_EQ(links->objects, (std::vector<std::string>{"/1/0", "/3/0", "/5", "/3303/0"}));
}

TEST(ObjectLinks, AlternatePathAndRootLink) {
  auto links = parse_object_links("</lwm2m>;rt=\"oma.lwm2m\";ct=11543, </lwm2m/1/0>,</lwm2m/3/0>");
  ASSERT_TRUE(links) << links.error();
  EXPECT_EQ(links->alternate_path, "/lwm2m");
  EXPECT_EQ(links->objects, (std::vector<std::string>{"/1/0", "/3/0"}));
  auto root = parse_object_links("</>;rt=\"oma.lwm2m\",</3/0>");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->alternate_path, "/");
  EXPECT_EQ(root->objects, (std::vector<std::string>{"/3/0"}));
}

TEST(ObjectLinks, EmptyPayloadIsNoObjects) {
  auto links = parse_object_links("");
  ASSERT_TRUE(links);
  EXPECT_TRUE(links->objects.empty());
}

TEST(ObjectLinks, MalformedIsRefused) {
  for (const char* payload : {"</3/0", "3/0", "<3/0>", "</3/0>,", ",</3/0>", "</3/0>x", "</3/0/1>",
                              "</3/a>", "</70000>", "</3/0>;a=\"unterminated", "<</3/0>>",
                              "</other/3/0>,</lwm2m>;rt=\"oma.lwm2m\"", "</3/0>\x01"}) {
    EXPECT_FALSE(parse_object_links(payload)) << payload;
  }
}

TEST(ObjectLinks, QuotedCommasStayInsideTheirLink) {
  auto links = split_links("</3/0>;title=\"a,b\",</5>");
  ASSERT_TRUE(links);
  EXPECT_EQ(*links, (std::vector<std::string>{"</3/0>;title=\"a,b\"", "</5>"}));
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m
