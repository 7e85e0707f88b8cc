// Read-only views of the registry and router for the management API and `gatemq ctl`, plus the
// administrative kick. Kept out of broker.cpp: none of it is on the message path.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/broker/broker.hpp"
#include "core/mqtt/reason_code.hpp"

namespace gatemq::broker {

namespace {
// Session locks are taken after the registry lock is released, as on the message path: the
// entries are copied first, then each session is asked for its stats.
struct EntryCopy {
  SessionPtr session;
  ClientSnapshot snapshot;
};

ClientSnapshot finish(EntryCopy copy) {
  copy.snapshot.connected = copy.session->sink() != nullptr;
  copy.snapshot.expiry_interval = copy.session->expiry_interval();
  copy.snapshot.session = copy.session->stats();
  return std::move(copy.snapshot);
}
}  // namespace

std::vector<ClientSnapshot> Broker::client_snapshots() const {
  std::vector<EntryCopy> copies;
  {
    std::lock_guard lock(registry_mutex_);
    copies.reserve(clients_.size());
    for (const auto& [client_id, entry] : clients_) {
      if (!entry.session) continue;
      copies.push_back(EntryCopy{entry.session, ClientSnapshot{entry.client,
                                                               false,
                                                               entry.connected_at,
                                                               entry.created_at,
                                                               0,
                                                               entry.max_inflight,
                                                               {}}});
    }
  }
  std::vector<ClientSnapshot> snapshots;
  snapshots.reserve(copies.size());
  for (auto& copy : copies) snapshots.push_back(finish(std::move(copy)));
  std::ranges::sort(snapshots, {}, [](const ClientSnapshot& s) { return s.client.client_id; });
  return snapshots;
}

std::optional<ClientSnapshot> Broker::client_snapshot(const std::string& client_id) const {
  EntryCopy copy;
  {
    std::lock_guard lock(registry_mutex_);
    auto found = clients_.find(client_id);
    if (found == clients_.end() || !found->second.session) return std::nullopt;
    const auto& entry = found->second;
    copy = EntryCopy{
        entry.session,
        ClientSnapshot{
            entry.client, false, entry.connected_at, entry.created_at, 0, entry.max_inflight, {}}};
  }
  return finish(std::move(copy));
}

std::vector<SubscriptionSnapshot> Broker::subscription_snapshots(
    const std::optional<std::string>& client_id) const {
  std::vector<SessionPtr> sessions;
  if (client_id) {
    if (auto session = find_session(*client_id)) sessions.push_back(std::move(session));
  } else {
    std::lock_guard lock(registry_mutex_);
    for (const auto& [id, entry] : clients_) {
      if (entry.session) sessions.push_back(entry.session);
    }
  }
  std::vector<SubscriptionSnapshot> result;
  for (const auto& session : sessions) {
    for (const auto& [filter, record] : session->subscriptions()) {
      result.push_back(SubscriptionSnapshot{session->client_id(), filter, record.options.qos});
    }
  }
  std::ranges::sort(result, [](const auto& a, const auto& b) {
    return std::tie(a.client_id, a.filter) < std::tie(b.client_id, b.filter);
  });
  return result;
}

std::vector<std::string> Broker::route_filters() const {
  // Every filter lives in some session's own view as well as in the router; the sessions are the
  // one place that can be listed without walking the trie.
  std::set<std::string> filters;
  for (auto& subscription : subscription_snapshots())
    filters.insert(std::move(subscription.filter));
  return {filters.begin(), filters.end()};
}

bool Broker::kick(const std::string& client_id) {
  auto session = find_session(client_id);
  if (!session) return false;
  auto sink = session->sink();
  if (!sink) return false;
  spdlog::info("client {} kicked by the management API", client_id);
  // The channel closes on its own worker and then calls close_session() as for any
  // broker-initiated close, so the will and session expiry apply as usual.
  sink->close_by_broker(mqtt::rc::kAdministrativeAction);
  return true;
}

}  // namespace gatemq::broker
