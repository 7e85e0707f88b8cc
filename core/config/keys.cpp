#include "core/config/keys.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "core/config/values.hpp"

namespace gatemq::config::keys {

namespace {

namespace v = values;
using std::chrono::duration_cast;

template <class Target>
using SetterMap = std::unordered_map<std::string_view, Setter<Target>>;

template <class Target>
Setter<Target> find(const SetterMap<Target>& setters, std::string_view name) {
  const auto found = setters.find(name);
  return found == setters.end() ? nullptr : found->second;
}

template <class Target>
std::vector<std::string_view> names_of(const SetterMap<Target>& setters) {
  std::vector<std::string_view> names;
  for (const auto& [name, setter] : setters) names.push_back(name);
  return names;
}

template <class Int>
Int bounded(std::string_view text, std::uint64_t max) {
  return static_cast<Int>(v::unsigned_integer(text, max));
}

std::string text(std::string_view value) {
  return std::string(v::trim(value));
}

RateLimit rate(std::pair<double, double> per_second_and_burst) {
  return RateLimit{per_second_and_burst.first, per_second_and_burst.second};
}

const SetterMap<MqttSettings>& mqtt_setters() {
  static const SetterMap<MqttSettings> setters{
      {"max_packet_size",
       [](auto& m, auto s) {
         const auto bytes = v::size(s);
         if (bytes < 16 || bytes > 268435455) {
           throw std::invalid_argument("a size from 16B to 256MB");
         }
         m.max_packet_size = static_cast<std::uint32_t>(bytes);
       }},
      {"max_clientid_len",
       [](auto& m, auto s) { m.max_clientid_len = bounded<std::uint32_t>(s, 65535); }},
      {"max_topic_levels",
       [](auto& m, auto s) { m.max_topic_levels = bounded<unsigned>(s, 65535); }},
      {"max_qos_allowed", [](auto& m, auto s) { m.max_qos_allowed = bounded<std::uint8_t>(s, 2); }},
      {"max_topic_alias",
       [](auto& m, auto s) { m.max_topic_alias = bounded<std::uint16_t>(s, 65535); }},
      {"retain_available", [](auto& m, auto s) { m.retain_available = v::boolean(s); }},
      {"wildcard_subscription", [](auto& m, auto s) { m.wildcard_subscription = v::boolean(s); }},
      {"shared_subscription", [](auto& m, auto s) { m.shared_subscription = v::boolean(s); }},
      {"ignore_loop_deliver", [](auto& m, auto s) { m.ignore_loop_deliver = v::boolean(s); }},
      {"strict_mode", [](auto& m, auto s) { m.strict_mode = v::boolean(s); }},
  };
  return setters;
}

const SetterMap<ZoneSettings>& zone_setters() {
  static const SetterMap<ZoneSettings> setters{
      {"idle_timeout", [](auto& z, auto s) { z.idle_timeout = v::duration(s); }},
      {"keepalive_backoff", [](auto& z, auto s) { z.keepalive_backoff = v::decimal(s); }},
      {"server_keepalive",
       [](auto& z, auto s) { z.server_keepalive = bounded<std::uint16_t>(s, 65535); }},
      {"max_inflight", [](auto& z, auto s) { z.max_inflight = bounded<std::uint16_t>(s, 65535); }},
      {"retry_interval", [](auto& z, auto s) { z.retry_interval = v::duration(s); }},
      {"max_awaiting_rel",
       [](auto& z, auto s) { z.max_awaiting_rel = bounded<std::uint32_t>(s, 65535); }},
      {"await_rel_timeout", [](auto& z, auto s) { z.await_rel_timeout = v::duration(s); }},
      {"session_expiry_interval",
       [](auto& z, auto s) {
         const auto seconds = duration_cast<Seconds>(v::duration(s));
         if (seconds.count() > 0xFFFFFFFE) throw std::invalid_argument("at most 136 years");
         z.session_expiry_interval = seconds;
       }},
      {"max_mqueue_len",
       [](auto& z, auto s) { z.max_mqueue_len = bounded<std::uint32_t>(s, 0xFFFFFFFF); }},
      {"mqueue_priorities", [](auto& z, auto s) { z.mqueue_priorities = v::priorities(s); }},
      {"mqueue_default_priority",
       [](auto& z, auto s) {
         z.mqueue_default_priority = v::one_of(s, {"lowest", "highest"});
       }},
      {"mqueue_store_qos0", [](auto& z, auto s) { z.mqueue_store_qos0 = v::boolean(s); }},
      {"max_subscriptions",
       [](auto& z, auto s) { z.max_subscriptions = bounded<std::uint32_t>(s, 0xFFFFFFFF); }},
      {"upgrade_qos", [](auto& z, auto s) { z.upgrade_qos = v::boolean(s); }},
      {"enable_acl", [](auto& z, auto s) { z.enable_acl = v::boolean(s); }},
      {"enable_ban", [](auto& z, auto s) { z.enable_ban = v::boolean(s); }},
      {"enable_stats", [](auto& z, auto s) { z.enable_stats = v::boolean(s); }},
      {"mountpoint", [](auto& z, auto s) { z.mountpoint = text(s); }},
      {"allow_anonymous", [](auto& z, auto s) { z.allow_anonymous = v::boolean(s); }},
      {"acl_deny_action",
       [](auto& z, auto s) {
         z.acl_deny_disconnects = v::one_of(s, {"ignore", "disconnect"}) == "disconnect";
       }},
      {"enable_flapping_detect", [](auto& z, auto s) { z.enable_flapping_detect = v::boolean(s); }},
      {"flapping_threshold",
       [](auto& z, auto s) {
         const auto [per_second, count] = v::count_per_period(s);
         z.flapping_threshold = static_cast<std::uint32_t>(count);
         z.flapping_window = Millis(static_cast<std::int64_t>(count * 1000.0 / per_second));
       }},
      {"flapping_banned_expiry_interval",
       [](auto& z, auto s) { z.flapping_banned_expiry_interval = v::duration(s); }},
      {"publish_limit", [](auto& z, auto s) { z.publish_limit = rate(v::count_per_period(s)); }},
      {"rate_limit.conn_bytes_in",
       [](auto& z, auto s) { z.conn_bytes_in = rate(v::bytes_per_period(s)); }},
      {"rate_limit.conn_messages_in",
       [](auto& z, auto s) { z.conn_messages_in = rate(v::count_per_period(s)); }},
      {"ignore_loop_deliver",
       [](auto& z, auto s) { z.ignore_loop_deliver = z.mqtt.ignore_loop_deliver = v::boolean(s); }},
      {"max_output_buffer",
       [](auto& z, auto s) {
         const auto bytes = v::size(s);
         if (bytes < 64 * 1024) throw std::invalid_argument("at least 64KB");
         z.max_output_buffer = bytes;
       }},
      {"max_publisher_hold", [](auto& z, auto s) { z.max_publisher_hold = v::duration(s); }},
  };
  return setters;
}

const SetterMap<ListenerSettings>& listener_setters() {
  static const SetterMap<ListenerSettings> setters{
      {"acceptors", [](auto& l, auto s) { l.acceptors = bounded<unsigned>(s, 1024); }},
      {"max_connections",
       [](auto& l, auto s) { l.max_connections = v::unsigned_integer(s, 1u << 30); }},
      // The seed's rate-limit chapter spells it max_clients.
      {"max_clients",
       [](auto& l, auto s) { l.max_connections = v::unsigned_integer(s, 1u << 30); }},
      {"max_conn_rate",
       [](auto& l, auto s) { l.max_conn_rate = v::unsigned_integer(s, 1u << 30); }},
      {"zone", [](auto& l, auto s) { l.zone = v::identifier(s); }},
      {"mountpoint", [](auto& l, auto s) { l.mountpoint = text(s); }},
      {"backlog", [](auto& l, auto s) { l.backlog = bounded<int>(s, 65535); }},
      {"send_timeout", [](auto& l, auto s) { l.send_timeout = v::duration(s); }},
      {"send_timeout_close", [](auto& l, auto s) { l.send_timeout_close = v::boolean(s); }},
      {"nodelay", [](auto& l, auto s) { l.nodelay = v::boolean(s); }},
      {"reuseaddr", [](auto& l, auto s) { l.reuseaddr = v::boolean(s); }},
      {"recbuf", [](auto& l, auto s) { l.recbuf = v::size(s); }},
      {"sndbuf", [](auto& l, auto s) { l.sndbuf = v::size(s); }},
      {"buffer", [](auto& l, auto s) { l.buffer = v::size(s); }},
      {"proxy_protocol", [](auto& l, auto s) { l.proxy_protocol = v::boolean(s); }},
      {"rate_limit", [](auto& l, auto s) { l.rate_limit = rate(v::rate_and_burst(s)); }},
      {"max_publish_rate",
       [](auto& l, auto s) { l.max_publish_rate = rate(v::count_per_period(s)); }},
      {"proxy_protocol_timeout",
       [](auto& l, auto s) { l.proxy_protocol_timeout = v::duration(s); }},
  };
  return setters;
}

std::string cert_field(std::string_view text) {
  return v::one_of(text, {"cn", "dn"});
}

const SetterMap<TlsSettings>& tls_setters() {
  static const SetterMap<TlsSettings> setters{
      {"keyfile", [](auto& t, auto s) { t.keyfile = text(s); }},
      {"certfile", [](auto& t, auto s) { t.certfile = text(s); }},
      {"cacertfile", [](auto& t, auto s) { t.cacertfile = text(s); }},
      {"dhfile", [](auto& t, auto s) { t.dhfile = text(s); }},
      {"verify",
       [](auto& t, auto s) {
         t.verify_peer = v::one_of(s, {"verify_peer", "verify_none"}) == "verify_peer";
       }},
      {"fail_if_no_peer_cert", [](auto& t, auto s) { t.fail_if_no_peer_cert = v::boolean(s); }},
      {"ciphers", [](auto& t, auto s) { t.ciphers = v::list(s); }},
      {"psk_ciphers", [](auto& t, auto s) { t.psk_ciphers = v::list(s); }},
      {"tls_versions",
       [](auto& t, auto s) {
         t.tls_versions = v::list(s);
         if (t.tls_versions.empty()) throw std::invalid_argument("a list of TLS versions");
         for (const auto& version : t.tls_versions) {
           v::one_of(version, {"tlsv1.3", "tlsv1.2", "tlsv1.1", "tlsv1"});
         }
       }},
      {"handshake_timeout", [](auto& t, auto s) { t.handshake_timeout = v::duration(s); }},
      {"peer_cert_as_username", [](auto& t, auto s) { t.peer_cert_as_username = cert_field(s); }},
      {"peer_cert_as_clientid", [](auto& t, auto s) { t.peer_cert_as_clientid = cert_field(s); }},
      {"reuse_sessions", [](auto& t, auto s) { t.reuse_sessions = v::boolean(s); }},
      {"honor_cipher_order", [](auto& t, auto s) { t.honor_cipher_order = v::boolean(s); }},
  };
  return setters;
}

const SetterMap<WebSocketSettings>& websocket_setters() {
  static const SetterMap<WebSocketSettings> setters{
      {"mqtt_path",
       [](auto& w, auto s) {
         w.mqtt_path = text(s);
         if (!w.mqtt_path.starts_with('/')) throw std::invalid_argument("a path starting with /");
       }},
      {"verify_protocol_header", [](auto& w, auto s) { w.verify_protocol_header = v::boolean(s); }},
      {"proxy_address_header", [](auto& w, auto s) { w.proxy_address_header = text(s); }},
      {"proxy_port_header", [](auto& w, auto s) { w.proxy_port_header = text(s); }},
      {"check_origin_enable", [](auto& w, auto s) { w.check_origin_enable = v::boolean(s); }},
      {"allowed_origins", [](auto& w, auto s) { w.allowed_origins = v::list(s); }},
      {"max_frame_size", [](auto& w, auto s) { w.max_frame_size = v::size(s); }},
      {"idle_timeout", [](auto& w, auto s) { w.idle_timeout = v::duration(s); }},
  };
  return setters;
}

const SetterMap<Settings>& global_setters() {
  static const SetterMap<Settings> setters{
      {"node.name", [](auto& g, auto s) { g.node.name = v::name(s); }},
      {"node.workers", [](auto& g, auto s) { g.node.workers = bounded<unsigned>(s, 1024); }},
      {"psk.file.path", [](auto& g, auto s) { g.psk.file = text(s); }},
      {"acl_file", [](auto& g, auto s) { g.acl.file = text(s); }},
      {"acl_nomatch",
       [](auto& g, auto s) {
         g.acl.nomatch_allows = v::one_of(s, {"allow", "deny"}) == "allow";
       }},
      {"enable_acl_cache", [](auto& g, auto s) { g.acl.cache = v::boolean(s); }},
      {"acl_cache_max_size",
       [](auto& g, auto s) { g.acl.cache_max_size = v::unsigned_integer(s, 1u << 20); }},
      {"acl_cache_ttl", [](auto& g, auto s) { g.acl.cache_ttl = v::duration(s); }},
      {"acl_deny_action",
       [](auto& g, auto s) {
         g.acl.deny_disconnects = v::one_of(s, {"ignore", "disconnect"}) == "disconnect";
       }},
      {"acl_subscribe_match",
       [](auto& g, auto s) {
         g.acl.subscribe_match_overlap = v::one_of(s, {"topic", "overlap"}) == "overlap";
       }},
      {"auth.user.password_hash", [](auto& g, auto s) { g.auth.user_password_hash = text(s); }},
      {"auth.client.password_hash", [](auto& g, auto s) { g.auth.client_password_hash = text(s); }},
      {"psk.file.delimiter",
       [](auto& g, auto s) {
         g.psk.delimiter = text(s);
         if (g.psk.delimiter.empty()) throw std::invalid_argument("a non-empty delimiter");
       }},
      {"node.max_clients",
       [](auto& g, auto s) { g.node.max_clients = v::unsigned_integer(s, 1u << 30); }},
      {"allow_anonymous", [](auto& g, auto s) { g.allow_anonymous = v::boolean(s); }},
      // The seed's authentication chapter spells it mqtt.allow_anonymous.
      {"mqtt.allow_anonymous", [](auto& g, auto s) { g.allow_anonymous = v::boolean(s); }},
      {"broker.sys_interval", [](auto& g, auto s) { g.broker.sys_interval = v::duration(s); }},
      {"broker.sys_heartbeat", [](auto& g, auto s) { g.broker.sys_heartbeat = v::duration(s); }},
      {"broker.session_locking_strategy",
       [](auto& g, auto s) {
         g.broker.session_locking_strategy = v::one_of(s, {"local", "one", "quorum", "all"});
       }},
      {"broker.shared_subscription_strategy",
       [](auto& g, auto s) {
         g.broker.shared_subscription_strategy = v::one_of(
             s, {"random", "round_robin", "sticky", "hash", "hash_topic", "hash_clientid"});
       }},
      {"broker.shared_dispatch_ack_enabled",
       [](auto& g, auto s) { g.broker.shared_dispatch_ack_enabled = v::boolean(s); }},
      {"flapping_detect_policy",
       [](auto& g, auto s) {
         const auto parts = v::list(s);
         if (parts.size() != 3) {
           throw std::invalid_argument("'threshold, window, ban duration' such as 30, 1m, 5m");
         }
         g.flapping.threshold = bounded<std::uint32_t>(parts[0], 1u << 20);
         g.flapping.window = v::duration(parts[1]);
         g.flapping.ban = v::duration(parts[2]);
       }},
      {"module.rewrite", [](auto& g, auto s) { g.modules.rewrite = v::boolean(s); }},
      {"module.delayed", [](auto& g, auto s) { g.modules.delayed = v::boolean(s); }},
      {"module.delayed.max_delayed_messages",
       [](auto& g, auto s) { g.modules.delayed_max_pending = v::unsigned_integer(s, 1u << 30); }},
      {"module.delayed.max_delay",
       [](auto& g, auto s) {
         g.modules.delayed_max_delay = duration_cast<Seconds>(v::duration(s));
       }},
      {"broker.route_batch_clean",
       [](auto& g, auto s) { g.broker.route_batch_clean = v::boolean(s); }},
      {"retainer.storage_type",
       [](auto& g, auto s) { g.retainer.storage_type = v::one_of(s, {"ram"}); }},
      {"retainer.max_retained_messages",
       [](auto& g, auto s) {
         g.retainer.max_retained_messages = v::unsigned_integer(s, std::uint64_t{1} << 40);
       }},
      {"retainer.max_payload_size",
       [](auto& g, auto s) { g.retainer.max_payload_size = v::size(s); }},
      {"retainer.expiry_interval",
       [](auto& g, auto s) {
         g.retainer.expiry_interval = duration_cast<Seconds>(v::duration(s));
       }},
      {"os_mon.cpu_check_interval",
       [](auto& g, auto s) { g.os_mon.cpu_check_interval = v::duration(s); }},
      {"os_mon.cpu_high_watermark",
       [](auto& g, auto s) { g.os_mon.cpu_high_watermark = v::percentage(s); }},
      {"os_mon.cpu_low_watermark",
       [](auto& g, auto s) { g.os_mon.cpu_low_watermark = v::percentage(s); }},
      {"os_mon.mem_check_interval",
       [](auto& g, auto s) { g.os_mon.mem_check_interval = v::duration(s); }},
      {"os_mon.sysmem_high_watermark",
       [](auto& g, auto s) { g.os_mon.sysmem_high_watermark = v::percentage(s); }},
      {"os_mon.procmem_high_watermark",
       [](auto& g, auto s) { g.os_mon.procmem_high_watermark = v::percentage(s); }},
      {"plugins.loaded_file",
       [](auto& g, auto s) {
         g.plugins.loaded_file = text(s);
         if (g.plugins.loaded_file.empty()) throw std::invalid_argument("a file name");
       }},
      {"management.listener.http",
       [](auto& g, auto s) {
         if (v::trim(s) == "off") {
           g.management.enabled = false;
           return;
         }
         auto [address, port] = v::listen_address(s);
         g.management.enabled = true;
         g.management.address = std::move(address);
         g.management.port = port;
       }},
      {"management.default_application.id",
       [](auto& g, auto s) {
         g.management.app_id = text(s);
         if (g.management.app_id.empty()) throw std::invalid_argument("a non-empty id");
       }},
      {"management.default_application.secret",
       [](auto& g, auto s) { g.management.app_secret = text(s); }},
      // The seed's plugin file spells the secret this way.
      {"management.application.default_secret",
       [](auto& g, auto s) { g.management.app_secret = text(s); }},
      {"management.max_row_limit",
       [](auto& g, auto s) {
         g.management.max_row_limit = v::unsigned_integer(s, 1u << 20);
         if (g.management.max_row_limit == 0) throw std::invalid_argument("at least 1");
       }},
      {"log.to",
       [](auto& g, auto s) {
         g.log.to = v::one_of(s, {"off", "console", "file", "both"});
       }},
      {"log.level",
       [](auto& g, auto s) {
         g.log.level = v::one_of(
             s, {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"});
       }},
      {"log.dir", [](auto& g, auto s) { g.log.dir = text(s); }},
      {"log.file", [](auto& g, auto s) { g.log.file = text(s); }},
      {"log.rotation.size", [](auto& g, auto s) { g.log.rotation_size = v::size(s); }},
      {"log.rotation.count",
       [](auto& g, auto s) { g.log.rotation_count = bounded<unsigned>(s, 1000); }},
  };
  return setters;
}

// Subsystems the seed documents that gatemq does not have yet: every key under them is ignored.
// clang-format off
constexpr auto kIgnoredPrefixes = std::to_array<std::string_view>({
    "listener.http.", "listener.https.", "listener.api.", "cluster.", "rpc.", "auth.", "bridge.",
    "backend.", "plugins.", "module.", "vm_mon.", "sysmon.", "management.",
    "dashboard.", "web.hook.", "lwm2m.", "coap.", "mqtt.sn.", "reloader.", "recon."});
// clang-format on

// Keys the seed documents inside namespaces gatemq implements, not acted on yet.
constexpr auto kIgnoredKeys = std::to_array<std::string_view>(
    {"node.cookie", "node.proto_dist", "node.ssl_dist_optfile", "node.heartbeat",
     "node.async_threads", "node.process_limit", "node.max_ports", "node.dist_buffer_size",
     "node.max_ets_tables", "node.fullsweep_after", "node.crash_dump", "node.dist_net_ticktime",
     "node.dist_listen_min", "node.dist_listen_max", "broker.enable_session_registry"});

constexpr auto kIgnoredZoneKeys = std::to_array<std::string_view>(
    {"mqueue_type", "bypass_auth_plugins", "force_gc_policy", "force_shutdown_policy",
     "use_username_as_clientid", "conn_congestion", "quota", "response_information"});

// compress and deflate_opts.*: permessage-deflate is not offered (see README).
// secure_renegotiate: mbedTLS never renegotiates unless asked to, so it is always off.
constexpr auto kIgnoredListenerKeys = std::to_array<std::string_view>(
    {"tune_buffer", "active_n", "high_watermark", "keepalive", "secure_renegotiate", "compress"});

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::ranges::find(list, name) != list.end();
}

// log.<level>.file: an extra file handler per level.
bool is_level_file_key(std::string_view key) {
  if (!key.starts_with("log.") || !key.ends_with(".file") || key.size() <= 9) return false;
  const auto level = key.substr(4, key.size() - 9);
  return contains(std::to_array<std::string_view>({"debug", "info", "notice", "warning", "error",
                                                   "critical", "alert", "emergency"}),
                  level);
}

// The component of a dotted key at `index`, or "" if there is none.
std::string_view component(std::string_view key, std::size_t index) {
  for (std::size_t i = 0; i < index; ++i) {
    const auto dot = key.find('.');
    if (dot == std::string_view::npos) return {};
    key.remove_prefix(dot + 1);
  }
  return key.substr(0, key.find('.'));
}

}  // namespace

Setter<Settings> global_setter(std::string_view key) {
  return find(global_setters(), key);
}

Setter<MqttSettings> mqtt_setter(std::string_view name) {
  return find(mqtt_setters(), name);
}

Setter<ZoneSettings> zone_setter(std::string_view name) {
  if (auto setter = find(zone_setters(), name)) return setter;
  if (auto mqtt = mqtt_setter(name)) {
    return [mqtt](ZoneSettings& z, std::string_view s) { mqtt(z.mqtt, s); };
  }
  return nullptr;
}

Setter<ListenerSettings> listener_setter(std::string_view kind, std::string_view name) {
  if (auto setter = find(listener_setters(), name)) return setter;
  if (kind == "ssl" || kind == "wss") {
    if (auto tls = find(tls_setters(), name)) {
      return [tls](ListenerSettings& l, std::string_view s) { tls(l.tls.value(), s); };
    }
  }
  if (kind == "ws" || kind == "wss") {
    if (auto websocket = find(websocket_setters(), name)) {
      return [websocket](ListenerSettings& l, std::string_view s) {
        websocket(l.websocket.value(), s);
      };
    }
  }
  return nullptr;
}

bool is_top_level(std::string_view key) {
  return key.find('.') == std::string_view::npos && (global_setter(key) || is_ignored(key));
}

bool is_ignored(std::string_view key) {
  for (auto prefix : kIgnoredPrefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return contains(kIgnoredKeys, key) || is_level_file_key(key);
}

bool is_ignored_zone_key(std::string_view name) {
  return contains(kIgnoredZoneKeys, name);
}

bool is_ignored_listener_key(std::string_view name) {
  return contains(kIgnoredListenerKeys, name) || name.starts_with("deflate_opts.");
}

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

std::string suggestion(std::string_view key) {
  // Zone and listener keys are suggested under the name the key uses (zone.sensors.max_inflght
  // -> zone.sensors.max_inflight), other keys under the default names.
  const auto zone = key.starts_with("zone.") ? component(key, 1) : std::string_view{"external"};
  const bool is_listener_key = key.starts_with("listener.");
  const auto kind = is_listener_key ? component(key, 1) : std::string_view{"tcp"};
  const auto listener = is_listener_key ? component(key, 2) : std::string_view{"external"};
  std::vector<std::string> candidates;
  for (auto name : names_of(global_setters())) candidates.emplace_back(name);
  for (auto name : kIgnoredKeys) candidates.emplace_back(name);
  for (auto name : names_of(mqtt_setters())) {
    candidates.push_back("mqtt." + std::string(name));
    candidates.push_back("zone." + std::string(zone) + "." + std::string(name));
  }
  for (auto name : names_of(zone_setters())) {
    candidates.push_back("zone." + std::string(zone) + "." + std::string(name));
  }
  for (auto name : kIgnoredZoneKeys) {
    candidates.push_back("zone." + std::string(zone) + "." + std::string(name));
  }
  const auto listener_prefix = "listener." + std::string(kind) + "." + std::string(listener);
  candidates.push_back(listener_prefix);
  for (auto name : names_of(listener_setters())) {
    candidates.push_back(listener_prefix + "." + std::string(name));
  }
  if (kind == "ssl" || kind == "wss") {
    for (auto name : names_of(tls_setters())) {
      candidates.push_back(listener_prefix + "." + std::string(name));
    }
  }
  if (kind == "ws" || kind == "wss") {
    for (auto name : names_of(websocket_setters())) {
      candidates.push_back(listener_prefix + "." + std::string(name));
    }
  }
  for (auto name : kIgnoredListenerKeys) {
    candidates.push_back(listener_prefix + "." + std::string(name));
  }
  candidates.push_back(listener_prefix + ".access.1");

  // Close spellings (at most 3 edits), or a key cut short (retainer.max_payload).
  std::string best;
  std::size_t best_distance = 4;
  for (const auto& candidate : candidates) {
    const bool cut_short = key.size() >= 8 && candidate.starts_with(key);
    const auto distance = cut_short ? 1 : edit_distance(key, candidate);
    if (distance < best_distance || (distance == best_distance && candidate < best)) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace gatemq::config::keys
