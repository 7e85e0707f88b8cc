// HTTP Basic authentication: header parsing and the seed's 103/104 codes.
#include "management/basic_auth.hpp"

#include <gtest/gtest.h>

namespace gatemq::management {
namespace {

const Credentials kExpected{"admin", "public"};

TEST(BasicAuth, ParsesTheHeader) {
  const auto credentials = parse_basic_auth("Basic YWRtaW46cHVibGlj");  // admin:public
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->id, "admin");
  EXPECT_EQ(credentials->secret, "public");
  EXPECT_TRUE(parse_basic_auth("basic YWRtaW46cHVibGlj"));
  EXPECT_FALSE(parse_basic_auth("Bearer YWRtaW46cHVibGlj"));
  EXPECT_FALSE(parse_basic_auth("Basic !!!"));
  EXPECT_FALSE(parse_basic_auth("Basic YWRtaW4="));  // no colon
}

TEST(BasicAuth, SecretMayContainColons) {
  const auto credentials = parse_basic_auth(basic_auth_header({"id", "a:b:c"}));
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->secret, "a:b:c");
}

TEST(BasicAuth, AcceptsTheRightCredentials) {
  EXPECT_FALSE(check_basic_auth(basic_auth_header(kExpected), kExpected));
}

TEST(BasicAuth, MissingCredentialsAre104) {
  for (const auto& header : {std::optional<std::string>(), std::optional<std::string>("Bearer x"),
                             std::optional<std::string>(basic_auth_header({"", "public"}))}) {
    const auto response = check_basic_auth(header, kExpected);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);
    EXPECT_EQ(response->body["code"], 104);
    EXPECT_EQ(response->headers.at(0).first, "WWW-Authenticate");
  }
}

TEST(BasicAuth, WrongCredentialsAre103) {
  for (const auto& wrong : {Credentials{"admin", "wrong"}, Credentials{"root", "public"},
                            Credentials{"admin", "publi"}, Credentials{"admin", "public2"}}) {
    const auto response = check_basic_auth(basic_auth_header(wrong), kExpected);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);
    EXPECT_EQ(response->body["code"], 103);
  }
}

}  // namespace
}  // namespace gatemq::management
