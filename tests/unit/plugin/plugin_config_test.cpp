#include "core/plugin/plugin_config.hpp"

#include <gtest/gtest.h>

namespace gatemq::plugin {
namespace {

std::vector<config::RawEntry> entries(
    std::initializer_list<std::pair<std::string, std::string>> pairs) {
  std::vector<config::RawEntry> result;
  int line = 0;
  for (const auto& [key, value] : pairs) {
    result.push_back({key, value, "tcp.conf:" + std::to_string(++line)});
  }
  return result;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(PluginConfig, ReadsValuesWithFallbacks) {
  PluginConfig config("tcp.", entries({{"tcp.proto.up_topic", " up/%c "},
                                       {"tcp.proto.idle_timeout", "30s"},
                                       {"tcp.proto.max_packet_size", "1KB"},
                                       {"tcp.enable", "off"},
                                       {"other.key", "not ours"}}));
  EXPECT_EQ(config.text("proto.up_topic", "x"), "up/%c");
  EXPECT_EQ(config.text("proto.dn_topic", "dn/%c"), "dn/%c");
  EXPECT_EQ(config.duration("proto.idle_timeout", std::chrono::seconds(1)),
            std::chrono::seconds(30));
  EXPECT_EQ(config.size("proto.max_packet_size", 0), 1024u);
  EXPECT_FALSE(config.boolean("enable", true));
  EXPECT_NO_THROW(config.finish());
}

TEST(PluginConfig, LaterEntriesWin) {
  PluginConfig config("tcp.",
                      entries({{"tcp.proto.up_topic", "first"}, {"tcp.proto.up_topic", "second"}}));
  EXPECT_EQ(config.text("proto.up_topic", ""), "second");
}

TEST(PluginConfig, BadValuesNameTheOrigin) {
  PluginConfig config("tcp.", entries({{"tcp.proto.idle_timeout", "soon"}}));
  EXPECT_EQ(error_of([&] { config.duration("proto.idle_timeout", {}); }),
            "tcp.conf:1: tcp.proto.idle_timeout: 'soon' is not a duration such as 500ms, 15s, "
            "2m, 1h or 1d");
}

TEST(PluginConfig, KeysNobodyReadAreErrors) {
  PluginConfig config("tcp.", entries({{"tcp.proto.up_topc", "x"}}));
  config.text("proto.up_topic", "");
  EXPECT_EQ(error_of([&] { config.finish(); }), "tcp.conf:1: unknown key 'tcp.proto.up_topc'");
}

TEST(PluginConfig, IgnoredKeysAreReported) {
  PluginConfig config("tcp.", entries({{"tcp.listener.ssl.external", "8091"},
                                       {"tcp.listener.ssl.external.acceptors", "8"}}));
  config.ignore("listener.ssl.*");
  EXPECT_NO_THROW(config.finish());
  EXPECT_EQ(config.ignored().size(), 2u);
}

TEST(PluginConfig, TcpListenersWithDefaultsAndSubKeys) {
  PluginConfig config("tcp.", entries({{"tcp.listener.external.max_connections", "10"},
                                       {"tcp.listener.external.access.1", "deny 10.0.0.0/8"},
                                       {"tcp.listener.external.access.2", "allow all"},
                                       {"tcp.listener.lan", "127.0.0.1:9000"},
                                       {"tcp.listener.lan.zone", "internal"}}));
  const auto listeners = config.listeners("listener", {{"external", "0.0.0.0:8090"}}, "external");
  ASSERT_EQ(listeners.size(), 2u);
  EXPECT_EQ(listeners[0].name, "external");
  EXPECT_EQ(listeners[0].port, 8090);
  EXPECT_EQ(listeners[0].max_connections, 10u);
  EXPECT_EQ(listeners[0].access_rules, (std::vector<std::string>{"deny 10.0.0.0/8", "allow all"}));
  EXPECT_EQ(listeners[1].name, "lan");
  EXPECT_EQ(listeners[1].bind_address, "127.0.0.1");
  EXPECT_EQ(listeners[1].zone, "internal");
  EXPECT_NO_THROW(config.finish());
}

TEST(PluginConfig, ListenerOffAndUnknownSubKey) {
  PluginConfig off("tcp.", entries({{"tcp.listener.external", "off"}}));
  EXPECT_TRUE(off.listeners("listener", {{"external", "0.0.0.0:8090"}}, "external").empty());
  PluginConfig typo("tcp.", entries({{"tcp.listener.external.max_conections", "1"}}));
  EXPECT_EQ(error_of([&] {
              typo.listeners("listener", {{"external", "8090"}}, "external");
            }),
            "tcp.conf:1: unknown key 'tcp.listener.external.max_conections'");
}

TEST(PluginConfig, ListenAddressTakesOff) {
  PluginConfig config("stomp.", entries({{"stomp.listener", " off "}, {"stomp.other", "7000"}}));
  EXPECT_EQ(config.listen_address("listener", "61613"), std::nullopt);
  EXPECT_EQ(config.listen_address("other", "off"), (PluginConfig::Address{"0.0.0.0", 7000}));
  EXPECT_EQ(config.listen_address("missing", "127.0.0.1:61613"),
            (PluginConfig::Address{"127.0.0.1", 61613}));
  EXPECT_EQ(config.listen_address("missing.off", "off"), std::nullopt);
  PluginConfig bad("stomp.", entries({{"stomp.listener", "of"}}));
  EXPECT_EQ(error_of([&] { bad.listen_address("listener", "61613"); }),
            "tcp.conf:1: stomp.listener: 'of' is not a port or ip:port, e.g. 1883 or "
            "0.0.0.0:1883 or [::]:1883, or off");
}

}  // namespace
}  // namespace gatemq::plugin
