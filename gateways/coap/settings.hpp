// The `coap.` configuration section (seed: emqx_coap.conf, CoAP plugin), read once at start-up.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/settings.hpp"
#include "core/plugin/plugin_config.hpp"
#include "gateways/coap/dtls_settings.hpp"

namespace gatemq::gateway::coap {

// How notifications travel: by the delivery's QoS (CON for QoS >= 1), or always CON / NON.
enum class NotifyType { Qos, Con, Non };

// `qos0|qos1|qos2` fixes the QoS; `coap` takes it from the request: CON is QoS 1, NON QoS 0.
struct QosPolicy {
  bool from_message_type = true;
  std::uint8_t qos = 0;

  std::uint8_t resolve(bool confirmable) const {
    return from_message_type ? (confirmable ? 1 : 0) : qos;
  }
};

struct CoapSettings {
  std::string bind_address = "0.0.0.0";  // coap.port = [ip:]port | off
  std::uint16_t port = 5683;
  bool udp = true;  // false with coap.port = off: no plain UDP endpoint (DTLS may still be on)
  std::chrono::milliseconds keepalive{120000};  // without a request, a client is closed
  NotifyType notify_type = NotifyType::Qos;
  QosPolicy subscribe_qos;
  QosPolicy publish_qos;
  std::string mountpoint;
  bool connection_required = false;  // every topic request needs clientid + token
  std::string zone = "external";
  std::size_t max_observations = 64;  // per client: each one is a broker subscription
  // Notifications waiting behind a client's CON in flight; when full the oldest is dropped.
  std::size_t max_queued_notifications = 32;
  std::vector<ExtraEndpoint> extra_endpoints;  // coap.bind.udp.N
  std::optional<DtlsSettings> dtls;
};

// Reads the section; nullopt when `coap.enable = off`. Throws config::ConfigError.
std::optional<CoapSettings> read_settings(plugin::PluginConfig& config,
                                          const config::Settings& broker_settings);

}  // namespace gatemq::gateway::coap
