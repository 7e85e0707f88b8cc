#include "core/auth/acl_file.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace gatemq::auth {
namespace {

constexpr const char* kSeedDefault = R"(
%%--------------------------------------------------------------------
%% -type(ipaddr() :: {ipaddr, string()}).
%%--------------------------------------------------------------------

{allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}.

{allow, {ipaddr, "127.0.0.1"}, pubsub, ["$SYS/#", "#"]}.

{deny, all, subscribe, ["$SYS/#", {eq, "#"}]}.

{allow, all}.
)";

AclClient client(std::string id, std::optional<std::string> user, std::string host) {
  return AclClient{std::move(id), std::move(user), std::move(host)};
}

std::string error_of(std::string_view text) {
  try {
    AclRules::parse(text, "acl.conf");
  } catch (const AclError& error) {
    return error.what();
  }
  return "no error";
}

TEST(AclDefaultFile, Dashboard) {
  const auto rules = AclRules::parse(kSeedDefault, "acl.conf");
  EXPECT_EQ(rules.size(), 4u);
  const auto dashboard = client("web", "dashboard", "10.1.1.1");
  EXPECT_EQ(rules.check(dashboard, Access::subscribe, "$SYS/#"), Decision::allow);
  EXPECT_EQ(rules.check(dashboard, Access::subscribe, "$SYS/brokers/+/clients/#"), Decision::allow);
  // Dashboard's own rule only covers subscribe; the deny rule then catches "#".
  EXPECT_EQ(rules.check(dashboard, Access::subscribe, "#"), Decision::deny);
  EXPECT_EQ(rules.check(dashboard, Access::publish, "$SYS/x"), Decision::allow);
}

TEST(AclDefaultFile, Localhost) {
  const auto rules = AclRules::parse(kSeedDefault, "acl.conf");
  const auto local = client("c1", std::nullopt, "127.0.0.1");
  EXPECT_EQ(rules.check(local, Access::subscribe, "$SYS/#"), Decision::allow);
  EXPECT_EQ(rules.check(local, Access::subscribe, "#"), Decision::allow);
  EXPECT_EQ(rules.check(local, Access::publish, "$SYS/brokers"), Decision::allow);
  EXPECT_EQ(rules.check(local, Access::publish, "a/b"), Decision::allow);
  const auto mapped = client("c1", std::nullopt, "::ffff:127.0.0.1");
  EXPECT_EQ(rules.check(mapped, Access::subscribe, "$SYS/#"), Decision::allow);
}

TEST(AclDefaultFile, OtherAddress) {
  const auto rules = AclRules::parse(kSeedDefault, "acl.conf");
  const auto remote = client("c2", "alice", "192.168.1.20");
  EXPECT_EQ(rules.check(remote, Access::subscribe, "$SYS/#"), Decision::deny);
  // The deny rule's "$SYS/#" reaches every $SYS filter; "#" itself selects no $SYS topic.
  EXPECT_EQ(rules.check(remote, Access::subscribe, "$SYS/brokers/#"), Decision::deny);
  EXPECT_EQ(rules.check(remote, Access::subscribe, "$SYS/+/x"), Decision::deny);
  EXPECT_EQ(rules.check(remote, Access::publish, "$SYS/brokers"), Decision::allow);
  EXPECT_EQ(rules.check(remote, Access::subscribe, "#"), Decision::deny);
  EXPECT_EQ(rules.check(remote, Access::subscribe, "a/#"), Decision::allow);
  EXPECT_EQ(rules.check(remote, Access::publish, "#"), Decision::allow);
}

