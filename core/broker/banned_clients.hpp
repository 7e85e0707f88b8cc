// Banned clients: by client id, username or peer address, each with an expiry. A banned client is
// refused at CONNECT (MQTT 5 reason 0x8A) in zones with `enable_ban = on`. Flapping detection and
// the management API add entries; expired ones disappear on their own.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/broker/client_info.hpp"

namespace gatemq::broker {

class BannedClients {
 public:
  using SystemClock = std::chrono::system_clock;
  enum class Kind { ClientId, Username, PeerHost };

  struct Entry {
    Kind kind = Kind::ClientId;
    std::string value;
    std::string reason;
    std::string by;  // who banned: "flapping", an operator
    SystemClock::time_point at;
    SystemClock::time_point until;
  };

  static std::optional<Kind> parse_kind(std::string_view name);  // clientid, username, peerhost
  static std::string_view kind_name(Kind kind);

  void add(Entry entry);  // replaces an entry with the same kind and value
  bool remove(Kind kind, const std::string& value);
  // The entry that bans this client now, if any.
  std::optional<Entry> find(const ClientInfo& client,
                            SystemClock::time_point now = SystemClock::now()) const;
  std::vector<Entry> list(SystemClock::time_point now = SystemClock::now()) const;

 private:
  void purge_locked(SystemClock::time_point now) const;

  mutable std::mutex mutex_;
  mutable std::map<std::pair<Kind, std::string>, Entry> entries_;
};

}  // namespace gatemq::broker
