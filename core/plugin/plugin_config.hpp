// One plugin's configuration section: its keys from the main config file, from
// etc/plugins/<plugin>.conf and from GATEMQ_* variables, read with the seed's value syntax.
// Every getter marks its key as known; finish() reports the keys nobody asked for.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config.hpp"
#include "core/config/raw_entry.hpp"
#include "core/config/settings.hpp"

namespace gatemq::plugin {

class PluginConfig {
 public:
  // `entries` in file order (later wins); `prefix` like "tcp.".
  PluginConfig(std::string prefix, const std::vector<config::RawEntry>& entries);

  const std::string& prefix() const { return prefix_; }
  bool has(std::string_view key) const;  // key without the prefix: "proto.up_topic"

  std::string text(std::string_view key, std::string_view fallback);
  bool boolean(std::string_view key, bool fallback);
  std::chrono::milliseconds duration(std::string_view key, std::chrono::milliseconds fallback);
  std::uint64_t size(std::string_view key, std::uint64_t fallback);
  std::uint64_t number(std::string_view key, std::uint64_t fallback, std::uint64_t max);
  using Address = std::pair<std::string, std::uint16_t>;  // host, port
  // `[ip:]port` -> (host, port); the fallback is written the same way.
  Address address(std::string_view key, std::string_view fallback);
  // A listener's address, `[ip:]port` or `off` (nullopt: that listener is not opened), as every
  // listener key of the main file accepts; the fallback is written the same way.
  std::optional<Address> listen_address(std::string_view key, std::string_view fallback);

  // Throws config::ConfigError "<prefix><key>: '<value>' is not <expected>", for checks a
  // gateway makes on a value it read.
  [[noreturn]] void bad_value(std::string_view key, const std::string& value,
                              std::string_view expected) const;

  // The stream listeners of `<prefix><group>.<name> = [ip:]port` (group "listener" for
  // tcp.listener.external) with their sub-keys, defaulting to `defaults` (name -> address).
  // Each starts as a copy of `prototype`: its kind decides which keys apply (TLS keys for
  // "ssl", group "listener.ssl" for tcp.listener.ssl.external) and its tls holds their
  // defaults. Read a nested group ("listener.ssl") before its parent ("listener").
  std::vector<config::ListenerSettings> listeners(
      std::string_view group, const std::map<std::string, std::string>& defaults,
      std::string_view default_zone, const config::ListenerSettings& prototype = {});

  // One unnamed listener, `<prefix><key> = [ip:]port | off` with `<prefix><key>.<option>` keys
  // (stomp.listener.ssl = 61614), starting as a copy of `prototype`; nullopt when off or
  // without an address. Read it before a listener group whose keys contain it.
  std::optional<config::ListenerSettings> listener(std::string_view key,
                                                   std::optional<std::string> default_address,
                                                   const config::ListenerSettings& prototype);

  // Accepts keys the seed documents for this gateway that are not acted on yet.
  void ignore(std::string_view key);
  // Throws config::ConfigError naming the first key no getter asked for.
  void finish() const;
  // Keys accepted but ignored, "origin key", for the start-up warning.
  const std::vector<std::string>& ignored() const { return ignored_; }

 private:
  void listener_key(const std::string& full, std::string_view sub,
                    config::ListenerSettings& listener,
                    std::map<std::uint64_t, std::string>& access);
  static void set_listen_address(const std::string& full, const std::string& value,
                                 config::ListenerSettings& listener);

  const config::RawEntry* find(std::string_view key);
  template <class T, class Parse>
  T parse(std::string_view key, T fallback, Parse&& parse_value);

  std::string prefix_;
  std::map<std::string, config::RawEntry, std::less<>> entries_;  // full key -> last entry
  std::map<std::string, bool, std::less<>> used_;
  std::vector<std::string> ignored_;
};

}  // namespace gatemq::plugin