TEST(AclWho, EveryForm) {
  const auto rules = AclRules::parse(R"(
    {allow, {user, "u1"}, publish, ["t/user"]}.
    {allow, {client, "c1"}, publish, ["t/client"]}.
    {allow, {clientid, "c2"}, publish, ["t/clientid"]}.
    {allow, {ipaddr, "192.168.1.0/24"}, publish, ["t/v4"]}.
    {allow, {ipaddr, "2001:db8::/32"}, publish, ["t/v6"]}.
    {allow, {ipaddr, "::1"}, publish, ["t/v6one"]}.
    {allow, {'and', [{user, "u2"}, {ipaddr, "10.0.0.0/8"}]}, publish, ["t/and"]}.
    {allow, {'or', [{user, "u3"}, {client, "c3"}]}, publish, ["t/or"]}.
    {allow, {'and', [{'or', [{user, "a"}, {user, "b"}]}, {client, "x"}]}, publish, ["t/nested"]}.
  )",
                                     "acl.conf");
  ASSERT_EQ(rules.size(), 9u);
  const auto check = [&](const AclClient& who, const char* topic) {
    return rules.check(who, Access::publish, topic);
  };
  EXPECT_EQ(check(client("x", "u1", ""), "t/user"), Decision::allow);
  EXPECT_EQ(check(client("x", std::nullopt, ""), "t/user"), Decision::nomatch);
  EXPECT_EQ(check(client("u1", std::nullopt, ""), "t/user"), Decision::nomatch);
  EXPECT_EQ(check(client("c1", std::nullopt, ""), "t/client"), Decision::allow);
  EXPECT_EQ(check(client("c2", std::nullopt, ""), "t/clientid"), Decision::allow);
  EXPECT_EQ(check(client("x", std::nullopt, "192.168.1.200"), "t/v4"), Decision::allow);
  EXPECT_EQ(check(client("x", std::nullopt, "192.168.2.1"), "t/v4"), Decision::nomatch);
  EXPECT_EQ(check(client("x", std::nullopt, "2001:db8:1::5"), "t/v6"), Decision::allow);
  EXPECT_EQ(check(client("x", std::nullopt, "[2001:db8::1]"), "t/v6"), Decision::allow);
  EXPECT_EQ(check(client("x", std::nullopt, "2001:db9::1"), "t/v6"), Decision::nomatch);
  EXPECT_EQ(check(client("x", std::nullopt, "::1"), "t/v6one"), Decision::allow);
  EXPECT_EQ(check(client("x", std::nullopt, "not an address"), "t/v6one"), Decision::nomatch);
  EXPECT_EQ(check(client("x", "u2", "10.9.9.9"), "t/and"), Decision::allow);
  EXPECT_EQ(check(client("x", "u2", "11.9.9.9"), "t/and"), Decision::nomatch);
  EXPECT_EQ(check(client("x", "u3", ""), "t/or"), Decision::allow);
  EXPECT_EQ(check(client("c3", std::nullopt, ""), "t/or"), Decision::allow);
  EXPECT_EQ(check(client("c4", "u4", ""), "t/or"), Decision::nomatch);
  EXPECT_EQ(check(client("x", "b", ""), "t/nested"), Decision::allow);
  EXPECT_EQ(check(client("y", "b", ""), "t/nested"), Decision::nomatch);
}

TEST(AclTopics, Placeholders) {
  const auto rules = AclRules::parse(R"(
    {allow, all, pubsub, ["users/%u/#", "clients/%c/+", "both/%u/%c"]}.
    {deny, all}.
  )",
                                     "acl.conf");
  const auto bob = client("dev1", "bob", "");
  EXPECT_EQ(rules.check(bob, Access::publish, "users/bob/x"), Decision::allow);
  EXPECT_EQ(rules.check(bob, Access::publish, "users/alice/x"), Decision::deny);
  EXPECT_EQ(rules.check(bob, Access::subscribe, "users/bob/#"), Decision::allow);
  EXPECT_EQ(rules.check(bob, Access::publish, "clients/dev1/status"), Decision::allow);
  EXPECT_EQ(rules.check(bob, Access::publish, "clients/dev2/status"), Decision::deny);
  EXPECT_EQ(rules.check(bob, Access::publish, "both/bob/dev1"), Decision::allow);
  // No username: %u never matches, not even an empty level.
  const auto anonymous = client("dev1", std::nullopt, "");
  EXPECT_EQ(rules.check(anonymous, Access::publish, "users//x"), Decision::deny);
  EXPECT_EQ(rules.check(client("dev1", "", ""), Access::publish, "users//x"), Decision::deny);
  // Values that would widen the filter are refused.
  EXPECT_EQ(rules.check(client("dev1", "#", ""), Access::publish, "users/alice/x"), Decision::deny);
  EXPECT_EQ(rules.check(client("dev1", "bob/x", ""), Access::publish, "users/bob/x/y"),
            Decision::deny);
  EXPECT_EQ(rules.check(client("+", "bob", ""), Access::publish, "clients/dev2/s"), Decision::deny);
}

