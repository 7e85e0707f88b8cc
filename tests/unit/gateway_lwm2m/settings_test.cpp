#include "gateways/lwm2m/settings.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/config.hpp"

namespace gatemq::gateway::lwm2m {
namespace {

std::optional<Lwm2mSettings> load(const std::string& text) {
  const auto settings = config::parse_settings(text, "test.conf", {}, {{"emqx_lwm2m", "lwm2m."}});
  plugin::PluginConfig section("lwm2m.", settings.section_entries);
  return read_settings(section, settings);
}

TEST(Lwm2mSettings, Defaults) {
  auto settings = load("");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->port, 5783);
  EXPECT_EQ(settings->bind_address, "0.0.0.0");
  EXPECT_EQ(settings->lifetime_min, std::chrono::seconds(1));
  EXPECT_EQ(settings->lifetime_max, std::chrono::seconds(86400));
  EXPECT_EQ(settings->qmode_time_window, std::chrono::seconds(22));
  EXPECT_FALSE(settings->auto_observe_all);
  EXPECT_TRUE(settings->auto_observe_paths.empty());
  EXPECT_EQ(settings->topics.command, "lwm2m/%e/dn/#");
  EXPECT_EQ(settings->topics.response, "lwm2m/%e/up/resp");
  EXPECT_EQ(settings->topics.notify, "lwm2m/%e/up/notify");
  EXPECT_EQ(settings->topics.register_, "lwm2m/%e/up/resp");
  EXPECT_EQ(settings->topics.update, "lwm2m/%e/up/resp");
  EXPECT_EQ(settings->update_publish_condition, UpdatePublishCondition::ContainsObjectList);
  EXPECT_FALSE(settings->xml_dir.empty());
  EXPECT_TRUE(std::filesystem::is_directory(settings->xml_dir)) << settings->xml_dir;
  EXPECT_EQ(settings->format_for("1.0"), content_format::kOmaTlv);
  EXPECT_EQ(settings->format_for("1.1"), content_format::kSenmlCbor);
  EXPECT_EQ(settings->format_for("1.2"), content_format::kSenmlCbor);
  EXPECT_EQ(load("lwm2m.default_format_1_1 = senml-json\n")->format_for("1.1"),
            content_format::kSenmlJson);
}

TEST(Lwm2mSettings, SeedKeys) {
  const auto text =
      "lwm2m.port = 127.0.0.1:5683\nlwm2m.lifetime_min = 10s\nlwm2m.lifetime_max = 3600s\n"
      "lwm2m.qmode_time_window = 30\nlwm2m.lb = coaproxy\nlwm2m.auto_observe = /3/0, /3303\n"
      "lwm2m.mountpoint = lwm2m/%e/\nlwm2m.topics.command = lwm2m/%e/command\n"
      "lwm2m.topics.response = lwm2m/%e/resp\nlwm2m.topics.notify = n/%e\n"
      "lwm2m.topics.register = r/%e\nlwm2m.topics.update = u/%e\n"
      "lwm2m.update_msg_publish_condition = always\nlwm2m.xml_dir = etc/lwm2m_xml\n"
      "lwm2m.certfile = etc/certs/cert.pem\nlwm2m.keyfile = etc/certs/key.pem\n";
  const auto parsed = config::parse_settings(text, "test.conf", {}, {{"emqx_lwm2m", "lwm2m."}});
  plugin::PluginConfig section("lwm2m.", parsed.section_entries);
  auto settings = read_settings(section, parsed);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->bind_address, "127.0.0.1");
  EXPECT_EQ(settings->port, 5683);
  EXPECT_EQ(settings->lifetime_min, std::chrono::seconds(10));
  EXPECT_EQ(settings->lifetime_max, std::chrono::seconds(3600));
  EXPECT_EQ(settings->qmode_time_window, std::chrono::seconds(30));
  EXPECT_EQ(settings->auto_observe_paths, (std::vector<std::string>{"/3/0", "/3303"}));
  EXPECT_EQ(settings->mountpoint, "lwm2m/%e/");
  EXPECT_EQ(settings->topics.command, "lwm2m/%e/command");
  EXPECT_EQ(settings->topics.response, "lwm2m/%e/resp");
  EXPECT_EQ(settings->topics.notify, "n/%e");
  EXPECT_EQ(settings->topics.register_, "r/%e");
  EXPECT_EQ(settings->topics.update, "u/%e");
  EXPECT_EQ(settings->update_publish_condition, UpdatePublishCondition::Always);
  EXPECT_EQ(settings->xml_dir, "etc/lwm2m_xml");
  // The seed's certificate keys turn DTLS on at 5784; only lb is accepted and ignored.
  ASSERT_TRUE(settings->dtls);
  EXPECT_EQ(settings->dtls->port, 5784);
  EXPECT_EQ(settings->dtls->certfile, "etc/certs/cert.pem");
  EXPECT_EQ(settings->dtls->keyfile, "etc/certs/key.pem");
  EXPECT_EQ(section.ignored().size(), 1u);
}

