// DTLS listener settings shared by the libcoap gateways (CoAP: coap.dtls.*, LwM2M: lwm2m.certfile,
// lwm2m.dtls.*). The key names differ per gateway (each keeps its seed's), the meaning does not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/settings.hpp"
#include "core/plugin/plugin_config.hpp"

namespace gatemq::gateway::coap {

// One more endpoint of the same kind: `<group>.N = [ip:]port` (the seed's 4.x bind keys).
struct ExtraEndpoint {
  std::string bind_address;
  std::uint16_t port = 0;
};

struct DtlsSettings {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 5684;
  std::string keyfile;
  std::string certfile;
  std::string cacertfile;
  bool verify = false;  // verify_peer | verify_none
  bool fail_if_no_peer_cert = false;
  std::vector<ExtraEndpoint> extra_endpoints;
  // LwM2M only (lwm2m.dtls.identity_is_endpoint): a device using a pre-shared key registers
  // under its PSK identity as endpoint name, or is refused.
  bool identity_is_endpoint = false;
};

// Where a gateway's section keeps each DTLS setting (relative to the section's prefix).
struct DtlsKeys {
  std::string_view port;
  std::string_view certfile;
  std::string_view keyfile;
  std::string_view cacertfile;
  std::string_view verify;
  std::string_view fail_if_no_peer_cert;
  std::string_view extra_endpoints;  // "<group>" of <group>.N; empty when the gateway has none
  std::uint16_t default_port = 5684;
  // The seed's LwM2M plugin turns DTLS on by naming a certificate; the CoAP plugin by its port.
  bool certfile_enables = false;
};

// `<group>.1`, `<group>.2`, ... up to the first missing number; a key beyond a gap is left
// unread, so plugin::PluginConfig::finish() names it. Throws config::ConfigError.
std::vector<ExtraEndpoint> read_extra_endpoints(plugin::PluginConfig& config,
                                                std::string_view group);

// nullopt when DTLS is off. DTLS needs a certificate and key, or the broker's PSK table
// (psk.file.path), or both. Throws config::ConfigError naming the key.
std::optional<DtlsSettings> read_dtls_settings(plugin::PluginConfig& config, const DtlsKeys& keys,
                                               const config::Settings& broker_settings);

}  // namespace gatemq::gateway::coap
