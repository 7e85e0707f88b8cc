#include "core/broker/banned_clients.hpp"

namespace gatemq::broker {

std::optional<BannedClients::Kind> BannedClients::parse_kind(std::string_view name) {
  if (name == "clientid") return Kind::ClientId;
  if (name == "username") return Kind::Username;
  if (name == "peerhost") return Kind::PeerHost;
  return std::nullopt;
}

std::string_view BannedClients::kind_name(Kind kind) {
  switch (kind) {
    case Kind::ClientId:
      return "clientid";
    case Kind::Username:
      return "username";
    case Kind::PeerHost:
      return "peerhost";
  }
  return "?";
}

void BannedClients::add(Entry entry) {
  std::lock_guard lock(mutex_);
  auto key = std::pair{entry.kind, entry.value};
  entries_.insert_or_assign(std::move(key), std::move(entry));
}

bool BannedClients::remove(Kind kind, const std::string& value) {
  std::lock_guard lock(mutex_);
  return entries_.erase({kind, value}) > 0;
}

std::optional<BannedClients::Entry> BannedClients::find(const ClientInfo& client,
                                                        SystemClock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (entries_.empty()) return std::nullopt;
  const auto lookup = [&](Kind kind, const std::string& value) -> std::optional<Entry> {
    auto found = entries_.find({kind, value});
    if (found == entries_.end()) return std::nullopt;
    if (found->second.until <= now) {  // expired: forget it
      entries_.erase(found);
      return std::nullopt;
    }
    return found->second;
  };
  if (auto entry = lookup(Kind::ClientId, client.client_id)) return entry;
  if (client.username) {
    if (auto entry = lookup(Kind::Username, *client.username)) return entry;
  }
  return lookup(Kind::PeerHost, client.peer_host);
}

std::vector<BannedClients::Entry> BannedClients::list(SystemClock::time_point now) const {
  std::lock_guard lock(mutex_);
  purge_locked(now);
  std::vector<Entry> result;
  for (const auto& [key, entry] : entries_) result.push_back(entry);
  return result;
}

void BannedClients::purge_locked(SystemClock::time_point now) const {
  std::erase_if(entries_, [now](const auto& item) { return item.second.until <= now; });
}

}  // namespace gatemq::broker
