#include "gateways/mqtt-sn/settings.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/config/config.hpp"

namespace gatemq::gateway::mqttsn {
namespace {

const std::vector<config::SectionSpec> kSections{{"emqx_sn", "mqtt.sn."}};

std::optional<MqttSnSettings> read(const std::optional<std::filesystem::path>& file,
                                   const config::Environment& environment = {}) {
  const auto settings = config::load_settings(file, environment, kSections);
  plugin::PluginConfig section("mqtt.sn.", settings.section_entries);
  return read_settings(section, settings);
}

MqttSnSettings load(const std::optional<std::filesystem::path>& file,
                    const config::Environment& environment = {}) {
  auto settings = read(file, environment);
  EXPECT_TRUE(settings);
  return settings.value_or(MqttSnSettings{});
}

TEST(MqttSnSettings, DefaultsWithoutAFile) {
  const auto settings = load(std::nullopt);
  EXPECT_EQ(settings.bind_address, "0.0.0.0");
  EXPECT_EQ(settings.port, 1884);
  EXPECT_EQ(settings.advertise_duration, std::chrono::seconds(900));
  EXPECT_EQ(settings.gateway_id, 1);
  EXPECT_FALSE(settings.username);
  EXPECT_FALSE(settings.password);
  EXPECT_FALSE(settings.enable_qos3);
  EXPECT_EQ(settings.idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(settings.predefined->size(), 0u);
  EXPECT_FALSE(settings.subs_resume);
  EXPECT_FALSE(settings.broadcast);
  EXPECT_EQ(settings.zone, "external");
}

TEST(MqttSnSettings, SeedKeysFromTheEnvironment) {
  const auto settings = load(std::nullopt, {{"GATEMQ_MQTT__SN__PORT", "127.0.0.1:2884"},
                                            {"GATEMQ_MQTT__SN__ADVERTISE_DURATION", "15m"},
                                            {"GATEMQ_MQTT__SN__GATEWAY_ID", "7"},
                                            {"GATEMQ_MQTT__SN__USERNAME", "mqtt_sn_user"},
                                            {"GATEMQ_MQTT__SN__PASSWORD", "abc"},
                                            {"GATEMQ_MQTT__SN__ENABLE_QOS3", "on"},
                                            {"GATEMQ_MQTT__SN__IDLE_TIMEOUT", "5s"},
                                            {"GATEMQ_MQTT__SN__PREDEFINED__TOPIC__0", "reserved"},
                                            {"GATEMQ_MQTT__SN__PREDEFINED__TOPIC__1", "/a/b"},
                                            {"GATEMQ_MQTT__SN__PREDEFINED__TOPIC__300", "c"},
                                            {"GATEMQ_MQTT__SN__SUBS_RESUME", "on"},
                                            {"GATEMQ_MQTT__SN__MOUNTPOINT", "sn/%c/"},
                                            {"GATEMQ_MQTT__SN__ENABLE_STATS", "on"}});
  EXPECT_EQ(settings.bind_address, "127.0.0.1");
  EXPECT_EQ(settings.port, 2884);
  EXPECT_EQ(settings.advertise_duration, std::chrono::minutes(15));
  EXPECT_EQ(settings.gateway_id, 7);
  EXPECT_EQ(settings.username, "mqtt_sn_user");
  EXPECT_EQ(settings.password, "abc");
  EXPECT_TRUE(settings.enable_qos3);
  EXPECT_EQ(settings.idle_timeout, std::chrono::seconds(5));
  EXPECT_EQ(settings.predefined->size(), 2u);
  EXPECT_EQ(settings.predefined->name_of(1), "/a/b");
  EXPECT_EQ(settings.predefined->name_of(300), "c");
  EXPECT_EQ(settings.predefined->highest_id(), 300);
  EXPECT_TRUE(settings.subs_resume);
  EXPECT_EQ(settings.mountpoint, "sn/%c/");
}

TEST(MqttSnSettings, BadValuesStopStartUp) {
  EXPECT_THROW(read(std::nullopt, {{"GATEMQ_MQTT__SN__PORT", "70000"}}), config::ConfigError);
  EXPECT_THROW(read(std::nullopt, {{"GATEMQ_MQTT__SN__GATEWAY_ID", "256"}}), config::ConfigError);
  EXPECT_THROW(read(std::nullopt, {{"GATEMQ_MQTT__SN__ADVERTISE_DURATION", "0"}}),
               config::ConfigError);
  EXPECT_THROW(read(std::nullopt, {{"GATEMQ_MQTT__SN__PREDEFINED__TOPIC__2", "a/+"}}),
               config::ConfigError);
  EXPECT_THROW(read(std::nullopt, {{"GATEMQ_MQTT__SN__PREDEFINED__TOPIC__2", "x"},
                                   {"GATEMQ_MQTT__SN__PREDEFINED__TOPIC__3", "x"}}),
               config::ConfigError);
  EXPECT_THROW(read(std::nullopt, {{"GATEMQ_MQTT__SN__ZONE", "nowhere"}}), config::ConfigError);
  EXPECT_THROW(read(std::nullopt, {{"GATEMQ_MQTT__SN__PORTT", "1884"}}), config::ConfigError);
}

TEST(MqttSnSettings, Off) {
  EXPECT_FALSE(read(std::nullopt, {{"GATEMQ_MQTT__SN__ENABLE", "off"}}));
}

TEST(MqttSnSettings, ShippedFileEqualsTheDefaults) {
  const auto shipped = load(std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/gatemq.conf");
  const auto defaults = load(std::nullopt);
  EXPECT_EQ(shipped.port, defaults.port);
  EXPECT_EQ(shipped.advertise_duration, defaults.advertise_duration);
  EXPECT_EQ(shipped.gateway_id, defaults.gateway_id);
  EXPECT_EQ(shipped.enable_qos3, defaults.enable_qos3);
  EXPECT_EQ(shipped.idle_timeout, defaults.idle_timeout);
  EXPECT_EQ(shipped.subs_resume, defaults.subs_resume);
  EXPECT_EQ(shipped.broadcast, defaults.broadcast);
  EXPECT_EQ(shipped.broadcast_port, defaults.broadcast_port);
  EXPECT_EQ(shipped.max_registered_topics, defaults.max_registered_topics);
}

TEST(MqttSnSettings, EveryCommentedExampleLoads) {
  // Uncommenting the example lines of etc/plugins/emqx_sn.conf gives a loadable section.
  const auto source = std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/plugins/emqx_sn.conf";
  std::ifstream input(source);
  ASSERT_TRUE(input);
  const auto directory = std::filesystem::temp_directory_path() /
                         ("gatemq_mqttsn_settings_" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory / "plugins");
  std::ofstream main(directory / "gatemq.conf");
  std::ofstream section(directory / "plugins" / "emqx_sn.conf");
  std::string line;
  while (std::getline(input, line)) {
    if (line.starts_with("## mqtt.sn.")) line = line.substr(3);
    section << line << "\n";
  }
  section.close();
  main.close();
  const auto settings = load(directory / "gatemq.conf");
  EXPECT_EQ(settings.username, "mqtt_sn_user");
  EXPECT_EQ(settings.predefined->name_of(2), "/predefined/topic/name/nice");
  EXPECT_EQ(settings.mountpoint, "sn/");
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace gatemq::gateway::mqttsn
