// The `mqtt.sn.` configuration section (seed: emqx_sn.conf, MQTT-SN chapter), read once at
// start-up. Keys the seed documents keep its names; the few gatemq extensions are marked.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/config/settings.hpp"
#include "core/plugin/plugin_config.hpp"
#include "gateways/mqtt-sn/topic_registry.hpp"

namespace gatemq::gateway::mqttsn {

struct MqttSnSettings {
  std::string bind_address = "0.0.0.0";  // mqtt.sn.port = [ip:]port | off
  std::uint16_t port = 1884;
  bool listening = true;  // false with mqtt.sn.port = off: the gateway opens no socket
  std::chrono::milliseconds advertise_duration{900000};  // mqtt.sn.advertise_duration
  std::uint8_t gateway_id = 1;
  std::optional<std::string> username;  // the identity every device connects with
  std::optional<std::string> password;
  bool enable_qos3 = false;                       // PUBLISH QoS -1 without a connection
  std::chrono::milliseconds idle_timeout{30000};  // to finish CONNECT (the will handshake)
  std::shared_ptr<const PredefinedTopics> predefined = std::make_shared<PredefinedTopics>();
  bool subs_resume = false;
  std::string mountpoint;
  // gatemq extensions
  bool broadcast = false;  // ADVERTISE every advertise_duration
  std::string broadcast_host = "255.255.255.255";
  std::uint16_t broadcast_port = 1884;
  std::string zone = "external";
  std::size_t max_registered_topics = 1024;  // normal topic ids per client
};

// Reads the section; nullopt when `mqtt.sn.enable = off`. Throws config::ConfigError.
std::optional<MqttSnSettings> read_settings(plugin::PluginConfig& config,
                                            const config::Settings& broker_settings);

}  // namespace gatemq::gateway::mqttsn
