#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/config.hpp"
#include "gateways/stomp/stomp_gateway.hpp"

namespace gatemq::gateway::stomp {
namespace {

std::optional<StompGatewaySettings> load(const std::optional<std::filesystem::path>& file,
                                         const config::Environment& environment = {}) {
  const auto settings = config::load_settings(file, environment, {{"emqx_stomp", "stomp."}});
  plugin::PluginConfig section("stomp.", settings.section_entries);
  return read_settings(section);
}

TEST(StompGatewaySettings, SeedDefaults) {
  const auto settings = load(std::nullopt);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->default_login, "guest");
  EXPECT_TRUE(settings->allow_anonymous);
  EXPECT_EQ(settings->limits.max_headers, 10u);
  EXPECT_EQ(settings->limits.max_header_length, 1024u);
  EXPECT_EQ(settings->limits.max_body_length, 8192u);
  ASSERT_EQ(settings->listeners.size(), 1u);
  EXPECT_EQ(settings->listeners[0].port, 61613);
  EXPECT_EQ(settings->listeners[0].acceptors, 4u);
  EXPECT_EQ(settings->listeners[0].max_connections, 512u);
}

TEST(StompGatewaySettings, ShippedFileEqualsTheDefaults) {
  const auto shipped = load(std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/gatemq.conf");
  const auto defaults = load(std::nullopt);
  ASSERT_TRUE(shipped && defaults);
  EXPECT_EQ(shipped->default_passcode, defaults->default_passcode);
  EXPECT_EQ(shipped->limits.max_body_length, defaults->limits.max_body_length);
  EXPECT_TRUE(shipped->listeners == defaults->listeners);
}

TEST(StompGatewaySettings, OverridesAndErrors) {
  const auto settings = load(std::nullopt, {{"GATEMQ_STOMP__LISTENER", "127.0.0.1:7000"},
                                            {"GATEMQ_STOMP__FRAME__MAX_BODY_LENGTH", "1MB"}});
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->listeners[0].bind_address, "127.0.0.1");
  EXPECT_EQ(settings->listeners[0].port, 7000);
  EXPECT_EQ(settings->limits.max_body_length, 1024u * 1024);
  EXPECT_FALSE(load(std::nullopt, {{"GATEMQ_STOMP__ENABLE", "off"}}));
  EXPECT_THROW(load(std::nullopt, {{"GATEMQ_STOMP__FRAME__MAX_HEADRES", "1"}}), config::ConfigError);
}

TEST(StompGatewaySettings, TlsListener) {
  const auto settings =
      load(std::nullopt, {{"GATEMQ_STOMP__LISTENER__SSL", "127.0.0.1:61614"},
                          {"GATEMQ_STOMP__LISTENER__SSL__VERIFY", "verify_peer"},
                          {"GATEMQ_STOMP__LISTENER__SSL__CACERTFILE", "etc/certs/cacert.pem"},
                          {"GATEMQ_STOMP__LISTENER__SSL__ACCESS__1", "deny 10.0.0.0/8"},
                          {"GATEMQ_STOMP__LISTENER__ACCEPTORS", "2"}});
  ASSERT_TRUE(settings);
  ASSERT_EQ(settings->listeners.size(), 2u);
  EXPECT_EQ(settings->listeners[0].acceptors, 2u) << "the plain listener's keys stay its own";
  const auto& tls = settings->listeners[1];
  EXPECT_EQ(tls.kind, "ssl");
  EXPECT_EQ(tls.port, 61614);
  EXPECT_EQ(tls.acceptors, 4u);
  ASSERT_TRUE(tls.tls);
  EXPECT_TRUE(tls.tls->verify_peer);
  EXPECT_EQ(tls.tls->certfile, "etc/certs/cert.pem");
  EXPECT_EQ(tls.access_rules, (std::vector<std::string>{"deny 10.0.0.0/8"}));
  EXPECT_THROW(load(std::nullopt, {{"GATEMQ_STOMP__LISTENER__SSL__VERIFY", "sometimes"}}),
               config::ConfigError);
}

}  // namespace
}  // namespace gatemq::gateway::stomp