TEST(AclTopics, EqIsLiteral) {
  const auto rules = AclRules::parse(R"(
    {allow, all, subscribe, [{eq, "a/#"}, {eq, "%u/x"}]}.
    {deny, all}.
  )",
                                     "acl.conf");
  const auto bob = client("c", "bob", "");
  EXPECT_EQ(rules.check(bob, Access::subscribe, "a/#"), Decision::allow);
  EXPECT_EQ(rules.check(bob, Access::subscribe, "a/b"), Decision::deny);
  EXPECT_EQ(rules.check(bob, Access::subscribe, "%u/x"), Decision::allow);
  EXPECT_EQ(rules.check(bob, Access::subscribe, "bob/x"), Decision::deny);
}

TEST(AclTopics, OverlapAllowMustCoverTheFilter) {
  const auto rules = AclRules::parse(R"(
    {allow, all, subscribe, ["a/#", "b/+/c", "d/e", "#"]}.
  )",
                                     "acl.conf");
  const auto anyone = client("c", std::nullopt, "");
  const auto check = [&](const AclRules& acl, const char* filter) {
    return acl.check(anyone, Access::subscribe, filter, SubscribeMatch::overlap);
  };
  for (const char* allowed :
       {"a", "a/#", "a/b/+", "a/+/#", "b/x/c", "b/+/c", "d/e", "x/y", "+/y", "#", "$share/g/a/b"}) {
    EXPECT_EQ(check(rules, allowed), Decision::allow) << allowed;
  }
  const auto narrow =
      AclRules::parse(R"({allow, all, subscribe, ["a/#", "b/+/c", "d/e"]}.)", "acl.conf");
  for (const char* refused :
       {"#", "+/b", "b/#", "b/+/+", "b/x/c/d", "d/+", "d/e/f", "d", "$share/g/#", "$queue/d/#"}) {
    EXPECT_EQ(check(narrow, refused), Decision::nomatch) << refused;
  }
  EXPECT_EQ(check(narrow, "$queue/d/e"), Decision::allow);
  // A leading wildcard rule never covers $ topics.
  EXPECT_EQ(check(rules, "$SYS/#"), Decision::nomatch);
  EXPECT_EQ(check(rules, "$SYS/x"), Decision::nomatch);
  EXPECT_EQ(rules.check(anyone, Access::publish, "$SYS/x"), Decision::nomatch);
}

