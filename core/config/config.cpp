#include "core/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "core/config/values.hpp"

extern char** environ;

namespace gatemq::config {

namespace {

namespace v = values;
using std::chrono::duration_cast;

struct Entry {
  std::string key;
  std::string value;
  std::string origin;  // "file:line" or "environment GATEMQ_X"
};

template <class Target>
using Setter = std::function<void(Target&, std::string_view)>;

// --- the keys this build understands -----------------------------------------------------------

Setter<MqttSettings> mqtt_setter(std::string_view name) {
  static const std::unordered_map<std::string_view, Setter<MqttSettings>> setters{
      {"max_packet_size",
       [](auto& m, auto s) {
         const auto bytes = v::size(s);
         if (bytes < 16 || bytes > 268435460) throw std::invalid_argument("a size from 16B to 256MB");
         m.max_packet_size = static_cast<std::uint32_t>(bytes);
       }},
      {"max_clientid_len",
       [](auto& m, auto s) { m.max_clientid_len = static_cast<std::uint32_t>(v::unsigned_integer(s, 65535)); }},
      {"max_topic_levels",
       [](auto& m, auto s) { m.max_topic_levels = static_cast<unsigned>(v::unsigned_integer(s, 65535)); }},
      {"max_qos_allowed",
       [](auto& m, auto s) { m.max_qos_allowed = static_cast<std::uint8_t>(v::unsigned_integer(s, 2)); }},
      {"max_topic_alias",
       [](auto& m, auto s) { m.max_topic_alias = static_cast<std::uint16_t>(v::unsigned_integer(s, 65535)); }},
      {"retain_available", [](auto& m, auto s) { m.retain_available = v::boolean(s); }},
      {"wildcard_subscription", [](auto& m, auto s) { m.wildcard_subscription = v::boolean(s); }},
      {"shared_subscription", [](auto& m, auto s) { m.shared_subscription = v::boolean(s); }},
      {"ignore_loop_deliver", [](auto& m, auto s) { m.ignore_loop_deliver = v::boolean(s); }},
      {"strict_mode", [](auto& m, auto s) { m.strict_mode = v::boolean(s); }},
  };
  auto found = setters.find(name);
  return found == setters.end() ? nullptr : found->second;
}

Setter<ZoneSettings> zone_setter(std::string_view name) {
  static const std::unordered_map<std::string_view, Setter<ZoneSettings>> setters{
      {"idle_timeout", [](auto& z, auto s) { z.idle_timeout = v::duration(s); }},
      {"keepalive_backoff", [](auto& z, auto s) { z.keepalive_backoff = v::decimal(s); }},
      {"server_keepalive",
       [](auto& z, auto s) { z.server_keepalive = static_cast<std::uint16_t>(v::unsigned_integer(s, 65535)); }},
      {"max_inflight",
       [](auto& z, auto s) { z.max_inflight = static_cast<std::uint16_t>(v::unsigned_integer(s, 65535)); }},
      {"retry_interval", [](auto& z, auto s) { z.retry_interval = v::duration(s); }},
      {"max_awaiting_rel",
       [](auto& z, auto s) { z.max_awaiting_rel = static_cast<std::uint32_t>(v::unsigned_integer(s, 65535)); }},
      {"await_rel_timeout", [](auto& z, auto s) { z.await_rel_timeout = v::duration(s); }},
      {"session_expiry_interval",
       [](auto& z, auto s) {
         const auto seconds = duration_cast<Seconds>(v::duration(s));
         if (seconds.count() > 0xFFFFFFFE) throw std::invalid_argument("at most 136 years");
         z.session_expiry_interval = seconds;
       }},
      {"max_mqueue_len",
       [](auto& z, auto s) { z.max_mqueue_len = static_cast<std::uint32_t>(v::unsigned_integer(s, 0xFFFFFFFF)); }},
      {"mqueue_priorities", [](auto& z, auto s) { z.mqueue_priorities = v::priorities(s); }},
      {"mqueue_default_priority",
       [](auto& z, auto s) { z.mqueue_default_priority = v::one_of(s, {"lowest", "highest"}); }},
      {"mqueue_store_qos0", [](auto& z, auto s) { z.mqueue_store_qos0 = v::boolean(s); }},
      {"max_subscriptions",
       [](auto& z, auto s) { z.max_subscriptions = static_cast<std::uint32_t>(v::unsigned_integer(s, 0xFFFFFFFF)); }},
      {"upgrade_qos", [](auto& z, auto s) { z.upgrade_qos = v::boolean(s); }},
      {"enable_acl", [](auto& z, auto s) { z.enable_acl = v::boolean(s); }},
      {"enable_ban", [](auto& z, auto s) { z.enable_ban = v::boolean(s); }},
      {"enable_stats", [](auto& z, auto s) { z.enable_stats = v::boolean(s); }},
      {"mountpoint", [](auto& z, auto s) { z.mountpoint = std::string(v::trim(s)); }},
  };
  auto found = setters.find(name);
  if (found != setters.end()) return found->second;
  // zone.<name>.<mqtt key> overrides mqtt.<key> for that zone.
  if (auto mqtt = mqtt_setter(name)) {
    return [mqtt](ZoneSettings& z, std::string_view s) { mqtt(z.mqtt, s); };
  }
  return nullptr;
}

Setter<TcpListenerSettings> listener_setter(std::string_view name) {
  static const std::unordered_map<std::string_view, Setter<TcpListenerSettings>> setters{
      {"acceptors",
       [](auto& l, auto s) { l.acceptors = static_cast<unsigned>(v::unsigned_integer(s, 1024)); }},
      {"max_connections", [](auto& l, auto s) { l.max_connections = v::unsigned_integer(s, 1u << 30); }},
      {"max_conn_rate", [](auto& l, auto s) { l.max_conn_rate = v::unsigned_integer(s, 1u << 30); }},
      {"zone", [](auto& l, auto s) { l.zone = std::string(v::trim(s)); }},
      {"mountpoint", [](auto& l, auto s) { l.mountpoint = std::string(v::trim(s)); }},
      {"backlog", [](auto& l, auto s) { l.backlog = static_cast<int>(v::unsigned_integer(s, 65535)); }},
      {"send_timeout", [](auto& l, auto s) { l.send_timeout = v::duration(s); }},
      {"send_timeout_close", [](auto& l, auto s) { l.send_timeout_close = v::boolean(s); }},
      {"nodelay", [](auto& l, auto s) { l.nodelay = v::boolean(s); }},
      {"reuseaddr", [](auto& l, auto s) { l.reuseaddr = v::boolean(s); }},
      {"recbuf", [](auto& l, auto s) { l.recbuf = v::size(s); }},
      {"sndbuf", [](auto& l, auto s) { l.sndbuf = v::size(s); }},
      {"buffer", [](auto& l, auto s) { l.buffer = v::size(s); }},
  };
  auto found = setters.find(name);
  return found == setters.end() ? nullptr : found->second;
}

Setter<Settings> global_setter(std::string_view key) {
  static const std::unordered_map<std::string_view, Setter<Settings>> setters{
      {"node.name", [](auto& g, auto s) { g.node.name = std::string(v::trim(s)); }},
      {"node.workers",
       [](auto& g, auto s) { g.node.workers = static_cast<unsigned>(v::unsigned_integer(s, 1024)); }},
      {"node.max_clients", [](auto& g, auto s) { g.node.max_clients = v::unsigned_integer(s, 1u << 30); }},
      {"allow_anonymous", [](auto& g, auto s) { g.allow_anonymous = v::boolean(s); }},
      {"broker.sys_interval", [](auto& g, auto s) { g.broker.sys_interval = v::duration(s); }},
      {"broker.sys_heartbeat", [](auto& g, auto s) { g.broker.sys_heartbeat = v::duration(s); }},
      {"broker.session_locking_strategy",
       [](auto& g, auto s) {
         g.broker.session_locking_strategy = v::one_of(s, {"local", "one", "quorum", "all"});
       }},
      {"broker.shared_subscription_strategy",
       [](auto& g, auto s) {
         g.broker.shared_subscription_strategy =
             v::one_of(s, {"random", "round_robin", "sticky", "hash", "hash_topic", "hash_clientid"});
       }},
      {"broker.shared_dispatch_ack_enabled",
       [](auto& g, auto s) { g.broker.shared_dispatch_ack_enabled = v::boolean(s); }},
      {"broker.route_batch_clean", [](auto& g, auto s) { g.broker.route_batch_clean = v::boolean(s); }},
      {"retainer.storage_type",
       [](auto& g, auto s) { g.retainer.storage_type = v::one_of(s, {"ram"}); }},
      {"retainer.max_retained_messages",
       [](auto& g, auto s) { g.retainer.max_retained_messages = v::unsigned_integer(s, 1ull << 40); }},
      {"retainer.max_payload_size", [](auto& g, auto s) { g.retainer.max_payload_size = v::size(s); }},
      {"retainer.expiry_interval",
       [](auto& g, auto s) { g.retainer.expiry_interval = duration_cast<Seconds>(v::duration(s)); }},
      {"log.to", [](auto& g, auto s) { g.log.to = v::one_of(s, {"off", "console", "file", "both"}); }},
      {"log.level",
       [](auto& g, auto s) {
         g.log.level = v::one_of(s, {"debug", "info", "notice", "warning", "error", "critical",
                                     "alert", "emergency"});
       }},
      {"log.dir", [](auto& g, auto s) { g.log.dir = std::string(v::trim(s)); }},
      {"log.file", [](auto& g, auto s) { g.log.file = std::string(v::trim(s)); }},
      {"log.rotation.size", [](auto& g, auto s) { g.log.rotation_size = v::size(s); }},
      {"log.rotation.count",
       [](auto& g, auto s) { g.log.rotation_count = static_cast<unsigned>(v::unsigned_integer(s, 1000)); }},
  };
  auto found = setters.find(key);
  return found == setters.end() ? nullptr : found->second;
}

// Keys the seed documents for features that have their own issues (TLS, WebSocket, ACL, auth,
// clustering, plugins, ...): accepted so a seed config loads, and reported as ignored.
bool is_documented_but_unimplemented(std::string_view key) {
  static constexpr std::string_view kPrefixes[] = {
      "listener.ssl.", "listener.ws.", "listener.wss.", "cluster.", "rpc.", "bridge.",
      "plugins.", "module.", "os_mon.", "vm_mon.", "sysmon.", "node.", "log.", "acl_",
      "enable_acl_cache", "auth.", "broker.", "retainer.", "mqtt.", "management.", "dashboard.",
  };
  for (auto prefix : kPrefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

// Zone and listener sub-keys the seed documents that this build does not act on yet.
bool is_unimplemented_zone_key(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "allow_anonymous", "acl_deny_action", "enable_flapping_detect", "flapping_threshold",
      "flapping_banned_expiry_interval", "publish_limit", "rate_limit", "mqueue_type",
      "bypass_auth_plugins", "force_gc_policy", "force_shutdown_policy", "use_username_as_clientid",
      "conn_congestion", "quota", "response_information"};
  return std::ranges::find(kNames, name) != std::end(kNames);
}

bool is_unimplemented_listener_key(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "peer_cert_as_username", "proxy_protocol", "proxy_protocol_timeout", "rate_limit",
      "tune_buffer", "active_n", "high_watermark", "keepalive", "max_frame_size"};
  return std::ranges::find(kNames, name) != std::end(kNames);
}

// --- did you mean ------------------------------------------------------------------------------

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const auto above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> known_keys() {
  std::vector<std::string> keys = {
      "node.name", "node.workers", "node.max_clients", "allow_anonymous",
      "broker.sys_interval", "broker.sys_heartbeat", "broker.session_locking_strategy",
      "broker.shared_subscription_strategy", "broker.shared_dispatch_ack_enabled",
      "broker.route_batch_clean", "retainer.storage_type", "retainer.max_retained_messages",
      "retainer.max_payload_size", "retainer.expiry_interval", "log.to", "log.level", "log.dir",
      "log.file", "log.rotation.size", "log.rotation.count", "listener.tcp.external"};
  for (auto name : {"max_packet_size", "max_clientid_len", "max_topic_levels", "max_qos_allowed",
                    "max_topic_alias", "retain_available", "wildcard_subscription",
                    "shared_subscription", "ignore_loop_deliver", "strict_mode"}) {
    keys.push_back(std::string("mqtt.") + name);
    keys.push_back(std::string("zone.external.") + name);
  }
  for (auto name : {"idle_timeout", "keepalive_backoff", "server_keepalive", "max_inflight",
                    "retry_interval", "max_awaiting_rel", "await_rel_timeout",
                    "session_expiry_interval", "max_mqueue_len", "mqueue_priorities",
                    "mqueue_default_priority", "mqueue_store_qos0", "max_subscriptions",
                    "upgrade_qos", "enable_acl", "enable_ban", "enable_stats", "mountpoint"}) {
    keys.push_back(std::string("zone.external.") + name);
  }
  for (auto name : {"acceptors", "max_connections", "max_conn_rate", "zone", "mountpoint",
                    "backlog", "send_timeout", "send_timeout_close", "nodelay", "reuseaddr",
                    "recbuf", "sndbuf", "buffer", "access.1"}) {
    keys.push_back(std::string("listener.tcp.external.") + name);
  }
  return keys;
}

std::string suggestion_for(const std::string& key) {
  std::string best;
  std::size_t best_distance = 4;  // suggest only close matches
  for (const auto& known : known_keys()) {
    const auto distance = edit_distance(key, known);
    if (distance < best_distance) {
      best_distance = distance;
      best = known;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// --- parsing -----------------------------------------------------------------------------------

std::vector<Entry> read_entries(std::string_view text, const std::string& source) {
  std::vector<Entry> entries;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    line = v::trim(line);
    // Only whole-line comments: values such as bridge topic filters may contain '#'.
    if (line.empty() || line.front() == '#') continue;
    const auto origin = source + ":" + std::to_string(line_number);
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      throw ConfigError(origin + ": expected 'key = value', got '" + std::string(line) + "'");
    }
    auto key = std::string(v::trim(line.substr(0, equals)));
    if (key.empty()) throw ConfigError(origin + ": missing key before '='");
    entries.push_back({std::move(key), std::string(v::trim(line.substr(equals + 1))), origin});
  }
  return entries;
}

std::vector<Entry> environment_entries(const Environment& environment) {
  std::vector<Entry> entries;
  for (const auto& [name, value] : environment) {
    if (!name.starts_with("GATEMQ_") || name.find("__") == std::string::npos) continue;
    std::string key;
    for (std::size_t i = 7; i < name.size(); ++i) {
      if (name.compare(i, 2, "__") == 0) {
        key += '.';
        ++i;
      } else {
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
      }
    }
    entries.push_back({key, value, "environment " + name});
  }
  return entries;
}

class Builder {
 public:
  void apply(const Entry& entry) {
    try {
      apply_or_throw(entry);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(entry.origin + ": " + entry.key + ": '" + entry.value + "' is not " +
                        e.what());
    }
  }

  Settings finish() {
    // Zones: defaults from mqtt.*, then zone.<name>.* on top, in file order.
    std::map<std::string, ZoneSettings> zones;
    auto zone_named = [&](const std::string& name) -> ZoneSettings& {
      auto [it, inserted] = zones.try_emplace(name);
      if (inserted) {
        it->second.mqtt = settings_.mqtt;
        if (name == "internal") it->second.enable_acl = false;  // seed default
      }
      return it->second;
    };
    zone_named("external");
    zone_named("internal");
    for (const auto& [name, setter, entry] : zone_entries_) {
      try {
        setter(zone_named(name), entry.value);
      } catch (const std::invalid_argument& e) {
        throw ConfigError(entry.origin + ": " + entry.key + ": '" + entry.value + "' is not " +
                          e.what());
      }
    }
    settings_.tcp_listeners.clear();
    for (auto& [name, listener] : listeners_) {
      if (!listener.enabled) continue;
      if (!listener.has_address) {
        throw ConfigError(listener.first_origin + ": listener.tcp." + name +
                          " has settings but no address (listener.tcp." + name + " = <port>)");
      }
      zone_named(listener.settings.zone);
      listener.settings.access_rules.clear();
      for (const auto& [index, rule] : listener.access) listener.settings.access_rules.push_back(rule);
      settings_.tcp_listeners.push_back(listener.settings);
    }
    settings_.zones = std::move(zones);
    return std::move(settings_);
  }

 private:
  struct PendingListener {
    TcpListenerSettings settings;
    bool has_address = false;
    bool enabled = true;
    std::string first_origin;
    std::map<std::uint64_t, std::string> access{{1, "allow all"}};  // access.N, in N order
  };

  PendingListener& listener_named(const std::string& name, const std::string& origin) {
    auto [it, inserted] = listeners_.try_emplace(name);
    if (inserted) {
      it->second.settings.name = name;
      it->second.first_origin = origin;
    }
    return it->second;
  }

  void apply_or_throw(const Entry& entry) {
    const std::string_view key = entry.key;
    if (auto setter = global_setter(key)) {
      setter(settings_, entry.value);
      return;
    }
    if (key.starts_with("mqtt.")) {
      if (auto setter = mqtt_setter(key.substr(5))) {
        setter(settings_.mqtt, entry.value);
        return;
      }
    }
    if (key.starts_with("zone.")) {
      const auto rest = key.substr(5);
      const auto dot = rest.find('.');
      if (dot != std::string_view::npos && dot > 0) {
        const auto name = std::string(rest.substr(0, dot));
        const auto sub = rest.substr(dot + 1);
        if (auto setter = zone_setter(sub)) {
          zone_entries_.push_back({name, setter, entry});
          return;
        }
        if (is_unimplemented_zone_key(sub)) return ignore(entry);
      }
    }
    if (key.starts_with("listener.tcp.")) {
      const auto rest = key.substr(13);
      const auto dot = rest.find('.');
      const auto name = std::string(rest.substr(0, dot));
      if (!name.empty()) {
        auto& listener = listener_named(name, entry.origin);
        if (dot == std::string_view::npos) {
          if (v::trim(entry.value) == "off") {
            listener.enabled = false;
            return;
          }
          auto [host, port] = v::listen_address(entry.value);
          listener.settings.bind_address = host;
          listener.settings.port = port;
          listener.has_address = true;
          listener.enabled = true;
          return;
        }
        const auto sub = rest.substr(dot + 1);
        if (sub.starts_with("access.")) {
          const auto index = v::unsigned_integer(sub.substr(7), 1u << 20);
          listener.access[index] = std::string(v::trim(entry.value));
          return;
        }
        if (auto setter = listener_setter(sub)) {
          setter(listener.settings, entry.value);
          return;
        }
        if (is_unimplemented_listener_key(sub)) return ignore(entry);
      }
    }
    if (is_documented_but_unimplemented(key) && !is_ours(key)) return ignore(entry);
    throw ConfigError(entry.origin + ": unknown key '" + entry.key + "'" +
                      suggestion_for(entry.key));
  }

  // Keys under our own prefixes that are misspelt must be errors, not silently ignored.
  static bool is_ours(std::string_view key) {
    for (const auto& known : known_keys()) {
      if (edit_distance(key, known) <= 2) return true;
    }
    return key.starts_with("mqtt.") || key.starts_with("retainer.");
  }

  void ignore(const Entry& entry) { settings_.ignored_keys.push_back(entry.origin + " " + entry.key); }

  struct ZoneEntry {
    std::string zone;
    Setter<ZoneSettings> setter;
    Entry entry;
  };

  Settings settings_;
  std::vector<ZoneEntry> zone_entries_;
  std::map<std::string, PendingListener> listeners_;
};

Settings build(const std::vector<Entry>& entries) {
  Builder builder;
  // The built-in default listener, as in the seed's etc/emqx.conf.
  builder.apply({"listener.tcp.external", "0.0.0.0:1883", "built-in default"});
  for (const auto& entry : entries) builder.apply(entry);
  return builder.finish();
}

}  // namespace

Environment process_environment() {
  Environment environment;
  for (char** variable = environ; variable && *variable; ++variable) {
    std::string_view text(*variable);
    if (!text.starts_with("GATEMQ_")) continue;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

Settings parse_settings(std::string_view text, const std::string& source,
                        const Environment& environment) {
  auto entries = read_entries(text, source);
  auto overrides = environment_entries(environment);
  entries.insert(entries.end(), overrides.begin(), overrides.end());
  return build(entries);
}

Settings load_settings(const std::optional<std::filesystem::path>& file,
                       const Environment& environment) {
  if (!file) return parse_settings("", "defaults", environment);
  std::ifstream input(*file, std::ios::binary);
  if (!input) {
    throw ConfigError(file->string() + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << input.rdbuf();
  return parse_settings(text.str(), file->string(), environment);
}

}  // namespace gatemq::config
