#include "core/config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gatemq::config {
namespace {

Settings parse(std::string_view text, const Environment& environment = {}) {
  return parse_settings(text, "test.conf", environment);
}

std::string error_of(std::string_view text, const Environment& environment = {}) {
  try {
    parse(text, environment);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, DefaultsWithoutAFile) {
  const auto settings = load_settings(std::nullopt, {});
  ASSERT_EQ(settings.tcp_listeners.size(), 1u);
  const auto& listener = settings.tcp_listeners[0];
  EXPECT_EQ(listener.name, "external");
  EXPECT_EQ(listener.bind_address, "0.0.0.0");
  EXPECT_EQ(listener.port, 1883);
  EXPECT_EQ(listener.acceptors, 8u);
  EXPECT_EQ(listener.max_connections, 1024000u);
  EXPECT_EQ(listener.max_conn_rate, 1000u);
  EXPECT_EQ(listener.access_rules, std::vector<std::string>{"allow all"});
  EXPECT_EQ(settings.mqtt.max_packet_size, 1024u * 1024);
  EXPECT_EQ(settings.mqtt.max_clientid_len, 1024u);
  EXPECT_EQ(settings.mqtt.max_topic_alias, 0);
  const auto& zone = settings.zone("external");
  EXPECT_EQ(zone.idle_timeout, std::chrono::seconds(15));
  EXPECT_DOUBLE_EQ(zone.keepalive_backoff, 0.75);
  EXPECT_EQ(zone.retry_interval, std::chrono::seconds(20));
  EXPECT_EQ(zone.session_expiry_interval, std::chrono::hours(2));
  EXPECT_EQ(zone.max_mqueue_len, 1000u);
  EXPECT_TRUE(zone.enable_acl);
  EXPECT_FALSE(settings.zone("internal").enable_acl);
  EXPECT_EQ(settings.log.level, "error");
  EXPECT_TRUE(settings.ignored_keys.empty());
}

TEST(Config, ShippedConfigEqualsTheDefaults) {
  const auto from_file =
      load_settings(std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/gatemq.conf", {});
  EXPECT_TRUE(from_file.ignored_keys.empty());
  EXPECT_TRUE(from_file == load_settings(std::nullopt, {}));
}

TEST(Config, Units) {
  const auto settings = parse(
      "zone.external.idle_timeout = 500ms\n"
      "zone.external.retry_interval = 2m\n"
      "zone.external.await_rel_timeout = 1h\n"
      "zone.external.session_expiry_interval = 1d\n"
      "broker.sys_interval = 30\n"
      "mqtt.max_packet_size = 64KB\n"
      "retainer.max_payload_size = 2mb\n"
      "log.rotation.size = 1GB\n"
      "listener.tcp.external.recbuf = 512B\n");
  const auto& zone = settings.zone("external");
  EXPECT_EQ(zone.idle_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(zone.retry_interval, std::chrono::minutes(2));
  EXPECT_EQ(zone.await_rel_timeout, std::chrono::hours(1));
  EXPECT_EQ(zone.session_expiry_interval, std::chrono::hours(24));
  EXPECT_EQ(settings.broker.sys_interval, std::chrono::seconds(30));
  EXPECT_EQ(settings.mqtt.max_packet_size, 64u * 1024);
  EXPECT_EQ(zone.mqtt.max_packet_size, 64u * 1024) << "zones inherit mqtt.*";
  EXPECT_EQ(settings.retainer.max_payload_size, 2u * 1024 * 1024);
  EXPECT_EQ(settings.log.rotation_size, 1024ull * 1024 * 1024);
  EXPECT_EQ(settings.tcp_listeners[0].recbuf, 512u);
}

TEST(Config, ZoneOverridesMqttForThatZoneOnly) {
  const auto settings = parse(
      "zone.external.max_packet_size = 1KB\n"
      "mqtt.max_packet_size = 2KB\n"
      "zone.external.mqueue_priorities = topic/1=10,topic/2=8\n");
  EXPECT_EQ(settings.zone("external").mqtt.max_packet_size, 1024u);
  EXPECT_EQ(settings.zone("internal").mqtt.max_packet_size, 2048u);
  const std::vector<std::pair<std::string, int>> priorities{{"topic/1", 10}, {"topic/2", 8}};
  EXPECT_EQ(settings.zone("external").mqueue_priorities, priorities);
}

TEST(Config, CustomListenersAndZones) {
  const auto settings = parse(
      "listener.tcp.devices = 127.0.0.1:2883\n"
      "listener.tcp.devices.zone = sensors\n"
      "listener.tcp.devices.mountpoint = dev/%c/\n"
      "listener.tcp.devices.access.2 = allow all\n"
      "listener.tcp.devices.access.1 = deny 10.0.0.0/8\n"
      "zone.sensors.max_inflight = 4\n"
      "listener.tcp.v6 = [::1]:2884\n"
      "listener.tcp.external = off\n");
  ASSERT_EQ(settings.tcp_listeners.size(), 2u);
  const auto& devices = settings.tcp_listeners[0];
  EXPECT_EQ(devices.name, "devices");
  EXPECT_EQ(devices.bind_address, "127.0.0.1");
  EXPECT_EQ(devices.port, 2883);
  EXPECT_EQ(devices.mountpoint, "dev/%c/");
  EXPECT_EQ(devices.access_rules, (std::vector<std::string>{"deny 10.0.0.0/8", "allow all"}));
  EXPECT_EQ(settings.zone("sensors").max_inflight, 4);
  EXPECT_EQ(settings.tcp_listeners[1].bind_address, "::1");
}

TEST(Config, EnvironmentOverridesTheFile) {
  const auto settings = parse("zone.external.idle_timeout = 10s\nnode.name = a@b\n",
                              {{"GATEMQ_ZONE__EXTERNAL__IDLE_TIMEOUT", "30s"},
                               {"GATEMQ_LISTENER__TCP__EXTERNAL", "1884"},
                               {"GATEMQ_BIN", "/not/a/key"},
                               {"OTHER", "x"}});
  EXPECT_EQ(settings.zone("external").idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(settings.tcp_listeners[0].port, 1884);
  EXPECT_EQ(settings.node.name, "a@b");
}

TEST(Config, ErrorsNameTheLineAndTheReason) {
  EXPECT_EQ(error_of("# comment\n\nzone.external.idle_timeout = 15x\n"),
            "test.conf:3: zone.external.idle_timeout: '15x' is not a duration such as 500ms, "
            "15s, 2m, 1h or 1d");
  EXPECT_EQ(error_of("mqtt.max_qos_allowed = 3\n"),
            "test.conf:1: mqtt.max_qos_allowed: '3' is not a whole number from 0 to 2");
  EXPECT_EQ(error_of("zone.external.upgrade_qos = maybe\n"),
            "test.conf:1: zone.external.upgrade_qos: 'maybe' is not on/off or true/false");
  EXPECT_EQ(error_of("listener.tcp.external = 70000\n").substr(0, 12), "test.conf:1:");
  EXPECT_EQ(error_of("just text\n"), "test.conf:1: expected 'key = value', got 'just text'");
  EXPECT_EQ(error_of("log.level = loud\n").substr(0, 46), "test.conf:1: log.level: 'loud' is not one of: ");
  EXPECT_EQ(error_of("", {{"GATEMQ_MQTT__MAX_QOS_ALLOWED", "7"}}),
            "environment GATEMQ_MQTT__MAX_QOS_ALLOWED: mqtt.max_qos_allowed: '7' is not a whole "
            "number from 0 to 2");
  EXPECT_EQ(error_of("listener.tcp.lonely.zone = external\n"),
            "test.conf:1: listener.tcp.lonely has settings but no address (listener.tcp.lonely = "
            "<port>)");
}

TEST(Config, UnknownKeysAreErrorsWithASuggestion) {
  EXPECT_EQ(error_of("zone.external.idle_timout = 15s\n"),
            "test.conf:1: unknown key 'zone.external.idle_timout' (did you mean "
            "'zone.external.idle_timeout'?)");
  EXPECT_EQ(error_of("mqtt.max_paket_size = 1MB\n"),
            "test.conf:1: unknown key 'mqtt.max_paket_size' (did you mean 'mqtt.max_packet_size'?)");
  EXPECT_EQ(error_of("node.nmae = x\n"),
            "test.conf:1: unknown key 'node.nmae' (did you mean 'node.name'?)");
  EXPECT_EQ(error_of("completely.unknown = 1\n"), "test.conf:1: unknown key 'completely.unknown'");
}

TEST(Config, SeedKeysNotImplementedYetAreReportedNotFatal) {
  const auto settings = parse(
      "listener.ssl.external = 8883\n"
      "cluster.name = emqxcl\n"
      "node.cookie = secret\n"
      "acl_file = etc/acl.conf\n"
      "zone.external.enable_flapping_detect = off\n"
      "listener.tcp.external.proxy_protocol = on\n");
  ASSERT_EQ(settings.ignored_keys.size(), 6u);
  EXPECT_EQ(settings.ignored_keys[0], "test.conf:1 listener.ssl.external");
}

TEST(Config, MissingFile) {
  try {
    load_settings(std::filesystem::path("/nonexistent/gatemq.conf"), {});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/gatemq.conf: cannot open: No such file or directory");
  }
}

}  // namespace
}  // namespace gatemq::config
