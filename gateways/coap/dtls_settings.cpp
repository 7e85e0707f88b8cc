#include "gateways/coap/dtls_settings.hpp"

#include "core/config/config.hpp"

namespace gatemq::gateway::coap {

namespace {

std::string key_name(plugin::PluginConfig& config, std::string_view key) {
  return config.prefix() + std::string(key);
}

}  // namespace

std::vector<ExtraEndpoint> read_extra_endpoints(plugin::PluginConfig& config,
                                                std::string_view group) {
  std::vector<ExtraEndpoint> endpoints;
  for (unsigned n = 1;; ++n) {
    const auto key = std::string(group) + "." + std::to_string(n);
    if (!config.has(key)) return endpoints;
    if (auto address = config.listen_address(key, "0")) {  // `off`: not this one
      endpoints.push_back(ExtraEndpoint{std::move(address->first), address->second});
    }
  }
}

std::optional<DtlsSettings> read_dtls_settings(plugin::PluginConfig& config, const DtlsKeys& keys,
                                               const config::Settings& broker_settings) {
  DtlsSettings dtls;
  dtls.keyfile = config.text(keys.keyfile, "");
  dtls.certfile = config.text(keys.certfile, "");
  dtls.cacertfile = config.text(keys.cacertfile, "");
  const auto verify = config.text(keys.verify, "verify_none");
  if (verify != "verify_peer" && verify != "verify_none") {
    config.bad_value(keys.verify, verify, "verify_peer or verify_none");
  }
  dtls.verify = verify == "verify_peer";
  dtls.fail_if_no_peer_cert = config.boolean(keys.fail_if_no_peer_cert, false);
  if (!keys.extra_endpoints.empty()) {
    dtls.extra_endpoints = read_extra_endpoints(config, keys.extra_endpoints);
  }
  std::optional<plugin::PluginConfig::Address> address;
  if (config.has(keys.port)) address = config.listen_address(keys.port, "0");
  const bool port_off = config.has(keys.port) && !address;  // `off` wins over a certfile
  const bool enabled = !port_off && (address || (keys.certfile_enables && !dtls.certfile.empty()));
  if (!enabled) {
    if (!dtls.extra_endpoints.empty()) {
      throw config::ConfigError(key_name(config, keys.extra_endpoints) + ".N needs " +
                                key_name(config, keys.port));
    }
    return std::nullopt;
  }
  if (address) {
    std::tie(dtls.bind_address, dtls.port) = *address;
  } else {
    dtls.port = keys.default_port;
  }
  if (dtls.certfile.empty() != dtls.keyfile.empty()) {
    throw config::ConfigError(key_name(config, keys.certfile) + " and " +
                              key_name(config, keys.keyfile) + " go together");
  }
  if (dtls.certfile.empty() && broker_settings.psk.file.empty()) {
    throw config::ConfigError(key_name(config, keys.port) + " needs " +
                              key_name(config, keys.certfile) + " + " +
                              key_name(config, keys.keyfile) + " or psk.file.path");
  }
  return dtls;
}

}  // namespace gatemq::gateway::coap
