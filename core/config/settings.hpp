// Typed view of the configuration the core broker runs on. Built from key = value files by
// load_settings(); every field carries the seed's default, so an empty config is a working one.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/raw_entry.hpp"

namespace gatemq::config {

using Seconds = std::chrono::seconds;
using Millis = std::chrono::milliseconds;

struct NodeSettings {
  std::string name = "gatemq@127.0.0.1";  // node.name
  unsigned workers = 0;                   // node.workers; 0 = one per core
  std::uint64_t max_clients = 1024000;    // node.max_clients

  bool operator==(const NodeSettings&) const = default;
};

// listener.{ssl,wss}.<name>.* — the TLS side of a listener (mbedTLS; see core/net/tls_context).
struct TlsSettings {
  std::string keyfile, certfile, cacertfile;  // PEM; relative to the working directory
  std::string dhfile;                         // accepted, unused: mbedTLS picks ECDHE groups
  bool verify_peer = false;                   // verify = verify_peer | verify_none
  bool fail_if_no_peer_cert = false;
  std::vector<std::string> ciphers;      // OpenSSL or IANA names; empty = mbedTLS's defaults
  std::vector<std::string> psk_ciphers;  // used when the PSK table is on; empty = all PSK suites
  std::vector<std::string> tls_versions{"tlsv1.2"};  // tlsv1.2, tlsv1.1, tlsv1
  Millis handshake_timeout{15000};
  std::string peer_cert_as_username;  // "" | cn | dn
  std::string peer_cert_as_clientid;  // "" | cn | dn
  bool reuse_sessions = true;
  bool honor_cipher_order = true;

  bool operator==(const TlsSettings&) const = default;
};

// listener.{ws,wss}.<name>.* — the WebSocket side of a listener.
struct WebSocketSettings {
  std::string mqtt_path = "/mqtt";
  bool verify_protocol_header = true;  // refuse clients that offer no MQTT sub-protocol
  std::string proxy_address_header;    // X-Forwarded-For: the client address behind a proxy
  std::string proxy_port_header;       // X-Forwarded-Port
  bool check_origin_enable = false;
  std::vector<std::string> allowed_origins;
  std::uint64_t max_frame_size = 0;    // bytes per message, 0 = unlimited
  std::optional<Millis> idle_timeout;  // for the upgrade request; unset = the zone's idle_timeout

  bool operator==(const WebSocketSettings&) const = default;
};

// A token-bucket rate: `per_second` on average, bursts up to `burst` (0 = no limit). Written as
// "N,period" (messages: 100,10s, or bare seconds: 10,60), "size,period" (bytes: 100KB,10s) or
// "rate,burst" (bytes per second and burst bytes: 1024,4096).
struct RateLimit {
  double per_second = 0;
  double burst = 0;
  bool enabled() const { return per_second > 0; }

  bool operator==(const RateLimit&) const = default;
};

// listener.<kind>.<name> = [ip:]port and its sub-keys; kind is tcp, ssl (MQTT over TLS), ws
// (MQTT over WebSocket) or wss (over WebSocket over TLS). Gateways use the same struct for their
// own stream listeners.
struct ListenerSettings {
  std::string kind = "tcp";
  std::string name = "external";
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 1883;
  unsigned acceptors = 8;
  std::uint64_t max_connections = 1024000;
  std::uint64_t max_conn_rate = 1000;  // new connections per second, 0 = unlimited
  std::string zone = "external";
  std::string mountpoint;
  int backlog = 1024;
  Millis send_timeout{15000};
  bool send_timeout_close = true;
  bool nodelay = true;
  bool reuseaddr = true;
  std::optional<std::uint64_t> recbuf, sndbuf, buffer;  // bytes; unset = OS default
  std::vector<std::string> access_rules{"allow all"};   // listener.<kind>.<name>.access.N
  bool proxy_protocol = false;  // a PROXY v1/v2 header precedes everything else
  Millis proxy_protocol_timeout{3000};
  std::optional<TlsSettings> tls;              // set for ssl and wss
  std::optional<WebSocketSettings> websocket;  // set for ws and wss
  RateLimit rate_limit;        // rate_limit = bytes/s,burst: bytes read per connection
  RateLimit max_publish_rate;  // max_publish_rate = N,seconds: PUBLISHes per connection

  bool operator==(const ListenerSettings&) const = default;
};

// The seed's second default listener: listener.tcp.internal = 127.0.0.1:11883, 4 acceptors,
// zone internal.
inline ListenerSettings internal_listener_defaults() {
  ListenerSettings listener;
  listener.name = "internal";
  listener.bind_address = "127.0.0.1";
  listener.port = 11883;
  listener.acceptors = 4;
  listener.zone = "internal";
  return listener;
}

// The seed's listener.ssl.external, listener.ws.external and listener.wss.external, on by
// default with the test certificates shipped in etc/certs/.
ListenerSettings ssl_listener_defaults();
ListenerSettings ws_listener_defaults();
ListenerSettings wss_listener_defaults();

// psk.file.* — the TLS-PSK identity table every TLS and DTLS listener consults. Off by default.
struct PskSettings {
  std::string file;  // psk.file.path: "identity<delimiter>secret" lines
  std::string delimiter = ":";

