// Hook points where authentication, ACL and event consumers attach, in priority order.
// Later modules (auth chains, rule engine, webhooks) register here without touching channels.
#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker/client_info.hpp"

namespace gatemq::broker {

enum class HookVerdict { Allow, Deny, Ignore };  // Ignore: let the next hook decide
enum class AclAction { Publish, Subscribe };

class Hooks {
 public:
  using Authenticator =
      std::function<HookVerdict(const ClientInfo&, const std::optional<std::string>& password)>;
  using AclChecker = std::function<HookVerdict(const ClientInfo&, AclAction, std::string_view)>;
  using ClientEvent = std::function<void(const ClientInfo&)>;
  using DisconnectEvent = std::function<void(const ClientInfo&, std::string_view reason)>;

  // Lower priority number runs first. Register before the broker starts serving.
  void add_authenticator(int priority, Authenticator hook) {
    insert(authenticators_, priority, std::move(hook));
  }
  void add_acl_checker(int priority, AclChecker hook) {
    insert(acl_checkers_, priority, std::move(hook));
  }
  void on_connected(ClientEvent hook) { connected_.push_back(std::move(hook)); }
  void on_disconnected(DisconnectEvent hook) { disconnected_.push_back(std::move(hook)); }

  // First verdict other than Ignore wins; Ignore when no hook decides.
  HookVerdict authenticate(const ClientInfo& client,
                           const std::optional<std::string>& password) const {
    for (const auto& [priority, hook] : authenticators_) {
      if (auto verdict = hook(client, password); verdict != HookVerdict::Ignore) return verdict;
    }
    return HookVerdict::Ignore;
  }
  HookVerdict check_acl(const ClientInfo& client, AclAction action, std::string_view topic) const {
    for (const auto& [priority, hook] : acl_checkers_) {
      if (auto verdict = hook(client, action, topic); verdict != HookVerdict::Ignore)
        return verdict;
    }
    return HookVerdict::Ignore;
  }
  void client_connected(const ClientInfo& client) const {
    for (const auto& hook : connected_) hook(client);
  }
  void client_disconnected(const ClientInfo& client, std::string_view reason) const {
    for (const auto& hook : disconnected_) hook(client, reason);
  }

 private:
  template <class Hook>
  static void insert(std::vector<std::pair<int, Hook>>& chain, int priority, Hook hook) {
    auto position = std::upper_bound(chain.begin(), chain.end(), priority,
                                     [](int p, const auto& item) { return p < item.first; });
    chain.insert(position, {priority, std::move(hook)});
  }

  std::vector<std::pair<int, Authenticator>> authenticators_;
  std::vector<std::pair<int, AclChecker>> acl_checkers_;
  std::vector<ClientEvent> connected_;
  std::vector<DisconnectEvent> disconnected_;
};

}  // namespace gatemq::broker
