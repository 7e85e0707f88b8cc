#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/config.hpp"
#include "gateways/tcp/tcp_gateway.hpp"

namespace gatemq::gateway::tcp {
namespace {

TcpGatewaySettings load(const std::optional<std::filesystem::path>& file,
                        const config::Environment& environment = {}) {
  const auto settings = config::load_settings(file, environment, {{"emqx_tcp", "tcp."}});
  plugin::PluginConfig section("tcp.", settings.section_entries);
  auto tcp = read_settings(section);
  EXPECT_TRUE(tcp);
  return tcp.value_or(TcpGatewaySettings{});
}

TEST(TcpGatewaySettings, DefaultsWithoutAFile) {
  const auto settings = load(std::nullopt);
  EXPECT_EQ(settings.topics.up_topic, "tcp/%c/up");
  EXPECT_EQ(settings.topics.dn_topic, "tcp/%c/dn");
  EXPECT_EQ(settings.max_packet_size, 65535u);
  ASSERT_EQ(settings.listeners.size(), 2u);
  EXPECT_EQ(settings.listeners[0].port, 8090);
  EXPECT_EQ(settings.listeners[0].bind_address, "0.0.0.0");
  EXPECT_FALSE(settings.listeners[0].tls);
  const auto& tls = settings.listeners[1];
  EXPECT_EQ(tls.kind, "ssl");
  EXPECT_EQ(tls.name, "external");
  EXPECT_EQ(tls.port, 8091) << "the seed's tcp.listener.ssl.external";
  ASSERT_TRUE(tls.tls);
  EXPECT_EQ(tls.tls->certfile, "etc/certs/cert.pem");
}

TEST(TcpGatewaySettings, TlsListenerKeys) {
  const auto settings =
      load(std::nullopt, {{"GATEMQ_TCP__LISTENER__SSL__EXTERNAL", "9091"},
                          {"GATEMQ_TCP__LISTENER__SSL__EXTERNAL__VERIFY", "verify_peer"},
                          {"GATEMQ_TCP__LISTENER__SSL__EXTERNAL__CACERTFILE", "ca.pem"},
                          {"GATEMQ_TCP__LISTENER__SSL__DEVICES", "9092"},
                          {"GATEMQ_TCP__LISTENER__EXTERNAL__ACCEPTORS", "3"}});
  ASSERT_EQ(settings.listeners.size(), 3u);
  EXPECT_EQ(settings.listeners[0].kind, "tcp");
  EXPECT_EQ(settings.listeners[0].acceptors, 3u);
  EXPECT_EQ(settings.listeners[1].name, "devices");
  EXPECT_EQ(settings.listeners[1].port, 9092);
  EXPECT_EQ(settings.listeners[2].port, 9091);
  EXPECT_TRUE(settings.listeners[2].tls->verify_peer);
  EXPECT_EQ(settings.listeners[2].tls->cacertfile, "ca.pem");
  const auto off = load(std::nullopt, {{"GATEMQ_TCP__LISTENER__SSL__EXTERNAL", "off"}});
  EXPECT_EQ(off.listeners.size(), 1u);
}

TEST(TcpGatewaySettings, ShippedFileEqualsTheDefaults) {
  const auto shipped = load(std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/gatemq.conf");
  const auto defaults = load(std::nullopt);
  EXPECT_EQ(shipped.topics.up_topic, defaults.topics.up_topic);
  EXPECT_EQ(shipped.topics.dn_topic, defaults.topics.dn_topic);
  EXPECT_EQ(shipped.idle_timeout, defaults.idle_timeout);
  EXPECT_EQ(shipped.max_packet_size, defaults.max_packet_size);
  EXPECT_TRUE(shipped.listeners == defaults.listeners);
}

TEST(TcpGatewaySettings, EnvironmentAndOff) {
  EXPECT_EQ(load(std::nullopt, {{"GATEMQ_TCP__PROTO__UP_TOPIC", "x/%c"}}).topics.up_topic, "x/%c");
  const auto settings =
      config::load_settings(std::nullopt, {{"GATEMQ_TCP__ENABLE", "off"}}, {{"emqx_tcp", "tcp."}});
  plugin::PluginConfig section("tcp.", settings.section_entries);
  EXPECT_FALSE(read_settings(section));
}

}  // namespace
}  // namespace gatemq::gateway::tcp
