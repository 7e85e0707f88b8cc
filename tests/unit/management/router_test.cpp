// Path routing: API prefixes and aliases, parameters, percent-decoding, 404 and 405, handler
// errors turned into the envelope.
#include "management/router.hpp"

#include <gtest/gtest.h>

namespace gatemq::management {
namespace {

Router make_router() {
  Router router;
  const auto echo = [](const Request& r) {
    Json params = Json::object();
    for (const auto& [k, v] : r.params) params[k] = v;
    return ok(Json{{"path", r.path}, {"params", params}});
  };
  router.add("GET", "/clients", "list", echo);
  router.add("GET", "/clients/{clientid}", "one", echo);
  router.add("DELETE", "/clients/{clientid}", "kick", echo);
  router.add("GET", "/clients/username/{username}", "by username", echo);
  router.add("GET", "/routes/{topic...}", "route", echo);
  router.add("POST", "/mqtt/publish", "publish",
             [](const Request& r) { return ok(r.json_body()); });
  router.add("GET", "/boom", "throws",
             [](const Request&) -> Response { throw std::runtime_error("kaput"); });
  router.add("GET", "/query", "query", [](const Request& r) {
    Json query = Json::object();
    for (const auto& [k, v] : r.query) query[k] = v;
    return ok(query);
  });
  return router;
}

TEST(Router, StripsEveryApiVersionPrefix) {
  EXPECT_EQ(strip_api_prefix("/api/v4/clients"), "/clients");
  EXPECT_EQ(strip_api_prefix("/api/v3/clients"), "/clients");
  EXPECT_EQ(strip_api_prefix("/api/v2/clients"), "/clients");
  EXPECT_EQ(strip_api_prefix("/api/v4"), "");
  EXPECT_FALSE(strip_api_prefix("/api/v5/clients"));
  EXPECT_FALSE(strip_api_prefix("/api/v40/clients"));
  EXPECT_FALSE(strip_api_prefix("/clients"));
}

TEST(Router, MatchesUnderEveryPrefix) {
  const auto router = make_router();
  for (const char* prefix : {"/api/v2", "/api/v3", "/api/v4"}) {
    const auto response = router.dispatch("GET", std::string(prefix) + "/clients", "");
    EXPECT_EQ(response.status, 200) << prefix;
    EXPECT_EQ(response.body["data"]["path"], "/clients");
  }
}

TEST(Router, DecodesParameters) {
  const auto router = make_router();
  const auto response = router.dispatch("GET", "/api/v4/clients/a%2Fb%20c", "");
  EXPECT_EQ(response.body["data"]["params"]["clientid"], "a/b c");
}

TEST(Router, RestParameterTakesTheWholeTail) {
  const auto router = make_router();
  const auto response = router.dispatch("GET", "/api/v4/routes/t/%2B/x", "");
  EXPECT_EQ(response.body["data"]["params"]["topic"], "t/+/x");
  EXPECT_EQ(router.dispatch("GET", "/api/v4/routes/a%23", "").body["data"]["params"]["topic"],
            "a#");
}

TEST(Router, LiteralSegmentsWinOverParameters) {
  const auto router = make_router();
  const auto response = router.dispatch("GET", "/api/v4/clients/username/u1", "");
  EXPECT_EQ(response.body["data"]["params"]["username"], "u1");
}

TEST(Router, UnknownPathIs404) {
  const auto router = make_router();
  for (const char* target :
       {"/api/v4/nothing", "/api/v4/clients/a/b/c", "/index.html", "/api/v9/clients"}) {
    const auto response = router.dispatch("GET", target, "");
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.body["code"], 102);
  }
}

TEST(Router, WrongMethodIs405WithAllow) {
  const auto router = make_router();
  const auto response = router.dispatch("PUT", "/api/v4/clients/c1", "");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.body["code"], 102);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "GET, DELETE");
}

TEST(Router, BadJsonIs400With109) {
  const auto router = make_router();
  const auto response = router.dispatch("POST", "/api/v4/mqtt/publish", "{not json");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body["code"], 109);
  EXPECT_EQ(router.dispatch("POST", "/api/v4/mqtt/publish", R"({"a":1})").body["data"]["a"], 1);
}

TEST(Router, HandlerExceptionsBecome500) {
  const auto router = make_router();
  const auto response = router.dispatch("GET", "/api/v4/boom", "");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body["code"], 102);
}

TEST(Router, ParsesTheQuery) {
  const auto router = make_router();
  const auto response = router.dispatch("GET", "/api/v4/query?_page=2&x=a%2Bb+c&flag", "");
  EXPECT_EQ(response.body["data"]["_page"], "2");
  EXPECT_EQ(response.body["data"]["x"], "a+b c");
  EXPECT_EQ(response.body["data"]["flag"], "");
  EXPECT_EQ(router.dispatch("GET", "/api/v4/query?x=%zz", "").body["code"], 108);
}

TEST(Router, PercentDecodeRefusesBadEscapes) {
  EXPECT_EQ(percent_decode("a%41"), "aA");
  EXPECT_FALSE(percent_decode("a%4"));
  EXPECT_FALSE(percent_decode("a%"));
  EXPECT_FALSE(percent_decode("%g0"));
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
}

}  // namespace
}  // namespace gatemq::management