TEST(AclTopics, SubscribeFilterIsMatchedAsWritten) {
  // The seed's semantics: the requested filter is matched like a topic name, its wildcards
  // taken literally. The Paho interoperability suite denies test/nosubscribe and expects "#".
  const auto rules = AclRules::parse(R"(
    {deny, all, subscribe, ["test/nosubscribe", "a/+", "b/c/#", "$SYS/#", {eq, "#"}]}.
    {allow, all}.
  )",
                                     "acl.conf");
  const auto anyone = client("c", std::nullopt, "");
  for (const char* denied : {"test/nosubscribe", "a/+", "a/#", "a/x", "b/c", "b/c/#", "b/c/+/d",
                             "$SYS/#", "$SYS/+", "#", "$share/g/a/#", "$share/g/#"}) {
    EXPECT_EQ(rules.check(anyone, Access::subscribe, denied), Decision::deny) << denied;
  }
  for (const char* allowed : {"test/#", "+/+", "+/nosubscribe", "test/+", "+/x", "b/+/d/#", "a/x/y",
                              "a", "b", "$share/g/test/#", "$other/#"}) {
    EXPECT_EQ(rules.check(anyone, Access::subscribe, allowed), Decision::allow) << allowed;
  }
  // An allow rule's wildcard level matches the requested wildcard too (seed: "#" allows "#").
  const auto narrow = AclRules::parse(R"({allow, all, subscribe, ["a/+", "b/#"]}.)", "acl.conf");
  for (const char* allowed : {"a/+", "a/#", "a/x", "b/#", "b/+/c", "b"}) {
    EXPECT_EQ(narrow.check(anyone, Access::subscribe, allowed), Decision::allow) << allowed;
  }
  for (const char* refused : {"#", "+/x", "a/x/y", "a/+/#", "$share/g/+/x"}) {
    EXPECT_EQ(narrow.check(anyone, Access::subscribe, refused), Decision::nomatch) << refused;
  }
}

TEST(AclTopics, OverlapDenyAppliesToOverlappingFilters) {
  const auto rules = AclRules::parse(R"(
    {deny, all, subscribe, ["a/+", "b/c/#", "$SYS/#"]}.
    {allow, all}.
  )",
                                     "acl.conf");
  const auto anyone = client("c", std::nullopt, "");
  const auto check = [&](const char* filter) {
    return rules.check(anyone, Access::subscribe, filter, SubscribeMatch::overlap);
  };
  for (const char* denied :
       {"a/#", "a/+", "a/x", "+/x", "#", "+/+", "b/c", "b/+/d/#", "$SYS/+", "$share/g/a/#"}) {
    EXPECT_EQ(check(denied), Decision::deny) << denied;
  }
  for (const char* allowed : {"a", "a/x/y", "x/#", "b/d/#", "+/x/y", "$other/#", "b"}) {
    EXPECT_EQ(check(allowed), Decision::allow) << allowed;
  }
}

TEST(AclSyntax, CommentsQuotingAndLayout) {
  const auto rules = AclRules::parse(
      "% leading comment\n"
      "{ allow % inline\n , {'user', \"we\\\"ird\\\\\"} ,\n\tpublish,\n[ \"t\" ] }\n.\n"
      "{'deny', {user, \"x\"}}.% trailing\n"
      "{allow,{client,\"c\"},subscribe,[]}.",
      "acl.conf");
  EXPECT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules.check(client("c", "we\"ird\\", ""), Access::publish, "t"), Decision::allow);
  EXPECT_EQ(rules.check(client("c", "x", ""), Access::subscribe, "any/thing"), Decision::deny);
  EXPECT_EQ(rules.check(client("c", "x", ""), Access::publish, "$SYS/x"), Decision::deny);
  // An empty topic list matches nothing.
  EXPECT_EQ(rules.check(client("c", std::nullopt, ""), Access::subscribe, "t"), Decision::nomatch);
}

TEST(AclSyntax, TwoElementForms) {
  const auto rules = AclRules::parse(R"({deny, {user, "evil"}}. {allow, all}.)", "acl.conf");
  EXPECT_EQ(rules.check(client("c", "evil", ""), Access::publish, "a"), Decision::deny);
  EXPECT_EQ(rules.check(client("c", "good", ""), Access::subscribe, "#"), Decision::allow);
  EXPECT_EQ(AclRules::parse("", "acl.conf").size(), 0u);
  EXPECT_EQ(AclRules::parse("% only a comment", "acl.conf")
                .check(client("c", std::nullopt, ""), Access::publish, "a"),
            Decision::nomatch);
}

