// The built-in authentication (auth.user.N.* / auth.client.N.* credentials) and authorization
// (acl_file rules, acl_nomatch, zone enable_acl, the per-client ACL cache) behind the broker's
// hook chain, so later auth modules (HTTP, databases, JWT) take their place beside them.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/auth/acl_file.hpp"
#include "core/auth/password_hash.hpp"
#include "core/broker/hooks.hpp"
#include "core/config/settings.hpp"

namespace gatemq::auth {

class AccessControl {
 public:
  // Where the built-in checks sit in the chains: lower runs first, so modules can go before.
  static constexpr int kPriority = 100;

  // Loads the credentials and the ACL file. Throws std::runtime_error naming the key or the file
  // (line) for a bad password_hash, a credential without a name, or a bad or missing acl_file
  // (the default etc/acl.conf may be missing: then there are no rules).
  explicit AccessControl(const config::Settings& settings);

  // Registers the authenticator, the ACL checker and the cache clean-up on disconnect. `this`
  // must outlive `hooks`' use.
  void install(broker::Hooks& hooks);

  // Re-reads acl_file and empties every ACL cache; on error keeps the rules it had and throws.
  void reload_acl();
  // Takes the auth.user.N / auth.client.N credentials (and their hash settings) of `settings`;
  // on error keeps the ones it had and throws. Connected clients stay connected.
  void reload_credentials(const config::Settings& settings);
  std::size_t acl_rule_count() const;

  broker::HookVerdict authenticate(const broker::ClientInfo& client,
                                   const std::optional<std::string>& password) const;
  broker::HookVerdict check_acl(const broker::ClientInfo& client, broker::AclAction action,
                                std::string_view topic);
  void forget(const std::string& client_id);

 private:
  struct Credentials {
    HashSpec spec;
    std::map<std::string, std::pair<std::string, std::string>, std::less<>>
        stored;  // name -> (stored hash, salt)
  };
  struct CacheEntry {
    bool allowed;
    std::chrono::steady_clock::time_point expires;
  };
  using ClientCache = std::map<std::pair<broker::AclAction, std::string>, CacheEntry, std::less<>>;

  static Credentials load_credentials(const std::vector<config::Credential>& credentials,
                                      const std::string& hash, const std::string& key);
  static broker::HookVerdict verify(const Credentials& credentials, std::string_view name,
                                    const std::optional<std::string>& password);
  bool decide(const broker::ClientInfo& client, broker::AclAction action,
              std::string_view topic) const;

  config::Settings settings_;  // acl, zones (enable_acl)
  // Replaced whole by reload_credentials(); readers take a reference under the mutex.
  mutable std::mutex credentials_mutex_;
  std::shared_ptr<const Credentials> users_, clients_;
  mutable std::mutex rules_mutex_;
  std::shared_ptr<const AclRules> rules_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, ClientCache> cache_;  // by client id
};

}  // namespace gatemq::auth
