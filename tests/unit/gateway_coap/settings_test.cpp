#include "gateways/coap/settings.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/config.hpp"

namespace gatemq::gateway::coap {
namespace {

std::optional<CoapSettings> load(const std::string& text) {
  const auto settings = config::parse_settings(text, "test.conf", {}, {{"emqx_coap", "coap."}});
  plugin::PluginConfig section("coap.", settings.section_entries);
  return read_settings(section, settings);
}

TEST(CoapSettings, Defaults) {
  auto settings = load("");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->port, 5683);
  EXPECT_EQ(settings->bind_address, "0.0.0.0");
  EXPECT_EQ(settings->keepalive, std::chrono::seconds(120));
  EXPECT_EQ(settings->notify_type, NotifyType::Qos);
  EXPECT_TRUE(settings->publish_qos.from_message_type);
  EXPECT_EQ(settings->publish_qos.resolve(true), 1);
  EXPECT_EQ(settings->publish_qos.resolve(false), 0);
  EXPECT_FALSE(settings->connection_required);
}

TEST(CoapSettings, SeedKeys) {
  auto settings = load(
      "coap.port = 127.0.0.1:15683\ncoap.keepalive = 30s\ncoap.enable_stats = on\n"
      "coap.notify_type = non\ncoap.subscribe_qos = qos2\ncoap.publish_qos = qos1\n"
      "coap.mountpoint = coap/%c/\ncoap.connection_required = true\n"
      "coap.dtls.port = 5684\ncoap.dtls.keyfile = etc/certs/key.pem\n"
      "coap.dtls.certfile = etc/certs/cert.pem\ncoap.dtls.verify = verify_peer\n"
      "coap.dtls.cacertfile = etc/certs/cacert.pem\ncoap.dtls.fail_if_no_peer_cert = true\n");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->bind_address, "127.0.0.1");
  EXPECT_EQ(settings->port, 15683);
  EXPECT_EQ(settings->keepalive, std::chrono::seconds(30));
  EXPECT_EQ(settings->notify_type, NotifyType::Non);
  EXPECT_EQ(settings->subscribe_qos.resolve(false), 2);
  EXPECT_EQ(settings->publish_qos.resolve(false), 1);
  EXPECT_EQ(settings->mountpoint, "coap/%c/");
  EXPECT_TRUE(settings->connection_required);
  ASSERT_TRUE(settings->dtls);
  EXPECT_EQ(settings->dtls->port, 5684);
  EXPECT_EQ(settings->dtls->certfile, "etc/certs/cert.pem");
  EXPECT_TRUE(settings->dtls->verify);
  EXPECT_TRUE(settings->dtls->fail_if_no_peer_cert);
}

TEST(CoapSettings, DtlsNeedsAPortAndKeys) {
  EXPECT_FALSE(load("coap.dtls.certfile = c.pem\ncoap.dtls.keyfile = k.pem\n")->dtls)
      << "DTLS is on only with coap.dtls.port";
  EXPECT_THROW(load("coap.dtls.port = 5684\n"), config::ConfigError) << "no keys, no PSK table";
  EXPECT_THROW(load("coap.dtls.port = 5684\ncoap.dtls.certfile = c.pem\n"), config::ConfigError);
  EXPECT_THROW(load("coap.dtls.port = 5684\ncoap.dtls.certfile = c.pem\ncoap.dtls.keyfile = "
                    "k.pem\ncoap.dtls.verify = maybe\n"),
               config::ConfigError);
  auto psk_only = load("psk.file.path = etc/psk.txt\ncoap.dtls.port = 127.0.0.1:15684\n");
  ASSERT_TRUE(psk_only->dtls);
  EXPECT_EQ(psk_only->dtls->bind_address, "127.0.0.1");
  EXPECT_TRUE(psk_only->dtls->certfile.empty());
}

TEST(CoapSettings, ExtraEndpointsFromBindKeys) {
  auto settings = load(
      "coap.bind.udp.1 = 127.0.0.1:15690\ncoap.bind.udp.2 = 15691\n"
      "psk.file.path = etc/psk.txt\ncoap.dtls.port = 5684\ncoap.bind.dtls.1 = 15692\n");
  ASSERT_TRUE(settings);
  ASSERT_EQ(settings->extra_endpoints.size(), 2u);
  EXPECT_EQ(settings->extra_endpoints[0].bind_address, "127.0.0.1");
  EXPECT_EQ(settings->extra_endpoints[0].port, 15690);
  EXPECT_EQ(settings->extra_endpoints[1].bind_address, "0.0.0.0");
  EXPECT_EQ(settings->extra_endpoints[1].port, 15691);
  ASSERT_TRUE(settings->dtls);
  ASSERT_EQ(settings->dtls->extra_endpoints.size(), 1u);
  EXPECT_EQ(settings->dtls->extra_endpoints[0].port, 15692);
  EXPECT_TRUE(load("")->extra_endpoints.empty());
  EXPECT_THROW(load("coap.bind.udp.1 = nowhere\n"), config::ConfigError);
  EXPECT_THROW(load("coap.bind.udp.2 = 15691\n"), config::ConfigError) << "a gap in the numbers";
  EXPECT_THROW(load("coap.bind.dtls.1 = 15692\n"), config::ConfigError) << "DTLS is off";
}

TEST(CoapSettings, Disabled) {
  EXPECT_FALSE(load("coap.enable = off\n"));
}

TEST(CoapSettings, BadValues) {
  EXPECT_THROW(load("coap.notify_type = sometimes\n"), config::ConfigError);
  EXPECT_THROW(load("coap.publish_qos = qos3\n"), config::ConfigError);
  EXPECT_THROW(load("coap.port = nowhere\n"), config::ConfigError);
  EXPECT_THROW(load("coap.keepalive = 0s\n"), config::ConfigError);
  EXPECT_THROW(load("coap.unknown_key = 1\n"), config::ConfigError);
  EXPECT_THROW(load("coap.zone = nowhere\n"), config::ConfigError);
}

TEST(CoapSettings, ShippedFileLoads) {
  const auto file = std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc" / "plugins" / "emqx_coap.conf";
  const auto settings = config::load_settings(file, {}, {{"emqx_coap", "coap."}});
  plugin::PluginConfig section("coap.", settings.section_entries);
  auto coap = read_settings(section, settings);
  ASSERT_TRUE(coap);
  EXPECT_EQ(coap->port, 5683);
}

}  // namespace
}  // namespace gatemq::gateway::coap