TEST(Lwm2mSettings, DtlsIsOffUntilConfigured) {
  EXPECT_FALSE(load("")->dtls);
  EXPECT_FALSE(load("lwm2m.dtls.verify = verify_peer\n")->dtls);
}

TEST(Lwm2mSettings, DtlsPortWithThePskTable) {
  auto settings = load("psk.file.path = etc/psk.txt\nlwm2m.dtls.port = 127.0.0.1:15784\n");
  ASSERT_TRUE(settings && settings->dtls);
  EXPECT_EQ(settings->dtls->bind_address, "127.0.0.1");
  EXPECT_EQ(settings->dtls->port, 15784);
  EXPECT_TRUE(settings->dtls->certfile.empty());
  EXPECT_FALSE(settings->dtls->verify);
  EXPECT_FALSE(settings->dtls->identity_is_endpoint);
  settings = load(
      "psk.file.path = etc/psk.txt\nlwm2m.dtls.port = 5784\n"
      "lwm2m.dtls.identity_is_endpoint = true\n");
  EXPECT_TRUE(settings->dtls->identity_is_endpoint);
}

TEST(Lwm2mSettings, DtlsMistakes) {
  // Neither a certificate nor the PSK table: nothing to secure a session with.
  EXPECT_THROW(load("lwm2m.dtls.port = 5784\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.certfile = c.pem\n"), config::ConfigError);  // no keyfile
  EXPECT_THROW(load("lwm2m.keyfile = k.pem\nlwm2m.dtls.port = 5784\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.certfile = c.pem\nlwm2m.keyfile = k.pem\nlwm2m.dtls.verify = yes\n"),
               config::ConfigError);
  EXPECT_THROW(load("lwm2m.certfile = c.pem\nlwm2m.keyfile = k.pem\nlwm2m.dtls.port = x\n"),
               config::ConfigError);
}

TEST(Lwm2mSettings, AutoObserveOn) {
  EXPECT_TRUE(load("lwm2m.auto_observe = on\n")->auto_observe_all);
}

TEST(Lwm2mSettings, Disabled) {
  EXPECT_FALSE(load("lwm2m.enable = off\n"));
}

TEST(Lwm2mSettings, BadValues) {
  EXPECT_THROW(load("lwm2m.port = nowhere\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.lifetime_min = 0s\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.lifetime_min = 100s\nlwm2m.lifetime_max = 10s\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.update_msg_publish_condition = sometimes\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.auto_observe = /3//0\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.topics.command = \n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.ack_timeout = 10ms\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.zone = nowhere\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.default_format_1_1 = text\n"), config::ConfigError);
  EXPECT_THROW(load("lwm2m.unknown_key = 1\n"), config::ConfigError);
}

TEST(Lwm2mSettings, ShippedFileLoads) {
  const auto file =
      std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc" / "plugins" / "emqx_lwm2m.conf";
  const auto settings = config::load_settings(file, {}, {{"emqx_lwm2m", "lwm2m."}});
  plugin::PluginConfig section("lwm2m.", settings.section_entries);
  auto lwm2m = read_settings(section, settings);
  ASSERT_TRUE(lwm2m);
  EXPECT_EQ(lwm2m->port, 5783);
  EXPECT_EQ(lwm2m->topics.command, "lwm2m/%e/dn/#");
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m