  bool operator==(const PskSettings&) const = default;
};

// mqtt.* — global protocol limits; zones may override the same names.
struct MqttSettings {
  std::uint32_t max_packet_size = 1024 * 1024;  // mqtt.max_packet_size = 1MB
  std::uint32_t max_clientid_len = 65535;
  unsigned max_topic_levels = 0;  // 0 = unlimited
  std::uint8_t max_qos_allowed = 2;
  std::uint16_t max_topic_alias = 0;  // 0 = topic aliases off
  bool retain_available = true;
  bool wildcard_subscription = true;
  bool shared_subscription = true;
  bool ignore_loop_deliver = false;
  bool strict_mode = false;

  bool operator==(const MqttSettings&) const = default;
};

// zone.<name>.* — per-listener behaviour.
struct ZoneSettings {
  Millis idle_timeout{15000};
  double keepalive_backoff = 0.75;
  std::uint16_t server_keepalive = 0;  // 0 = use the client's
  std::uint16_t max_inflight = 32;
  Millis retry_interval{20000};
  std::uint32_t max_awaiting_rel = 100;
  Millis await_rel_timeout{300000};
  Seconds session_expiry_interval{7200};
  std::uint32_t max_mqueue_len = 1000;                         // 0 = unlimited
  std::vector<std::pair<std::string, int>> mqueue_priorities;  // topic -> priority (1..255)
  std::string mqueue_default_priority = "lowest";              // lowest | highest
  bool mqueue_store_qos0 = true;
  std::uint32_t max_subscriptions = 0;  // 0 = unlimited
  bool upgrade_qos = false;
  bool enable_acl = true;
  bool enable_ban = true;
  bool enable_stats = true;
  // Flapping: flapping_threshold disconnects within flapping_window ban the client id for
  // flapping_banned_expiry_interval. Defaults from flapping_detect_policy.
  bool enable_flapping_detect = false;
  std::uint32_t flapping_threshold = 30;
  Millis flapping_window{60000};
  Millis flapping_banned_expiry_interval{300000};
  // zone.<name>.allow_anonymous and acl_deny_action; unset = the global keys.
  std::optional<bool> allow_anonymous;
  std::optional<bool> acl_deny_disconnects;
  RateLimit publish_limit;     // publish_limit = N,seconds
  RateLimit conn_bytes_in;     // rate_limit.conn_bytes_in = size,period
  RateLimit conn_messages_in;  // rate_limit.conn_messages_in = N,period
  std::string mountpoint;
  bool ignore_loop_deliver = false;
  // Flow control (gatemq's own): a connection's QoS 0 output past max_output_buffer bytes is
  // dropped; long before that its publishers stop being read, for up to max_publisher_hold at
  // a time (0 = never hold publishers back, only drop).
  std::uint64_t max_output_buffer = 8 * 1024 * 1024;
  Millis max_publisher_hold{100};
  MqttSettings mqtt;  // mqtt.* with zone.<name>.<same key> applied on top

  bool operator==(const ZoneSettings&) const = default;
};

// The seed's zone.internal differs from the other zones only in enable_acl = off.
inline ZoneSettings internal_zone_defaults() {
  ZoneSettings zone;
  zone.enable_acl = false;
  return zone;
}

struct BrokerSettings {
  Millis sys_interval{60000};
  Millis sys_heartbeat{30000};
  std::string session_locking_strategy = "quorum";
  std::string shared_subscription_strategy = "random";
  bool shared_dispatch_ack_enabled = false;
  bool route_batch_clean = true;

  bool operator==(const BrokerSettings&) const = default;
};

// flapping_detect_policy = threshold, window, ban: the zones' defaults.
struct FlappingPolicy {
  std::uint32_t threshold = 30;
  Millis window{60000};
  Millis ban{300000};

  bool operator==(const FlappingPolicy&) const = default;
};

// module.rewrite.* and module.delayed.* — topic rewrite rules and delayed publish.
struct ModuleSettings {
  bool rewrite = false;  // module.rewrite = on | off
  // "key = <filter> <regex> <destination>" in N order; rule.N applies to both directions.
  std::vector<std::pair<std::string, std::string>> rewrite_publish, rewrite_subscribe;
  bool delayed = true;                         // module.delayed = on | off (gatemq key)
  std::uint64_t delayed_max_pending = 100000;  // module.delayed.max_delayed_messages, 0 = no cap
  Seconds delayed_max_delay{4294967};          // module.delayed.max_delay

