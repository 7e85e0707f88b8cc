// docs/management.md is the API reference: every route the code registers must be in it, as
// "`METHOD /api/v4<pattern>`", so the two cannot drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "management/api.hpp"

namespace gatemq::management {
namespace {

std::string read_docs() {
  std::ifstream input(std::string(GATEMQ_SOURCE_DIR) + "/docs/management.md");
  std::stringstream text;
  text << input.rdbuf();
  return text.str();
}

TEST(ApiDocs, EveryRouteIsDocumented) {
  Router router;
  const ApiContext context;  // handlers are registered, never called
  register_api(router, context);
  ASSERT_GT(router.routes().size(), 40u);
  const auto docs = read_docs();
  ASSERT_FALSE(docs.empty());
  for (const auto& route : router.routes()) {
    const auto line = "`" + route.method + " /api/v4" + route.pattern + "`";
    EXPECT_NE(docs.find(line), std::string::npos) << line << " is not in docs/management.md";
  }
}

// And the other way: a route in the docs that the server does not register is a lie.
TEST(ApiDocs, EveryDocumentedRouteExists) {
  Router router;
  const ApiContext context;
  register_api(router, context);
  std::set<std::string> registered;
  for (const auto& route : router.routes()) {
    registered.insert(route.method + " /api/v4" + route.pattern);
  }
  const auto docs = read_docs();
  std::size_t documented = 0;
  for (std::size_t at = docs.find("`"); at != std::string::npos; at = docs.find("`", at + 1)) {
    const auto end = docs.find('`', at + 1);
    if (end == std::string::npos) break;
    const auto text = docs.substr(at + 1, end - at - 1);
    at = end;
    const auto space = text.find(' ');
    if (space == std::string::npos || !text.substr(space + 1).starts_with("/api/v4")) continue;
    const auto method = text.substr(0, space);
    if (method != "GET" && method != "POST" && method != "PUT" && method != "DELETE") continue;
    ++documented;
    EXPECT_TRUE(registered.contains(text)) << text << " is documented but not served";
  }
  EXPECT_EQ(documented, registered.size());
}

TEST(ApiDocs, RoutesAreUnique) {
  Router router;
  const ApiContext context;
  register_api(router, context);
  std::set<std::string> seen;
  for (const auto& route : router.routes()) {
    EXPECT_TRUE(seen.insert(route.method + " " + route.pattern).second) << route.pattern;
  }
}

}  // namespace
}  // namespace gatemq::management
