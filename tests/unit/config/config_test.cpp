// The loader: defaults, the shipped etc/gatemq.conf, keys of every section, custom listeners
// and zones, environment overrides, ignored seed keys, and the wording of every error.
#include "core/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace gatemq::config {
namespace {

using namespace std::chrono_literals;

Settings parse(std::string_view text, const Environment& environment = {}) {
  return parse_settings(text, "test.conf", environment);
}

// The listeners of one kind (tcp, ssl, ws, wss), in order.
std::vector<ListenerSettings> of_kind(const Settings& settings, std::string_view kind) {
  std::vector<ListenerSettings> listeners;
  for (const auto& listener : settings.listeners) {
    if (listener.kind == kind) listeners.push_back(listener);
  }
  return listeners;
}

std::string error_of(std::string_view text, const Environment& environment = {}) {
  try {
    parse(text, environment);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, DefaultsWithoutAFileAreTheSeedDefaults) {
  const auto settings = load_settings(std::nullopt, {});
  EXPECT_TRUE(settings == Settings{}) << "the struct defaults are the loaded defaults";
  EXPECT_EQ(settings.node.name, "gatemq@127.0.0.1");
  EXPECT_EQ(settings.node.workers, 0u);
  EXPECT_EQ(settings.node.max_clients, 1024000u);
  ASSERT_EQ(of_kind(settings, "tcp").size(), 2u);
  const auto internal = of_kind(settings, "tcp")[1];
  EXPECT_EQ(internal.name, "internal");
  EXPECT_EQ(internal.bind_address, "127.0.0.1");
  EXPECT_EQ(internal.port, 11883);
  EXPECT_EQ(internal.acceptors, 4u);
  EXPECT_EQ(internal.max_connections, 1024000u);
  EXPECT_EQ(internal.zone, "internal");
  EXPECT_EQ(internal.access_rules, std::vector<std::string>{"allow all"});
  const auto listener = of_kind(settings, "tcp")[0];
  EXPECT_EQ(listener.name, "external");
  EXPECT_EQ(listener.bind_address, "0.0.0.0");
  EXPECT_EQ(listener.port, 1883);
  EXPECT_EQ(listener.acceptors, 8u);
  EXPECT_EQ(listener.max_connections, 1024000u);
  EXPECT_EQ(listener.max_conn_rate, 1000u);
  EXPECT_EQ(listener.zone, "external");
  EXPECT_EQ(listener.backlog, 1024);
  EXPECT_EQ(listener.send_timeout, 15s);
  EXPECT_TRUE(listener.send_timeout_close);
  EXPECT_TRUE(listener.nodelay);
  EXPECT_TRUE(listener.reuseaddr);
  EXPECT_FALSE(listener.recbuf.has_value());
  EXPECT_EQ(listener.access_rules, std::vector<std::string>{"allow all"});
  EXPECT_EQ(settings.mqtt.max_packet_size, 1024u * 1024);
  EXPECT_EQ(settings.mqtt.max_clientid_len, 65535u);
  EXPECT_EQ(settings.mqtt.max_topic_levels, 0u);
  EXPECT_EQ(settings.mqtt.max_qos_allowed, 2);
  EXPECT_EQ(settings.mqtt.max_topic_alias, 0);
  EXPECT_TRUE(settings.mqtt.retain_available);
  EXPECT_TRUE(settings.mqtt.wildcard_subscription);
  EXPECT_TRUE(settings.mqtt.shared_subscription);
  EXPECT_FALSE(settings.mqtt.ignore_loop_deliver);
  const auto& zone = settings.zone("external");
  EXPECT_EQ(zone.idle_timeout, 15s);
  EXPECT_TRUE(zone.enable_ban);
  EXPECT_TRUE(zone.enable_acl);
  EXPECT_TRUE(zone.enable_stats);
  EXPECT_DOUBLE_EQ(zone.keepalive_backoff, 0.75);
  EXPECT_EQ(zone.max_subscriptions, 0u);
  EXPECT_FALSE(zone.upgrade_qos);
  EXPECT_EQ(zone.max_inflight, 32);
  EXPECT_EQ(zone.retry_interval, 20s);
  EXPECT_EQ(zone.max_awaiting_rel, 100u);
  EXPECT_EQ(zone.await_rel_timeout, 300s);
  EXPECT_EQ(zone.session_expiry_interval, 2h);
  EXPECT_EQ(zone.max_mqueue_len, 1000u);
  EXPECT_TRUE(zone.mqueue_store_qos0);
  EXPECT_TRUE(zone.mqueue_priorities.empty());
  EXPECT_EQ(zone.mqtt, settings.mqtt);
  EXPECT_FALSE(settings.zone("internal").enable_acl);
  EXPECT_TRUE(settings.zone("internal").enable_stats);
  EXPECT_EQ(settings.broker.sys_interval, 1min);
  EXPECT_EQ(settings.broker.session_locking_strategy, "quorum");
  EXPECT_EQ(settings.broker.shared_subscription_strategy, "random");
  EXPECT_FALSE(settings.broker.shared_dispatch_ack_enabled);
  EXPECT_TRUE(settings.broker.route_batch_clean);
  EXPECT_EQ(settings.retainer.storage_type, "ram");
  EXPECT_EQ(settings.retainer.max_retained_messages, 0u);
  EXPECT_EQ(settings.retainer.max_payload_size, 1024u * 1024);
  EXPECT_EQ(settings.retainer.expiry_interval, 0s);
  EXPECT_EQ(settings.log.to, "both");
  EXPECT_EQ(settings.log.level, "error");
  EXPECT_EQ(settings.log.dir, "log");
  EXPECT_EQ(settings.log.rotation_size, 10u * 1024 * 1024);
  EXPECT_EQ(settings.log.rotation_count, 5u);
  EXPECT_TRUE(settings.allow_anonymous);
  EXPECT_TRUE(settings.ignored_keys.empty());
}

TEST(Config, ShippedConfigEqualsTheDefaults) {
  const auto from_file =
      load_settings(std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/gatemq.conf", {});
  EXPECT_EQ(from_file.ignored_keys, std::vector<std::string>{});
  const auto defaults = load_settings(std::nullopt, {});
  EXPECT_EQ(from_file.node, defaults.node);
  EXPECT_EQ(from_file.listeners, defaults.listeners);
  EXPECT_EQ(from_file.mqtt, defaults.mqtt);
  EXPECT_EQ(from_file.zone("external"), defaults.zone("external"));
  EXPECT_EQ(from_file.zone("internal"), defaults.zone("internal"));
  EXPECT_EQ(from_file.broker, defaults.broker);
  EXPECT_EQ(from_file.retainer, defaults.retainer);
  EXPECT_EQ(from_file.log, defaults.log);
  EXPECT_TRUE(from_file == defaults);
}

TEST(Config, ShippedConfigLoadsWithEveryCommentedKeyEnabled) {
  // Uncommenting any example line of etc/gatemq.conf must give a loadable file.
  std::ifstream input(std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/gatemq.conf");
  std::string text, line;
  int examples = 0;
  while (std::getline(input, line)) {
    const auto equals = line.find(" = ");
    const auto key = equals == std::string::npos ? "" : line.substr(3, equals - 3);
    const bool is_key = !key.empty() && std::ranges::all_of(key, [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
    if (line.starts_with("## ") && is_key && key.find('.') != std::string::npos) {
      line = line.substr(3);
      ++examples;
    }
    text += line + "\n";
  }
  EXPECT_GE(examples, 15);
  const auto settings = parse(text);
  EXPECT_EQ(settings.ignored_keys, std::vector<std::string>{});
  EXPECT_EQ(of_kind(settings, "tcp").size(), 2u);
  EXPECT_EQ(of_kind(settings, "tcp").at(0).recbuf, 2048u);
}

TEST(Config, EverySectionIsRead) {
  const auto settings = parse(
      "node.name = edge@10.0.0.2\n"
      "node.workers = 3\n"
      "node.max_clients = 10\n"
      "allow_anonymous = false\n"
      "zone.external.idle_timeout = 500ms\n"
      "zone.external.retry_interval = 2m\n"
      "zone.external.await_rel_timeout = 1h\n"
      "zone.external.session_expiry_interval = 1d\n"
      "zone.external.server_keepalive = 30\n"
      "zone.external.mqueue_default_priority = highest\n"
      "zone.external.mountpoint = ext/\n"
      "broker.sys_interval = 30\n"
      "broker.sys_heartbeat = 10s\n"
      "broker.shared_subscription_strategy = round_robin\n"
      "broker.route_batch_clean = off\n"
      "mqtt.max_packet_size = 64KB\n"
      "mqtt.strict_mode = true\n"
      "retainer.max_retained_messages = 100\n"
      "retainer.max_payload_size = 2mb\n"
      "retainer.expiry_interval = 60m\n"
      "log.to = console\n"
      "log.level = debug\n"
      "log.rotation.size = 1GB\n"
      "log.rotation.count = 2\n"
      "listener.tcp.external.recbuf = 512B\n"
      "listener.tcp.external.sndbuf = 4096\n"
      "listener.tcp.external.buffer = 4KB\n"
      "listener.tcp.external.max_clients = 7\n"
      "listener.tcp.external.send_timeout_close = off\n"
      "mqtt.allow_anonymous = on\n");
  EXPECT_EQ(settings.node.name, "edge@10.0.0.2");
  EXPECT_EQ(settings.node.workers, 3u);
  EXPECT_EQ(settings.node.max_clients, 10u);
  const auto& zone = settings.zone("external");
  EXPECT_EQ(zone.idle_timeout, 500ms);
  EXPECT_EQ(zone.retry_interval, 2min);
  EXPECT_EQ(zone.await_rel_timeout, 1h);
  EXPECT_EQ(zone.session_expiry_interval, 24h);
  EXPECT_EQ(zone.server_keepalive, 30);
  EXPECT_EQ(zone.mqueue_default_priority, "highest");
  EXPECT_EQ(zone.mountpoint, "ext/");
  EXPECT_EQ(settings.broker.sys_interval, 30s);
  EXPECT_EQ(settings.broker.sys_heartbeat, 10s);
  EXPECT_EQ(settings.broker.shared_subscription_strategy, "round_robin");
  EXPECT_FALSE(settings.broker.route_batch_clean);
  EXPECT_EQ(settings.mqtt.max_packet_size, 64u * 1024);
  EXPECT_EQ(zone.mqtt.max_packet_size, 64u * 1024) << "zones inherit mqtt.*";
  EXPECT_TRUE(zone.mqtt.strict_mode);
  EXPECT_EQ(settings.retainer.max_retained_messages, 100u);
  EXPECT_EQ(settings.retainer.max_payload_size, 2u * 1024 * 1024);
  EXPECT_EQ(settings.retainer.expiry_interval, 1h);
  EXPECT_EQ(settings.log.to, "console");
  EXPECT_EQ(settings.log.level, "debug");
  EXPECT_EQ(settings.log.rotation_size, 1024ull * 1024 * 1024);
  EXPECT_EQ(settings.log.rotation_count, 2u);
  const auto listener = of_kind(settings, "tcp").at(0);
  EXPECT_EQ(listener.recbuf, 512u);
  EXPECT_EQ(listener.sndbuf, 4096u);
  EXPECT_EQ(listener.buffer, 4096u);
  EXPECT_EQ(listener.max_connections, 7u) << "max_clients is the seed's other spelling";
  EXPECT_FALSE(listener.send_timeout_close);
  EXPECT_TRUE(settings.allow_anonymous) << "mqtt.allow_anonymous is the seed's other spelling";
}

TEST(Config, ZoneOverridesMqttForThatZoneOnly) {
  const auto settings = parse(
      "zone.external.max_packet_size = 1KB\n"
      "mqtt.max_packet_size = 2KB\n"
      "mqtt.ignore_loop_deliver = true\n"
      "zone.internal.ignore_loop_deliver = false\n"
      "zone.external.mqueue_priorities = topic/1=10,topic/2=8\n");
  EXPECT_EQ(settings.zone("external").mqtt.max_packet_size, 1024u);
  EXPECT_EQ(settings.zone("internal").mqtt.max_packet_size, 2048u) << "mqtt.* applies in any order";
  EXPECT_TRUE(settings.zone("external").mqtt.ignore_loop_deliver);
  EXPECT_TRUE(settings.zone("external").ignore_loop_deliver);
  EXPECT_FALSE(settings.zone("internal").mqtt.ignore_loop_deliver);
  EXPECT_FALSE(settings.zone("internal").ignore_loop_deliver);
  const std::vector<std::pair<std::string, int>> priorities{{"topic/1", 10}, {"topic/2", 8}};
  EXPECT_EQ(settings.zone("external").mqueue_priorities, priorities);
}

TEST(Config, CustomListenersAndZones) {
  const auto settings = parse(
      "listener.tcp.devices = 127.0.0.1:2883\n"
      "listener.tcp.devices.zone = sensors\n"
      "listener.tcp.devices.mountpoint = dev/%c/\n"
      "listener.tcp.devices.acceptors = 2\n"
      "listener.tcp.devices.access.2 = allow all\n"
      "listener.tcp.devices.access.1 = deny 10.0.0.0/8\n"
      "zone.sensors.max_inflight = 4\n"
      "zone.sensors.max_clientid_len = 23\n"
      "listener.tcp.internal = 127.0.0.1:11883\n"
      "listener.tcp.internal.zone = internal\n"
      "listener.tcp.v6 = [::1]:2884\n"
      "listener.tcp.v6.zone = spare\n"
      "listener.tcp.external = off\n");
  ASSERT_EQ(of_kind(settings, "tcp").size(), 3u);
  const auto devices = of_kind(settings, "tcp")[0];
  EXPECT_EQ(devices.name, "devices");
  EXPECT_EQ(devices.bind_address, "127.0.0.1");
  EXPECT_EQ(devices.port, 2883);
  EXPECT_EQ(devices.acceptors, 2u);
  EXPECT_EQ(devices.zone, "sensors");
  EXPECT_EQ(devices.mountpoint, "dev/%c/");
  EXPECT_EQ(devices.access_rules, (std::vector<std::string>{"deny 10.0.0.0/8", "allow all"}));
  EXPECT_EQ(of_kind(settings, "tcp")[1].name, "internal");
  EXPECT_EQ(of_kind(settings, "tcp")[1].port, 11883);
  EXPECT_EQ(of_kind(settings, "tcp")[2].bind_address, "::1");
  EXPECT_EQ(settings.zone("sensors").max_inflight, 4);
  EXPECT_EQ(settings.zone("sensors").mqtt.max_clientid_len, 23u);
  EXPECT_EQ(settings.zone("sensors").idle_timeout, 15s) << "unset zone keys keep the defaults";
  EXPECT_TRUE(settings.zone("sensors").enable_acl);
  EXPECT_TRUE(settings.zone("spare") == settings.zone("external")) << "named, never set";
  EXPECT_TRUE(settings.zones.contains("external")) << "always present";
}

TEST(Config, LaterDuplicatesWin) {
  const auto settings = parse(
      "listener.tcp.external = 1884\n"
      "listener.tcp.external = 127.0.0.1:1885\n"
      "zone.external.max_inflight = 1\n"
      "zone.external.max_inflight = 2\n"
      "listener.tcp.external = off\n"
      "listener.tcp.external = 1886\n");
  EXPECT_EQ(settings.zone("external").max_inflight, 2);
  ASSERT_EQ(of_kind(settings, "tcp").size(), 2u);
  EXPECT_EQ(of_kind(settings, "tcp")[0].bind_address, "0.0.0.0");
  EXPECT_EQ(of_kind(settings, "tcp")[0].port, 1886);
}

TEST(Config, TheBuiltInListenersCanBeChangedOrRemoved) {
  auto settings = parse("listener.tcp.internal.acceptors = 2\nlistener.tcp.external = off\n");
  ASSERT_EQ(of_kind(settings, "tcp").size(), 1u);
  EXPECT_EQ(of_kind(settings, "tcp")[0].name, "internal");
  EXPECT_EQ(of_kind(settings, "tcp")[0].port, 11883) << "sub-keys need no address line";
  EXPECT_EQ(of_kind(settings, "tcp")[0].acceptors, 2u);
  settings = parse("listener.tcp.internal = off\nlistener.tcp.internal.backlog = 10\n");
  ASSERT_EQ(of_kind(settings, "tcp").size(), 1u);
  EXPECT_EQ(of_kind(settings, "tcp")[0].name, "external");
  settings = parse("listener.tcp.internal = off\nlistener.tcp.internal = 1999\n");
  ASSERT_EQ(of_kind(settings, "tcp").size(), 2u);
  EXPECT_EQ(of_kind(settings, "tcp")[1].bind_address, "0.0.0.0");
  EXPECT_EQ(of_kind(settings, "tcp")[1].port, 1999);
  EXPECT_EQ(of_kind(settings, "tcp")[1].zone, "internal") << "only the address changed";
  settings = parse("listener.tcp.external.access.1 = deny all\n");
  EXPECT_EQ(of_kind(settings, "tcp")[0].access_rules, std::vector<std::string>{"deny all"});
}

TEST(Config, TlsAndWebSocketListenersOnByDefaultAsInTheSeed) {
  const auto settings = load_settings(std::nullopt, {});
  const auto ssl = of_kind(settings, "ssl");
  ASSERT_EQ(ssl.size(), 1u);
  EXPECT_EQ(ssl[0].name, "external");
  EXPECT_EQ(ssl[0].port, 8883);
  EXPECT_EQ(ssl[0].acceptors, 16u);
  EXPECT_EQ(ssl[0].max_connections, 102400u);
  EXPECT_EQ(ssl[0].max_conn_rate, 500u);
  ASSERT_TRUE(ssl[0].tls.has_value());
  EXPECT_FALSE(ssl[0].websocket.has_value());
  EXPECT_EQ(ssl[0].tls->certfile, "etc/certs/cert.pem");
  EXPECT_EQ(ssl[0].tls->keyfile, "etc/certs/key.pem");
  EXPECT_EQ(ssl[0].tls->cacertfile, "");
  EXPECT_FALSE(ssl[0].tls->verify_peer);
  EXPECT_EQ(ssl[0].tls->handshake_timeout, 15s);
  EXPECT_EQ(ssl[0].tls->ciphers.size(), 37u) << "the seed's list";
  EXPECT_EQ(ssl[0].tls->tls_versions, std::vector<std::string>{"tlsv1.2"});
  const auto ws = of_kind(settings, "ws");
  ASSERT_EQ(ws.size(), 1u);
  EXPECT_EQ(ws[0].port, 8083);
  ASSERT_TRUE(ws[0].websocket.has_value());
  EXPECT_FALSE(ws[0].tls.has_value());
  EXPECT_EQ(ws[0].websocket->mqtt_path, "/mqtt");
  EXPECT_TRUE(ws[0].websocket->verify_protocol_header);
  const auto wss = of_kind(settings, "wss");
  ASSERT_EQ(wss.size(), 1u);
  EXPECT_EQ(wss[0].port, 8084);
  EXPECT_EQ(wss[0].max_connections, 16u);
  EXPECT_TRUE(wss[0].websocket.has_value() && wss[0].tls.has_value());
  EXPECT_TRUE(settings.psk.file.empty()) << "PSK is off until psk.file.path is set";
}

TEST(Config, TlsWebSocketAndProxyKeys) {
  const auto settings = parse(
      "listener.ssl.devices = 127.0.0.1:8885\n"
      "listener.ssl.devices.keyfile = k.pem\n"
      "listener.ssl.devices.certfile = c.pem\n"
      "listener.ssl.devices.cacertfile = ca.pem\n"
      "listener.ssl.devices.verify = verify_peer\n"
      "listener.ssl.devices.fail_if_no_peer_cert = true\n"
      "listener.ssl.devices.tls_versions = tlsv1.2, tlsv1.1\n"
      "listener.ssl.devices.handshake_timeout = 2s\n"
      "listener.ssl.devices.ciphers = ECDHE-ECDSA-AES128-GCM-SHA256\n"
      "listener.ssl.devices.psk_ciphers = PSK-AES128-CBC-SHA,PSK-AES256-CBC-SHA\n"
      "listener.ssl.devices.peer_cert_as_username = cn\n"
      "listener.ssl.devices.peer_cert_as_clientid = dn\n"
      "listener.ssl.devices.proxy_protocol = on\n"
      "listener.ssl.devices.proxy_protocol_timeout = 1s\n"
      "listener.wss.external.mqtt_path = /ws\n"
      "listener.wss.external.proxy_address_header = X-Forwarded-For\n"
      "listener.wss.external.check_origin_enable = true\n"
      "listener.wss.external.allowed_origins = https://a.example, https://b.example\n"
      "listener.wss.external.max_frame_size = 64KB\n"
      "listener.wss.external.verify = verify_none\n"
      "listener.ws.external = off\n"
      "psk.file.path = etc/psk.txt\n"
      "psk.file.delimiter = ;\n");
  const auto ssl = of_kind(settings, "ssl");
  ASSERT_EQ(ssl.size(), 2u);
  const auto& devices = ssl[0];
  EXPECT_EQ(devices.name, "devices");
  EXPECT_EQ(devices.port, 8885);
  EXPECT_EQ(devices.zone, "external");
  ASSERT_TRUE(devices.tls.has_value());
  EXPECT_EQ(devices.tls->keyfile, "k.pem");
  EXPECT_EQ(devices.tls->certfile, "c.pem");
  EXPECT_EQ(devices.tls->cacertfile, "ca.pem");
  EXPECT_TRUE(devices.tls->verify_peer);
  EXPECT_TRUE(devices.tls->fail_if_no_peer_cert);
  EXPECT_EQ(devices.tls->tls_versions, (std::vector<std::string>{"tlsv1.2", "tlsv1.1"}));
  EXPECT_EQ(devices.tls->handshake_timeout, 2s);
  EXPECT_EQ(devices.tls->ciphers, std::vector<std::string>{"ECDHE-ECDSA-AES128-GCM-SHA256"});
  EXPECT_EQ(devices.tls->psk_ciphers.size(), 2u);
  EXPECT_EQ(devices.tls->peer_cert_as_username, "cn");
  EXPECT_EQ(devices.tls->peer_cert_as_clientid, "dn");
  EXPECT_TRUE(devices.proxy_protocol);
  EXPECT_EQ(devices.proxy_protocol_timeout, 1s);
  EXPECT_EQ(ssl[1].name, "external") << "the built-in one stays";
  EXPECT_TRUE(of_kind(settings, "ws").empty());
  const auto wss = of_kind(settings, "wss").at(0);
  EXPECT_EQ(wss.websocket->mqtt_path, "/ws");
  EXPECT_EQ(wss.websocket->proxy_address_header, "X-Forwarded-For");
  EXPECT_TRUE(wss.websocket->check_origin_enable);
  EXPECT_EQ(wss.websocket->allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(wss.websocket->max_frame_size, 64u * 1024);
  EXPECT_FALSE(wss.tls->verify_peer);
  EXPECT_EQ(wss.tls->certfile, "etc/certs/cert.pem") << "unset keys keep the defaults";
  EXPECT_EQ(settings.psk.file, "etc/psk.txt");
  EXPECT_EQ(settings.psk.delimiter, ";");

  EXPECT_EQ(error_of("listener.ws.external.keyfile = k.pem\n"),
            "test.conf:1: unknown key 'listener.ws.external.keyfile'")
      << "TLS keys belong to ssl and wss listeners";
  EXPECT_EQ(error_of("listener.ssl.external.mqtt_path = /x\n"),
            "test.conf:1: unknown key 'listener.ssl.external.mqtt_path'");
  EXPECT_EQ(error_of("listener.ssl.external.verify = maybe\n"),
            "test.conf:1: listener.ssl.external.verify: 'maybe' is not one of: verify_peer "
            "verify_none");
  EXPECT_EQ(error_of("listener.ssl.external.tls_versions = tlsv1.2,sslv3\n"),
            "test.conf:1: listener.ssl.external.tls_versions: 'tlsv1.2,sslv3' is not one of: "
            "tlsv1.3 tlsv1.2 tlsv1.1 tlsv1");
  EXPECT_EQ(error_of("listener.ws.external.mqtt_path = mqtt\n"),
            "test.conf:1: listener.ws.external.mqtt_path: 'mqtt' is not a path starting with /");
  EXPECT_EQ(error_of("listener.wss.external.certfiel = x\n"),
            "test.conf:1: unknown key 'listener.wss.external.certfiel' (did you mean "
            "'listener.wss.external.certfile'?)");
  EXPECT_EQ(error_of("listener.ssl.sensors.keyfile = k.pem\n"),
            "test.conf:1: listener.ssl.sensors has settings but no address "
            "(listener.ssl.sensors = <port>)");
}

TEST(Config, AclAndBuiltinAuthKeys) {
  const auto defaults = parse("");
  EXPECT_EQ(defaults.acl.file, "etc/acl.conf");
  EXPECT_TRUE(defaults.acl.nomatch_allows);
  EXPECT_TRUE(defaults.acl.cache);
  EXPECT_EQ(defaults.acl.cache_max_size, 32u);
  EXPECT_EQ(defaults.acl.cache_ttl, 1min);
  EXPECT_FALSE(defaults.acl.deny_disconnects);
  EXPECT_FALSE(defaults.acl.subscribe_match_overlap);
  EXPECT_EQ(defaults.auth.user_password_hash, "sha256");
  EXPECT_TRUE(defaults.auth.users.empty());
  const auto settings = parse(
      "acl_file = /etc/gatemq/acl.conf\n"
      "acl_nomatch = deny\n"
      "enable_acl_cache = off\n"
      "acl_cache_max_size = 64\n"
      "acl_cache_ttl = 30s\n"
      "acl_deny_action = disconnect\n"
      "acl_subscribe_match = overlap\n"
      "auth.user.password_hash = plain\n"
      "auth.user.2.username = second\n"
      "auth.user.2.password = two\n"
      "auth.user.1.username = admin\n"
      "auth.user.1.password = public\n"
      "auth.user.1.salt = NaCl\n"
      "auth.client.password_hash = bcrypt\n"
      "auth.client.1.clientid = dev:devid\n"
      "auth.client.1.password = passwd\n"
      "auth.mysql.server = 127.0.0.1:3306\n");
  EXPECT_EQ(settings.acl.file, "/etc/gatemq/acl.conf");
  EXPECT_FALSE(settings.acl.nomatch_allows);
  EXPECT_FALSE(settings.acl.cache);
  EXPECT_EQ(settings.acl.cache_max_size, 64u);
  EXPECT_EQ(settings.acl.cache_ttl, 30s);
  EXPECT_TRUE(settings.acl.deny_disconnects);
  EXPECT_TRUE(settings.acl.subscribe_match_overlap);
  EXPECT_EQ(settings.auth.user_password_hash, "plain");
  EXPECT_EQ(settings.auth.users,
            (std::vector<Credential>{{"admin", "public", "NaCl"}, {"second", "two", ""}}))
      << "in N order";
  EXPECT_EQ(settings.auth.client_password_hash, "bcrypt");
  EXPECT_EQ(settings.auth.clients, (std::vector<Credential>{{"dev:devid", "passwd", ""}}));
  EXPECT_EQ(settings.ignored_keys, std::vector<std::string>{"test.conf:17 auth.mysql.server"});
  EXPECT_EQ(error_of("acl_nomatch = maybe\n"),
            "test.conf:1: acl_nomatch: 'maybe' is not one of: allow deny");
  EXPECT_EQ(error_of("auth.user.1.user = x\n"),
            "test.conf:1: unknown key 'auth.user.1.user' (expected auth.user.<N>.username, "
            ".password or .salt)");
}

TEST(Config, CommentsBlankLinesAndWhitespace) {
  const auto settings = parse(
      "# a comment = not a key\n"
      "   ## indented comment\n"
      "\n"
      "\t\n"
      "  zone.external.idle_timeout   =   30s  \r\n"
      "zone.external.mountpoint=a/#/\n"
      "node.name = gatemq@host");
  EXPECT_EQ(settings.zone("external").idle_timeout, 30s);
  EXPECT_EQ(settings.zone("external").mountpoint, "a/#/") << "'#' mid-line is not a comment";
  EXPECT_EQ(settings.node.name, "gatemq@host") << "the last line needs no newline";
}

TEST(Config, EnvironmentOverridesTheFile) {
  const auto settings = parse("zone.external.idle_timeout = 10s\nnode.name = a@b\n",
                              {{"GATEMQ_ZONE__EXTERNAL__IDLE_TIMEOUT", "30s"},
                               {"GATEMQ_LISTENER__TCP__EXTERNAL", "1884"},
                               {"GATEMQ_LISTENER__TCP__EXTRA", "127.0.0.1:1999"},
                               {"GATEMQ_ZONE__SENSORS__MAX_INFLIGHT", "3"},
                               {"GATEMQ_LOG__ROTATION__COUNT", "9"},
                               {"GATEMQ_ALLOW_ANONYMOUS", "off"},
                               {"GATEMQ_ACL_FILE", "etc/my-acl.conf"},
                               {"GATEMQ_FLAPPING_DETECT_POLICY", "3,1m,5m"},
                               {"GATEMQ_CLUSTER__NAME", "edge"},
                               {"GATEMQ_BIN", "/not/a/key"},
                               {"GATEMQ_E2E_TARGET", "mosquitto"},
                               {"OTHER__VARIABLE", "x"}});
  EXPECT_EQ(settings.zone("external").idle_timeout, 30s);
  ASSERT_EQ(of_kind(settings, "tcp").size(), 3u);
  EXPECT_EQ(of_kind(settings, "tcp")[0].name, "external");
  EXPECT_EQ(of_kind(settings, "tcp")[0].port, 1884);
  EXPECT_EQ(of_kind(settings, "tcp")[1].name, "extra");
  EXPECT_EQ(of_kind(settings, "tcp")[1].port, 1999);
  EXPECT_EQ(settings.zone("sensors").max_inflight, 3);
  EXPECT_EQ(settings.log.rotation_count, 9u);
  EXPECT_EQ(settings.node.name, "a@b");
  EXPECT_FALSE(settings.allow_anonymous) << "top-level keys need no __";
  EXPECT_EQ(settings.acl.file, "etc/my-acl.conf");
  EXPECT_EQ(settings.flapping.threshold, 3u);
  EXPECT_EQ(settings.zone("sensors").flapping_threshold, 3u) << "the policy gives zone defaults";
  EXPECT_EQ(settings.ignored_keys,
            std::vector<std::string>{"environment GATEMQ_CLUSTER__NAME cluster.name"});
}

TEST(Config, EnvironmentAppliesWithoutAFileAndFromTheProcess) {
  ::setenv("GATEMQ_MQTT__MAX_QOS_ALLOWED", "1", 1);
  const auto environment = process_environment();
  ::unsetenv("GATEMQ_MQTT__MAX_QOS_ALLOWED");
  EXPECT_EQ(environment.at("GATEMQ_MQTT__MAX_QOS_ALLOWED"), "1");
  for (const auto& [name, value] : environment) EXPECT_TRUE(name.starts_with("GATEMQ_")) << name;
  const auto settings = load_settings(std::nullopt, {{"GATEMQ_MQTT__MAX_QOS_ALLOWED", "1"}});
  EXPECT_EQ(settings.mqtt.max_qos_allowed, 1);
  EXPECT_EQ(settings.zone("internal").mqtt.max_qos_allowed, 1);
}

TEST(Config, BadValuesNameTheKeyTheValueAndWhatWasExpected) {
  EXPECT_EQ(error_of("# comment\n\nzone.external.idle_timeout = 15x\n"),
            "test.conf:3: zone.external.idle_timeout: '15x' is not a duration such as 500ms, "
            "15s, 2m, 1h or 1d");
  EXPECT_EQ(error_of("mqtt.max_qos_allowed = 3\n"),
            "test.conf:1: mqtt.max_qos_allowed: '3' is not a whole number from 0 to 2");
  EXPECT_EQ(error_of("\n\n\n\nzone.external.upgrade_qos = maybe\n"),
            "test.conf:5: zone.external.upgrade_qos: 'maybe' is not on/off or true/false");
  EXPECT_EQ(error_of("listener.tcp.external = 70000\n"),
            "test.conf:1: listener.tcp.external: '70000' is not a port or ip:port, e.g. 1883 or "
            "0.0.0.0:1883 or [::]:1883");
  EXPECT_EQ(error_of("mqtt.max_packet_size = 1TB\n"),
            "test.conf:1: mqtt.max_packet_size: '1TB' is not a size such as 512B, 64KB, 1MB or "
            "2GB");
  EXPECT_EQ(error_of("mqtt.max_packet_size = 8\n"),
            "test.conf:1: mqtt.max_packet_size: '8' is not a size from 16B to 256MB");
  EXPECT_EQ(error_of("log.level = loud\n"),
            "test.conf:1: log.level: 'loud' is not one of: debug info notice warning error "
            "critical alert emergency");
  EXPECT_EQ(error_of("retainer.storage_type = disc\n"),
            "test.conf:1: retainer.storage_type: 'disc' is not one of: ram");
  EXPECT_EQ(error_of("zone.z.max_inflight = 1\nzone.z.keepalive_backoff = -1\n"),
            "test.conf:2: zone.z.keepalive_backoff: '-1' is not a positive decimal number such "
            "as 0.75");
  EXPECT_EQ(error_of("listener.tcp.external.zone = my zone\n"),
            "test.conf:1: listener.tcp.external.zone: 'my zone' is not a name of letters, "
            "digits, '_' and '-'");
  EXPECT_EQ(error_of("", {{"GATEMQ_MQTT__MAX_QOS_ALLOWED", "7"}}),
            "environment GATEMQ_MQTT__MAX_QOS_ALLOWED: mqtt.max_qos_allowed: '7' is not a whole "
            "number from 0 to 2");
}

TEST(Config, MalformedLinesAndListeners) {
  EXPECT_EQ(error_of("\njust text\n"), "test.conf:2: expected 'key = value', got 'just text'");
  EXPECT_EQ(error_of(" = 3\n"), "test.conf:1: missing key before '='");
  EXPECT_EQ(error_of("listener.tcp.lonely.zone = external\n"),
            "test.conf:1: listener.tcp.lonely has settings but no address (listener.tcp.lonely = "
            "<port>)");
  EXPECT_EQ(error_of("listener.tcp.externl.acceptors = 4\n"),
            "test.conf:1: listener.tcp.externl has settings but no address (listener.tcp.externl "
            "= <port>) (did you mean 'listener.tcp.external'?)");
  EXPECT_EQ(error_of("listener.tcp.external.access.first = allow all\n"),
            "test.conf:1: unknown key 'listener.tcp.external.access.first' (access rules are "
            "numbered: listener.tcp.external.access.1)");
  EXPECT_EQ(error_of("zone.a.b.idle_timeout = 1s\n"),
            "test.conf:1: unknown key 'zone.a.b.idle_timeout' (did you mean "
            "'zone.a.idle_timeout'?)");
  EXPECT_EQ(error_of("zone..idle_timeout = 1s\n"),
            "test.conf:1: zone..idle_timeout: '' is not a name of letters, digits, '_' and '-'");
}

TEST(Config, UnknownKeysAreErrorsWithASuggestion) {
  EXPECT_EQ(error_of("zone.external.idle_timout = 15s\n"),
            "test.conf:1: unknown key 'zone.external.idle_timout' (did you mean "
            "'zone.external.idle_timeout'?)");
  EXPECT_EQ(error_of("zone.sensors.max_inflght = 4\n"),
            "test.conf:1: unknown key 'zone.sensors.max_inflght' (did you mean "
            "'zone.sensors.max_inflight'?)");
  EXPECT_EQ(error_of("listener.tcp.devices.acceptor = 4\n"),
            "test.conf:1: unknown key 'listener.tcp.devices.acceptor' (did you mean "
            "'listener.tcp.devices.acceptors'?)");
  EXPECT_EQ(
      error_of("mqtt.max_paket_size = 1MB\n"),
      "test.conf:1: unknown key 'mqtt.max_paket_size' (did you mean 'mqtt.max_packet_size'?)");
  EXPECT_EQ(error_of("node.nmae = x\n"),
            "test.conf:1: unknown key 'node.nmae' (did you mean 'node.name'?)");
  EXPECT_EQ(error_of("broker.sys_intervall = 1m\n"),
            "test.conf:1: unknown key 'broker.sys_intervall' (did you mean "
            "'broker.sys_interval'?)");
  EXPECT_EQ(error_of("retainer.max_payload = 1MB\n"),
            "test.conf:1: unknown key 'retainer.max_payload' (did you mean "
            "'retainer.max_payload_size'?)");
  EXPECT_EQ(error_of("log.levle = info\n"),
            "test.conf:1: unknown key 'log.levle' (did you mean 'log.level'?)");
  EXPECT_EQ(error_of("completely.unknown = 1\n"), "test.conf:1: unknown key 'completely.unknown'");
  EXPECT_EQ(error_of("", {{"GATEMQ_NODE__NAMES", "x"}}),
            "environment GATEMQ_NODE__NAMES: unknown key 'node.names' (did you mean "
            "'node.name'?)");
}

TEST(Config, SeedKeysNotImplementedYetAreReportedNotFatal) {
  const auto settings = parse(
      "listener.ws.external.compress = true\n"
      "listener.wss.external.deflate_opts.level = default\n"
      "cluster.name = emqxcl\n"
      "node.cookie = secret\n"
      "node.process_limit = 2048000\n"
      "node.dist_listen_min = 6369\n"
      "log.info.file = info.log\n"
      "broker.enable_session_registry = on\n"
      "auth.mysql.password_hash = sha256\n"
      "coap.port = 5683\n"
      "zone.external.quota = on\n"
      "zone.internal.force_gc_policy = 16000|16MB\n"
      "zone.external.mqueue_type = simple\n"
      "listener.ssl.external.secure_renegotiate = off\n"
      "listener.tcp.external.tune_buffer = off\n",
      {{"GATEMQ_RPC__MODE", "async"}});
  ASSERT_EQ(settings.ignored_keys.size(), 16u);
  EXPECT_EQ(settings.ignored_keys[0], "test.conf:1 listener.ws.external.compress");
  EXPECT_EQ(settings.ignored_keys[6], "test.conf:7 log.info.file");
  EXPECT_EQ(settings.ignored_keys[15], "environment GATEMQ_RPC__MODE rpc.mode");
  auto without_ignored = settings;
  without_ignored.ignored_keys.clear();
  EXPECT_TRUE(without_ignored == Settings{}) << "ignored keys change nothing";
  EXPECT_EQ(error_of("log.loud.file = x\n"), "test.conf:1: unknown key 'log.loud.file'");
}

TEST(Config, Files) {
  try {
    load_settings(std::filesystem::path("/nonexistent/gatemq.conf"), {});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/gatemq.conf: cannot open: No such file or directory");
  }
  const auto directory = std::filesystem::temp_directory_path();
  try {
    load_settings(directory, {});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), directory.string() + ": cannot open: Is a directory");
  }
  const auto path = directory / ("gatemq_config_test_" + std::to_string(::getpid()) + ".conf");
  std::ofstream(path) << "# test\nnode.workers = 2\nzone.external.max_inflight = x\n";
  try {
    load_settings(path, {});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() +
                                         ":3: zone.external.max_inflight: 'x' is not a whole "
                                         "number from 0 to 65535");
  }
  std::ofstream(path) << "node.workers = 2\n";
  EXPECT_EQ(load_settings(path, {{"GATEMQ_NODE__WORKERS", "4"}}).node.workers, 4u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace gatemq::config

namespace gatemq::config {
namespace {

class ConfigSections : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("gatemq-sections-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "plugins");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(dir_ / path) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigSections, GatewayKeysFromItsFileTheMainFileAndTheEnvironment) {
  write("plugins/emqx_tcp.conf", "tcp.proto.up_topic = from/file\ntcp.proto.dn_topic = dn\n");
  write("main.conf", "tcp.proto.up_topic = from/main\nnode.name = n@h\n");
  const std::vector<SectionSpec> sections{{"emqx_tcp", "tcp."}};
  const auto settings =
      load_settings(dir_ / "main.conf", {{"GATEMQ_TCP__PROTO__UP_TOPIC", "from/env"}}, sections);
  std::vector<std::string> seen;
  for (const auto& entry : settings.section_entries) seen.push_back(entry.key + "=" + entry.value);
  EXPECT_EQ(seen, (std::vector<std::string>{"tcp.proto.up_topic=from/file", "tcp.proto.dn_topic=dn",
                                            "tcp.proto.up_topic=from/main",
                                            "tcp.proto.up_topic=from/env"}));
  EXPECT_EQ(settings.section_entries[0].origin,
            (dir_ / "plugins/emqx_tcp.conf").string() + ":1");
  EXPECT_EQ(settings.node.name, "n@h");
}

TEST_F(ConfigSections, EtcDirCanMoveAndForeignKeysAreRefused) {
  std::filesystem::create_directories(dir_ / "elsewhere");
  write("elsewhere/emqx_tcp.conf", "node.name = sneaky\n");
  // The seed's key, and gatemq's older name for it.
  for (const std::string key : {"plugins.etc_dir", "gateway.etc_dir"}) {
    write("main.conf", key + " = " + (dir_ / "elsewhere").string() + "\n");
    try {
      load_settings(dir_ / "main.conf", {}, {{"emqx_tcp", "tcp."}});
      FAIL() << "no error";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()), (dir_ / "elsewhere/emqx_tcp.conf").string() +
                                           ":1: 'node.name' does not belong in emqx_tcp.conf "
                                           "(its keys start with tcp.)");
    }
  }
}

TEST_F(ConfigSections, LoadedPluginsFile) {
  EXPECT_EQ(parse_settings("", "main.conf", {}).plugins.loaded_file, "data/loaded_plugins");
  EXPECT_EQ(parse_settings("plugins.loaded_file = var/plugins\n", "main.conf", {})
                .plugins.loaded_file,
            "var/plugins");
  EXPECT_THROW(parse_settings("plugins.loaded_file = \n", "main.conf", {}), ConfigError);
}

TEST_F(ConfigSections, WithoutTheGatewayItsKeysAreUnknown) {
  EXPECT_THROW(parse_settings("tcp.proto.up_topic = x\n", "main.conf", {}), ConfigError);
  EXPECT_NO_THROW(parse_settings("tcp.proto.up_topic = x\n", "main.conf", {}, {{"tcp", "tcp."}}));
}

}  // namespace
}  // namespace gatemq::config

