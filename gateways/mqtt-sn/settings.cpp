#include "gateways/mqtt-sn/settings.hpp"

#include "core/config/config.hpp"
#include "core/router/topic.hpp"

namespace gatemq::gateway::mqttsn {

namespace {

std::shared_ptr<const PredefinedTopics> read_predefined(plugin::PluginConfig& config) {
  auto topics = std::make_shared<PredefinedTopics>();
  // The seed's `predefined.topic.0 = reserved`: id 0 is never a topic id.
  if (config.has("predefined.topic.0")) config.ignore("predefined.topic.0");
  for (std::uint32_t id = 1; id <= 0xFFFF; ++id) {
    const auto key = "predefined.topic." + std::to_string(id);
    if (!config.has(key)) continue;
    const auto name = config.text(key, "");
    const auto full = config.prefix() + key;
    if (id == 0xFFFF) throw config::ConfigError(full + ": topic id 65535 is reserved");
    if (!router::is_valid_topic_name(name, 0)) {
      throw config::ConfigError(full + ": '" + name + "' is not a topic name");
    }
    if (!topics->add(static_cast<std::uint16_t>(id), name)) {
      throw config::ConfigError(full + ": '" + name + "' is already predefined with another id");
    }
  }
  return topics;
}

}  // namespace

std::optional<MqttSnSettings> read_settings(plugin::PluginConfig& config,
                                            const config::Settings& broker_settings) {
  MqttSnSettings settings;
  const bool enabled = config.boolean("enable", true);
  const auto address = config.listen_address("port", "1884");
  settings.listening = address.has_value();
  if (address) std::tie(settings.bind_address, settings.port) = *address;
  settings.advertise_duration = config.duration("advertise_duration", settings.advertise_duration);
  if (settings.advertise_duration < std::chrono::seconds(1) ||
      settings.advertise_duration > std::chrono::seconds(65535)) {
    throw config::ConfigError(config.prefix() +
                              "advertise_duration: must be between 1s and 65535s (the "
                              "ADVERTISE duration field is 16-bit seconds)");
  }
  settings.gateway_id = static_cast<std::uint8_t>(config.number("gateway_id", 1, 255));
  if (config.has("username")) settings.username = config.text("username", "");
  if (config.has("password")) settings.password = config.text("password", "");
  settings.enable_qos3 = config.boolean("enable_qos3", settings.enable_qos3);
  settings.idle_timeout = config.duration("idle_timeout", settings.idle_timeout);
  settings.predefined = read_predefined(config);
  settings.subs_resume = config.boolean("subs_resume", settings.subs_resume);
  settings.mountpoint = config.text("mountpoint", "");
  settings.broadcast = config.boolean("broadcast", settings.broadcast);
  std::tie(settings.broadcast_host, settings.broadcast_port) =
      config.address("broadcast_address", "255.255.255.255:1884");
  settings.zone = config.text("zone", settings.zone);
  if (!broker_settings.zones.contains(settings.zone)) {
    throw config::ConfigError(config.prefix() + "zone: unknown zone '" + settings.zone + "'");
  }
  settings.max_registered_topics = static_cast<std::size_t>(
      config.number("max_registered_topics", settings.max_registered_topics, 65534));
  // emqx-sn's statistics switch: gatemq always counts (GatewayStats).
  config.ignore("enable_stats");
  config.finish();
  if (!enabled) return std::nullopt;
  return settings;
}

}  // namespace gatemq::gateway::mqttsn
