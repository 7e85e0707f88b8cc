// The `lwm2m.` configuration section (seed: emqx_lwm2m.conf, LwM2M plugin), read once at
// start-up. Topic defaults follow the plugin section (lwm2m/%e/dn/#, lwm2m/%e/up/...); the LwM2M
// chapter's layout (lwm2m/%e/command, lwm2m/%e/resp) is the same keys with other values.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/settings.hpp"
#include "core/plugin/plugin_config.hpp"
#include "gateways/coap/dtls_settings.hpp"
#include "gateways/lwm2m/content.hpp"

namespace gatemq::gateway::lwm2m {

// When a registration update is published on lwm2m.topics.update.
enum class UpdatePublishCondition { ContainsObjectList, Always };

struct Topics {
  std::string command = "lwm2m/%e/dn/#";
  std::string response = "lwm2m/%e/up/resp";
  std::string notify = "lwm2m/%e/up/notify";
  std::string register_ = "lwm2m/%e/up/resp";
  std::string update = "lwm2m/%e/up/resp";
};

struct Lwm2mSettings {
  std::string bind_address = "0.0.0.0";  // lwm2m.port = [ip:]port | off
  std::uint16_t port = 5783;             // 5783, not the seed's 5683: runs beside CoAP
  bool udp = true;  // false with lwm2m.port = off: no plain UDP endpoint (DTLS may still be on)
  std::chrono::seconds lifetime_min{1};
  std::chrono::seconds lifetime_max{86400};
  std::chrono::milliseconds qmode_time_window{22000};
  // Paths observed right after registration; `on` means every registered object instance.
  bool auto_observe_all = false;
  std::vector<std::string> auto_observe_paths;
  std::string mountpoint;
  Topics topics;
  UpdatePublishCondition update_publish_condition = UpdatePublishCondition::ContainsObjectList;
  std::filesystem::path xml_dir;
  std::string zone = "external";
  // CoAP transmission parameters of the gateway's requests to devices (RFC 7252 §4.8), so a
  // device that never answers is reported after ack_timeout * (2^(max_retransmit+1) - 1).
  std::chrono::milliseconds ack_timeout{2000};
  unsigned max_retransmit = 4;
  // A device that acknowledged a request but never sent its separate response.
  std::chrono::milliseconds command_timeout{93000};
  std::optional<coap::DtlsSettings> dtls;  // a second, DTLS endpoint in the same context
  // The structured format (reads' Accept, batch writes) of devices registered with lwm2m=1.1 or
  // later, which need not have TLV; lwm2m=1.0 devices (or none given) get TLV, which 1.0 makes
  // mandatory. lwm2m.default_format_1_1 = senml-cbor | senml-json | tlv.
  std::uint16_t default_format_1_1 = content_format::kSenmlCbor;

  // The structured format for a device registered with `lwm2m_version` ("1.0", "1.1", ...).
  std::uint16_t format_for(std::string_view lwm2m_version) const;
};

// The shipped object definitions: `lwm2m_xml/` in the working directory when there is one (a
// release root, like etc/), else the source tree's (`gatemq` run from a build directory).
std::filesystem::path default_xml_dir();

// Reads the section; nullopt when `lwm2m.enable = off`. Throws config::ConfigError.
std::optional<Lwm2mSettings> read_settings(plugin::PluginConfig& config,
                                           const config::Settings& broker_settings);

}  // namespace gatemq::gateway::lwm2m
