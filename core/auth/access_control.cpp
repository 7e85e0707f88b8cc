#include "core/auth/access_control.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

namespace gatemq::auth {

namespace {

constexpr std::string_view kDefaultAclFile = "etc/acl.conf";

bool is_hex(std::string_view text, std::size_t size) {
  return text.size() == size && text.find_first_not_of("0123456789abcdefABCDEF") == text.npos;
}

// A configured password already in the stored form of `spec` (hex digest of the right length,
// a bcrypt string), rather than the plain password to hash at start-up.
bool looks_hashed(const HashSpec& spec, std::string_view password) {
  using Algorithm = HashSpec::Algorithm;
  switch (spec.algorithm) {
    case Algorithm::plain:
      return false;
    case Algorithm::md5:
      return is_hex(password, 32);
    case Algorithm::sha:
      return is_hex(password, 40);
    case Algorithm::sha256:
      return is_hex(password, 64);
    case Algorithm::sha512:
      return is_hex(password, 128);
    case Algorithm::bcrypt:
      return password.starts_with("$2") && password.size() == 60;
    case Algorithm::pbkdf2:
      return is_hex(password, 2 * spec.derived_length);
  }
  return false;
}

std::shared_ptr<const AclRules> load_rules(const std::string& path) {
  std::error_code error;
  if (path == kDefaultAclFile && !std::filesystem::exists(path, error)) {
    spdlog::info("no {} in {}: ACL has no rules, acl_nomatch decides", path,
                 std::filesystem::current_path(error).string());
    return std::make_shared<AclRules>();
  }
  return std::make_shared<AclRules>(AclRules::load(path));
}

Access to_access(broker::AclAction action) {
  return action == broker::AclAction::Publish ? Access::publish : Access::subscribe;
}

}  // namespace

AccessControl::AccessControl(const config::Settings& settings)
    : settings_(settings), rules_(load_rules(settings.acl.file)) {
  reload_credentials(settings);
}

void AccessControl::reload_credentials(const config::Settings& settings) {
  // Both are read before either is replaced, so a bad entry changes nothing.
  auto users = std::make_shared<const Credentials>(
      load_credentials(settings.auth.users, settings.auth.user_password_hash, "auth.user"));
  auto clients = std::make_shared<const Credentials>(
      load_credentials(settings.auth.clients, settings.auth.client_password_hash, "auth.client"));
  std::lock_guard lock(credentials_mutex_);
  users_ = std::move(users);
  clients_ = std::move(clients);
}

AccessControl::Credentials AccessControl::load_credentials(
    const std::vector<config::Credential>& credentials, const std::string& hash,
    const std::string& key) {
  Credentials result;
  try {
    result.spec = parse_hash_spec(hash);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(key + ".password_hash: '" + hash + "': " + e.what());
  }
  for (const auto& credential : credentials) {
    if (credential.name.empty()) {
      throw std::runtime_error(key + ".<N>: a password without a " +
                               (key == "auth.user" ? "username" : "clientid"));
    }
    // bcrypt keeps its salt inside the hash; a separate salt only counts as a bcrypt setting.
    const bool is_bcrypt = result.spec.algorithm == HashSpec::Algorithm::bcrypt;
    const auto salt = is_bcrypt && !credential.salt.starts_with("$2") ? "" : credential.salt;
    auto stored = looks_hashed(result.spec, credential.password)
                      ? credential.password
                      : hash_password(result.spec, credential.password, salt);
    result.stored[credential.name] = {std::move(stored), salt};
  }
  return result;
}

void AccessControl::install(broker::Hooks& hooks) {
  hooks.add_authenticator(kPriority, [this](const auto& client, const auto& password) {
    return authenticate(client, password);
  });
  hooks.add_acl_checker(kPriority, [this](const auto& client, auto action, auto topic) {
    return check_acl(client, action, topic);
  });
  hooks.on_disconnected([this](const auto& client, std::string_view) { forget(client.client_id); });
}

broker::HookVerdict AccessControl::verify(const Credentials& credentials, std::string_view name,
                                          const std::optional<std::string>& password) {
  const auto found = credentials.stored.find(name);
  if (found == credentials.stored.end()) return broker::HookVerdict::Ignore;
  const auto& [stored, salt] = found->second;
  return password && verify_password(credentials.spec, *password, stored, salt)
             ? broker::HookVerdict::Allow
             : broker::HookVerdict::Deny;
}

broker::HookVerdict AccessControl::authenticate(const broker::ClientInfo& client,
                                                const std::optional<std::string>& password) const {
  std::shared_ptr<const Credentials> users, clients;
  {
    std::lock_guard lock(credentials_mutex_);
    users = users_;
    clients = clients_;
  }
  // A known username decides; otherwise a known client id; otherwise allow_anonymous does.
  if (client.username) {
    if (auto verdict = verify(*users, *client.username, password);
        verdict != broker::HookVerdict::Ignore) {
      return verdict;
    }
  }
  return verify(*clients, client.client_id, password);
}

bool AccessControl::decide(const broker::ClientInfo& client, broker::AclAction action,
                           std::string_view topic) const {
  std::shared_ptr<const AclRules> rules;
  {
    std::lock_guard lock(rules_mutex_);
    rules = rules_;
  }
  const AclClient who{client.client_id, client.username, client.peer_host};
  const auto match =
      settings_.acl.subscribe_match_overlap ? SubscribeMatch::overlap : SubscribeMatch::topic;
  switch (rules->check(who, to_access(action), topic, match)) {
    case Decision::allow:
      return true;
    case Decision::deny:
      return false;
    case Decision::nomatch:
      break;
  }
  return settings_.acl.nomatch_allows;
}

broker::HookVerdict AccessControl::check_acl(const broker::ClientInfo& client,
                                             broker::AclAction action, std::string_view topic) {
  const auto zone = settings_.zones.find(client.zone);
  if (zone != settings_.zones.end() && !zone->second.enable_acl) {
    return broker::HookVerdict::Ignore;
  }
  const auto verdict = [](bool allowed) {
    return allowed ? broker::HookVerdict::Allow : broker::HookVerdict::Deny;
  };
  const auto& acl = settings_.acl;
  if (!acl.cache || acl.cache_max_size == 0) return verdict(decide(client, action, topic));
  const auto now = std::chrono::steady_clock::now();
  const auto key = std::pair{action, std::string(topic)};
  {
    std::lock_guard lock(cache_mutex_);
    auto& cache = cache_[client.client_id];
    if (auto hit = cache.find(key); hit != cache.end() && hit->second.expires > now) {
      return verdict(hit->second.allowed);
    }
  }
  const bool allowed = decide(client, action, topic);
  std::lock_guard lock(cache_mutex_);
  auto& cache = cache_[client.client_id];
  if (cache.size() >= acl.cache_max_size) {
    // Full: drop what has expired, else the entry closest to expiry.
    std::erase_if(cache, [now](const auto& item) { return item.second.expires <= now; });
    if (cache.size() >= acl.cache_max_size) {
      cache.erase(std::ranges::min_element(cache, {},
                                           [](const auto& item) { return item.second.expires; }));
    }
  }
  cache[key] = CacheEntry{allowed, now + acl.cache_ttl};
  return verdict(allowed);
}

void AccessControl::forget(const std::string& client_id) {
  std::lock_guard lock(cache_mutex_);
  cache_.erase(client_id);
}

void AccessControl::reload_acl() {
  // The same rules as at start-up: the default file may be missing, a configured one may not.
  auto rules = load_rules(settings_.acl.file);
  {
    std::lock_guard lock(rules_mutex_);
    rules_ = std::move(rules);
  }
  std::lock_guard lock(cache_mutex_);
  cache_.clear();
}

std::size_t AccessControl::acl_rule_count() const {
  std::lock_guard lock(rules_mutex_);
  return rules_->size();
}

}  // namespace gatemq::auth