TEST(AclSyntax, ErrorsNameSourceAndLine) {
  EXPECT_EQ(error_of("{allow, all}.\n{allow, all}\n{deny, all}."),
            "acl.conf:2: expected '.' after the rule, found '{'");
  EXPECT_EQ(error_of("\n\n{allw, all}."), "acl.conf:3: expected allow or deny, found atom 'allw'");
  EXPECT_EQ(error_of("{allow, {user, \"x\"}, subscribe, [\"a]}.\n\n"),
            "acl.conf:1: expected a closing \" for the text started here");
  EXPECT_EQ(error_of("{allow,\n {ipaddr, \"10.0.0.0/33\"}}."),
            "acl.conf:2: expected an IP address or CIDR, found \"10.0.0.0/33\"");
  EXPECT_EQ(error_of("{allow, all}"), "acl.conf:1: expected '.' after the rule, found end of file");
  EXPECT_EQ(error_of("{allow, {group, \"x\"}}."),
            "acl.conf:1: expected all, {user, \"...\"}, {client, \"...\"}, {clientid, \"...\"}, "
            "{ipaddr, \"...\"}, {'and', [...]} or {'or', [...]}, found atom 'group'");
  EXPECT_EQ(error_of("{allow, all, read, [\"a\"]}."),
            "acl.conf:1: expected subscribe, publish or pubsub, found atom 'read'");
}

TEST(AclSyntax, MoreErrors) {
  for (const char* bad : {"{allow, all, pubsub, \"a\"}.",
                          "{allow, all, pubsub, [a]}.",
                          "{allow, all, pubsub, [\"a/#/b\"]}.",
                          "{allow, all, pubsub, [\"\"]}.",
                          "{allow, all, pubsub, [{eq, a}]}.",
                          "{allow, all, pubsub, [{ne, \"a\"}]}.",
                          "{allow, {'and', []}}.",
                          "{allow, {'or', [all,]}}.",
                          "{allow, {ipaddr, \"::1/129\"}}.",
                          "{allow, {ipaddr, \"1.2.3\"}}.",
                          "{allow, {ipaddr, \"10.0.0.0/\"}}.",
                          "{allow, {ipaddr, \"10.0.0.0/-1\"}}.",
                          "{allow, {user, all}}.",
                          "{allow, \"all\"}.",
                          "{allow, all}..",
                          "allow.",
                          "{allow, all, pubsub, [\"a\"], extra}.",
                          "{allow, all, pubsub, [\"a\" \"b\"]}.",
                          "{allow, {user, \"a\\n\"}}.",
                          "#",
                          "{allow, all",
                          "{allow, 'all}.",
                          "{Allow, all}."}) {
    EXPECT_THROW(AclRules::parse(bad, "x.conf"), AclError) << bad;
  }
}

TEST(AclSyntax, DeepNestingIsRefused) {
  std::string text = "{allow, ";
  for (int i = 0; i < 1000; ++i) text += "{'and', [";
  EXPECT_THROW(AclRules::parse(text, "deep.conf"), AclError);
}

TEST(AclLoad, ReadsAndNamesThePath) {
  const auto path = std::filesystem::temp_directory_path() / "gatemq_acl_load_test.conf";
  {
    std::ofstream file(path);
    file << kSeedDefault << "{deny, all";
  }
  try {
    AclRules::load(path.string());
    FAIL();
  } catch (const AclError& error) {
    EXPECT_EQ(std::string(error.what()).rfind(path.string() + ":", 0), 0u) << error.what();
  }
  {
    std::ofstream file(path);
    file << kSeedDefault;
  }
  EXPECT_EQ(AclRules::load(path.string()).size(), 4u);
  std::filesystem::remove(path);
  EXPECT_THROW(AclRules::load(path.string()), AclError);
}

}  // namespace
}  // namespace gatemq::auth