  bool operator==(const ModuleSettings&) const = default;
};

// acl_* — the built-in ACL file and what happens around it (core/auth/access_control).
struct AclSettings {
  std::string file = "etc/acl.conf";  // acl_file; the default may be missing (no rules)
  bool nomatch_allows = true;         // acl_nomatch = allow | deny
  bool cache = true;                  // enable_acl_cache
  std::uint64_t cache_max_size = 32;  // acl_cache_max_size: entries per client
  Millis cache_ttl{60000};            // acl_cache_ttl
  bool deny_disconnects = false;      // acl_deny_action = ignore | disconnect
  bool subscribe_match_overlap = false;  // acl_subscribe_match = topic | overlap

  bool operator==(const AclSettings&) const = default;
};

// auth.user.N.* and auth.client.N.* — the built-in username and client-id credentials (the
// seed's emqx_auth_username / emqx_auth_clientid plugins).
struct Credential {
  std::string name;      // auth.user.N.username or auth.client.N.clientid
  std::string password;  // as configured: plain, or already hashed per password_hash
  std::string salt;      // auth.user.N.salt (for salted hashes)

  bool operator==(const Credential&) const = default;
};

struct BuiltinAuthSettings {
  std::string user_password_hash = "sha256";    // auth.user.password_hash
  std::string client_password_hash = "sha256";  // auth.client.password_hash
  std::vector<Credential> users;                // in N order
  std::vector<Credential> clients;

  bool operator==(const BuiltinAuthSettings&) const = default;
};

struct RetainerSettings {
  std::string storage_type = "ram";         // retainer.storage_type
  std::uint64_t max_retained_messages = 0;  // 0 = unlimited
  std::uint64_t max_payload_size = 1024 * 1024;
  Seconds expiry_interval{0};  // 0 = never

  bool operator==(const RetainerSettings&) const = default;
};

struct LogSettings {
  std::string to = "both";  // off | console | file | both
  std::string level = "error";
  std::string dir = "log";
  std::string file = "gatemq.log";
  std::uint64_t rotation_size = 10 * 1024 * 1024;
  unsigned rotation_count = 5;

  bool operator==(const LogSettings&) const = default;
};

// os_mon.* — when the OS monitor (app/os_monitor) raises and clears its alarms. The
// watermarks are percentages (80 means 80%).
struct OsMonitorSettings {
  Millis cpu_check_interval{60000};
  double cpu_high_watermark = 80;
  double cpu_low_watermark = 60;
  Millis mem_check_interval{60000};
  double sysmem_high_watermark = 70;
  double procmem_high_watermark = 5;

  bool operator==(const OsMonitorSettings&) const = default;
};

// The management REST API (and `gatemq ctl`, its client).
struct ManagementSettings {
  bool enabled = true;              // management.listener.http = off turns it off
  std::string address = "0.0.0.0";  // management.listener.http = [ip:]port
  std::uint16_t port = 8080;
  std::string app_id = "admin";         // management.default_application.id
  std::string app_secret = "public";    // management.default_application.secret
  std::uint64_t max_row_limit = 10000;  // management.max_row_limit: the largest _limit

  bool operator==(const ManagementSettings&) const = default;
};

// plugins.* — where the plugins' files are. plugins.etc_dir (their sections) is read while the
// files are read (config::load_settings) and not kept here.
struct PluginsSettings {
  // The plugins loaded at start-up, "name." per line, rewritten by every load and unload; while
  // it does not exist, the plugins whose section does not say `enable = off` are loaded.
  // Relative to the node's working directory, as in the seed.
  std::string loaded_file = "data/loaded_plugins";

  bool operator==(const PluginsSettings&) const = default;
};

struct Settings {
  NodeSettings node;
  // tcp:external on 0.0.0.0:1883, tcp:internal on 127.0.0.1:11883, ssl:external on 8883,
  // ws:external on 8083 and wss:external on 8084; ordered by kind (tcp, ssl, ws, wss), then name.
  std::vector<ListenerSettings> listeners{ListenerSettings{}, internal_listener_defaults(),
                                          ssl_listener_defaults(), ws_listener_defaults(),
                                          wss_listener_defaults()};
  PskSettings psk;
  MqttSettings mqtt;
  // Always holds "external" and "internal", and every zone a listener names.
  std::map<std::string, ZoneSettings> zones{{"external", {}},
                                            {"internal", internal_zone_defaults()}};
  BrokerSettings broker;
  RetainerSettings retainer;
  LogSettings log;
  bool allow_anonymous = true;  // allow_anonymous
  AclSettings acl;
  BuiltinAuthSettings auth;
  FlappingPolicy flapping;
  ModuleSettings modules;
  ManagementSettings management;
  OsMonitorSettings os_mon;
  PluginsSettings plugins;
  // Keys the seed documents that this build accepts but does not act on yet ("file:line key").
  // Keys of sections owned by plugins (see config::SectionSpec), in the order they apply.
  std::vector<RawEntry> section_entries;
  std::vector<std::string> ignored_keys;

  // The zone a listener names; load_settings() makes sure it exists.
  const ZoneSettings& zone(const std::string& name) const { return zones.at(name); }

  bool operator==(const Settings&) const = default;
};

}  // namespace gatemq::config
