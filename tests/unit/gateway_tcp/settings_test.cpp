#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/config.hpp"
#include "gateways/tcp/tcp_gateway.hpp"

namespace gatemq::gateway::tcp {
namespace {

TcpGatewaySettings load(const std::optional<std::filesystem::path>& file,
                        const config::Environment& environment = {}) {
  const auto settings = config::load_settings(file, environment, {{"tcp", "tcp."}});
  GatewayConfig section("tcp.", settings.section_entries);
  auto tcp = read_settings(section);
  EXPECT_TRUE(tcp);
  return tcp.value_or(TcpGatewaySettings{});
}

TEST(TcpGatewaySettings, DefaultsWithoutAFile) {
  const auto settings = load(std::nullopt);
  EXPECT_EQ(settings.up_topic, "tcp/%c/up");
  EXPECT_EQ(settings.dn_topic, "tcp/%c/dn");
  EXPECT_EQ(settings.max_packet_size, 65535u);
  ASSERT_EQ(settings.listeners.size(), 1u);
  EXPECT_EQ(settings.listeners[0].port, 8090);
  EXPECT_EQ(settings.listeners[0].bind_address, "0.0.0.0");
}

TEST(TcpGatewaySettings, ShippedFileEqualsTheDefaults) {
  const auto shipped = load(std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/gatemq.conf");
  const auto defaults = load(std::nullopt);
  EXPECT_EQ(shipped.up_topic, defaults.up_topic);
  EXPECT_EQ(shipped.dn_topic, defaults.dn_topic);
  EXPECT_EQ(shipped.idle_timeout, defaults.idle_timeout);
  EXPECT_EQ(shipped.max_packet_size, defaults.max_packet_size);
  EXPECT_TRUE(shipped.listeners == defaults.listeners);
}

TEST(TcpGatewaySettings, EnvironmentAndOff) {
  EXPECT_EQ(load(std::nullopt, {{"GATEMQ_TCP__PROTO__UP_TOPIC", "x/%c"}}).up_topic, "x/%c");
  const auto settings = config::load_settings(std::nullopt, {{"GATEMQ_TCP__ENABLE", "off"}},
                                              {{"tcp", "tcp."}});
  GatewayConfig section("tcp.", settings.section_entries);
  EXPECT_FALSE(read_settings(section));
}

}  // namespace
}  // namespace gatemq::gateway::tcp
