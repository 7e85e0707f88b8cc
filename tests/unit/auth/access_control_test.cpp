// AccessControl: credentials as configured (plain or already hashed), the ACL file with
// acl_nomatch, zone enable_acl, the cache and reload.
#include "core/auth/access_control.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gatemq::auth {
namespace {

using broker::AclAction;
using broker::HookVerdict;

broker::ClientInfo client(std::string id, std::optional<std::string> user = std::nullopt,
                          std::string host = "10.0.0.5", std::string zone = "external") {
  broker::ClientInfo info;
  info.client_id = std::move(id);
  info.username = std::move(user);
  info.peer_host = std::move(host);
  info.zone = std::move(zone);
  return info;
}

class TempFile {
 public:
  explicit TempFile(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("gatemq-acl-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
               "-" + std::to_string(counter_++) + ".conf")) {
    write(text);
  }
  ~TempFile() { std::filesystem::remove(path_); }
  void write(const std::string& text) const { std::ofstream(path_) << text; }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

config::Settings with_acl(const TempFile& file) {
  config::Settings settings;
  settings.acl.file = file.path();
  return settings;
}

TEST(AccessControl, CredentialsPlainOrAlreadyHashed) {
  config::Settings settings;
  settings.acl.file = "etc/acl.conf";  // the default may be missing
  settings.auth.users = {
      {"admin", "public", ""},
      // sha256("secret") as the seed's password_hash = sha256 stores it
      {"hashed", "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", ""}};
  settings.auth.clients = {{"device-1", "token", ""}};
  AccessControl control(settings);
  EXPECT_EQ(control.authenticate(client("c", "admin"), "public"), HookVerdict::Allow);
  EXPECT_EQ(control.authenticate(client("c", "admin"), "wrong"), HookVerdict::Deny);
  EXPECT_EQ(control.authenticate(client("c", "admin"), std::nullopt), HookVerdict::Deny);
  EXPECT_EQ(control.authenticate(client("c", "hashed"), "secret"), HookVerdict::Allow);
  EXPECT_EQ(control.authenticate(client("device-1"), "token"), HookVerdict::Allow);
  EXPECT_EQ(control.authenticate(client("device-1", "stranger"), "token"), HookVerdict::Allow)
      << "an unknown username falls through to the client id";
  EXPECT_EQ(control.authenticate(client("device-1"), "nope"), HookVerdict::Deny);
  EXPECT_EQ(control.authenticate(client("other", "stranger"), "x"), HookVerdict::Ignore)
      << "unknown to both: allow_anonymous decides";
}

TEST(AccessControl, EveryHashFormat) {
  for (const auto* hash : {"plain", "md5", "sha", "sha256", "sha512", "salt,sha256", "sha256,salt",
                           "pbkdf2,sha256,1000,20", "bcrypt"}) {
    config::Settings settings;
    settings.auth.user_password_hash = hash;
    settings.auth.users = {{"u", "pw", "NaCl"}};
    AccessControl control(settings);
    EXPECT_EQ(control.authenticate(client("c", "u"), "pw"), HookVerdict::Allow) << hash;
    EXPECT_EQ(control.authenticate(client("c", "u"), "px"), HookVerdict::Deny) << hash;
  }
}

TEST(AccessControl, BadConfigurationNamesTheKey) {
  config::Settings settings;
  settings.auth.user_password_hash = "sha3";
  try {
    AccessControl control(settings);
    FAIL() << "accepted sha3";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("auth.user.password_hash: 'sha3': ")) << e.what();
  }
  settings = {};
  settings.auth.clients = {{"", "pw", ""}};
  EXPECT_THROW(AccessControl{settings}, std::runtime_error);
  settings = {};
  settings.acl.file = "/nonexistent/acl.conf";
  EXPECT_THROW(AccessControl{settings}, std::runtime_error) << "only the default may be missing";
}

TEST(AccessControl, SeedAclFileWithNomatchAndZones) {
  TempFile file(
      "{allow, {user, \"dashboard\"}, subscribe, [\"$SYS/#\"]}.\n"
      "{allow, {ipaddr, \"127.0.0.1\"}, pubsub, [\"$SYS/#\", \"#\"]}.\n"
      "{deny, all, subscribe, [\"$SYS/#\", {eq, \"#\"}]}.\n"
      "{deny, {client, \"blocked\"}, publish, [\"#\"]}.\n");
  auto settings = with_acl(file);
  AccessControl control(settings);
  EXPECT_EQ(control.acl_rule_count(), 4u);
  EXPECT_EQ(control.check_acl(client("a"), AclAction::Subscribe, "#"), HookVerdict::Deny);
  EXPECT_EQ(
      control.check_acl(client("local", std::nullopt, "127.0.0.1"), AclAction::Subscribe, "#"),
      HookVerdict::Allow);
  EXPECT_EQ(control.check_acl(client("d", "dashboard"), AclAction::Subscribe, "$SYS/brokers"),
            HookVerdict::Allow);
  EXPECT_EQ(control.check_acl(client("blocked"), AclAction::Publish, "x"), HookVerdict::Deny);
  EXPECT_EQ(control.check_acl(client("a"), AclAction::Publish, "x"), HookVerdict::Allow)
      << "no rule matched: acl_nomatch = allow";
  settings.acl.nomatch_allows = false;
  AccessControl strict(settings);
  EXPECT_EQ(strict.check_acl(client("a"), AclAction::Publish, "x"), HookVerdict::Deny);
  EXPECT_EQ(
      strict.check_acl(client("a", std::nullopt, "10.0.0.5", "internal"), AclAction::Publish, "x"),
      HookVerdict::Ignore)
      << "zone internal has enable_acl = off";
}

TEST(AccessControl, AclSubscribeMatchChoosesTheSubscribeSemantics) {
  TempFile file("{deny, all, subscribe, [\"test/nosubscribe\"]}.\n");
  auto settings = with_acl(file);
  AccessControl as_written(settings);
  EXPECT_EQ(as_written.check_acl(client("a"), AclAction::Subscribe, "#"), HookVerdict::Allow);
  EXPECT_EQ(as_written.check_acl(client("a"), AclAction::Subscribe, "test/nosubscribe"),
            HookVerdict::Deny);
  settings.acl.subscribe_match_overlap = true;
  AccessControl overlap(settings);
  EXPECT_EQ(overlap.check_acl(client("a"), AclAction::Subscribe, "#"), HookVerdict::Deny);
  EXPECT_EQ(overlap.check_acl(client("a"), AclAction::Publish, "test/other"), HookVerdict::Allow);
}

TEST(AccessControl, CacheServesUntilReload) {
  TempFile file("{deny, all, publish, [\"secret/#\"]}.\n");
  AccessControl control(with_acl(file));
  EXPECT_EQ(control.check_acl(client("a"), AclAction::Publish, "secret/x"), HookVerdict::Deny);
  file.write("{allow, all, publish, [\"secret/#\"]}.\n");
  EXPECT_EQ(control.check_acl(client("a"), AclAction::Publish, "secret/x"), HookVerdict::Deny)
      << "cached";
  control.reload_acl();
  EXPECT_EQ(control.check_acl(client("a"), AclAction::Publish, "secret/x"), HookVerdict::Allow);
  file.write("{allow, all publish}\n");
  EXPECT_THROW(control.reload_acl(), AclError);
  EXPECT_EQ(control.acl_rule_count(), 1u) << "a bad file keeps the rules in force";
}

TEST(AccessControl, ReloadWithoutTheDefaultFileIsNoRulesAsAtStartUp) {
  // The test runs in a directory without etc/acl.conf: start-up accepts that, so must reload.
  ASSERT_FALSE(std::filesystem::exists("etc/acl.conf"));
  config::Settings settings;
  AccessControl control(settings);
  EXPECT_NO_THROW(control.reload_acl());
  EXPECT_EQ(control.acl_rule_count(), 0u);
  settings.acl.file = "missing/acl.conf";  // named by the operator: its absence is an error
  EXPECT_THROW(AccessControl{settings}, std::exception);
}

TEST(AccessControl, CacheIsBoundedPerClient) {
  TempFile file("{deny, all, publish, [\"d/#\"]}.\n");
  auto settings = with_acl(file);
  settings.acl.cache_max_size = 2;
  AccessControl control(settings);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(control.check_acl(client("a"), AclAction::Publish, "d/" + std::to_string(i)),
              HookVerdict::Deny);
  }
  control.forget("a");
  settings.acl.cache = false;
  AccessControl uncached(settings);
  EXPECT_EQ(uncached.check_acl(client("a"), AclAction::Publish, "d/1"), HookVerdict::Deny);
}

}  // namespace
}  // namespace gatemq::auth
