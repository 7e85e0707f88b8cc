// Random and mutated acl.conf texts: parse() may refuse them but must never crash (the
// sanitizer build turns any memory error into a failure).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "core/auth/acl_file.hpp"

namespace gatemq::auth {
namespace {

constexpr const char* kCorpus = R"(% comment
{allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}.
{allow, {ipaddr, "127.0.0.1"}, pubsub, ["$SYS/#", "#"]}.
{allow, {'and', [{clientid, "c"}, {'or', [{ipaddr, "::1"}, {ipaddr, "10.0.0.0/8"}]}]},
 publish, ["%u/%c/+"]}.
{deny, all, subscribe, ["$SYS/#", {eq, "#"}]}.
{allow, all}.
)";

std::string mutate(std::string text, std::mt19937& random) {
  using namespace std::string_view_literals;
  constexpr auto interesting = "{}[],.\"'\\%/#+ \n\0aeq"sv;
  const int edits = 1 + static_cast<int>(random() % 8);
  for (int i = 0; i < edits; ++i) {
    const std::size_t at = text.empty() ? 0 : random() % (text.size() + 1);
    const char c = (random() % 2) ? static_cast<char>(random() % 256)
                                  : interesting[random() % interesting.size()];
    switch (random() % 4) {
      case 0:
        text.insert(at, 1, c);
        break;
      case 1:
        if (at < text.size()) text.erase(at, 1 + random() % 6);
        break;
      case 2:
        if (at < text.size()) text[at] = c;
        break;
      default: {  // duplicate a slice: creates nesting and long lists
        if (text.empty()) break;
        const std::size_t from = random() % text.size();
        text.insert(at, text.substr(from, random() % 40));
      }
    }
  }
  return text;
}

TEST(AclFuzz, ParseNeverCrashes) {
  std::mt19937 random(20240611);
  const AclClient clients[] = {
      {"c", "dashboard", "127.0.0.1"}, {"c", std::nullopt, "::1"}, {"", "", "garbage"}};
  std::size_t parsed = 0;
  for (int round = 0; round < 50'000; ++round) {
    std::string text;
    if (round % 5 == 0) {
      text.resize(random() % 200);
      for (auto& c : text) c = static_cast<char>(random() % 256);
    } else {
      text = mutate(kCorpus, random);
    }
    try {
      const auto rules = AclRules::parse(text, "fuzz");
      ++parsed;
      for (const auto& client : clients) {
        rules.check(client, Access::subscribe, "$SYS/#");
        rules.check(client, Access::subscribe, "a/+/#");
        rules.check(client, Access::publish, "dashboard/c/x");
      }
    } catch (const AclError&) {
    }
  }
  EXPECT_GT(parsed, 0u);
}

}  // namespace
}  // namespace gatemq::auth
