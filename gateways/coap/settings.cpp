#include "gateways/coap/settings.hpp"

#include <stdexcept>

#include "core/config/config.hpp"
#include "core/config/values.hpp"
#include "gateways/coap/uri.hpp"

namespace gatemq::gateway::coap {

namespace {

[[noreturn]] void bad_value(GatewayConfig& config, std::string_view key, const std::string& value,
                            std::string_view why) {
  throw config::ConfigError(config.prefix() + std::string(key) + ": '" + value + "' is not " +
                            std::string(why));
}

QosPolicy read_qos(GatewayConfig& config, std::string_view key) {
  const auto text = config.text(key, "coap");
  if (text == "coap") return {};
  if (auto qos = parse_qos(text)) return {false, *qos};
  bad_value(config, key, text, "qos0, qos1, qos2 or coap");
}

// `<group>.1`, `<group>.2`, ... up to the first missing number; a key beyond a gap is left
// unread and finish() names it.
std::vector<ExtraEndpoint> read_extra_endpoints(GatewayConfig& config, std::string_view group) {
  std::vector<ExtraEndpoint> endpoints;
  for (unsigned n = 1;; ++n) {
    const auto key = std::string(group) + "." + std::to_string(n);
    if (!config.has(key)) return endpoints;
    const auto value = config.text(key, "");
    ExtraEndpoint endpoint;
    try {
      std::tie(endpoint.bind_address, endpoint.port) = config::values::listen_address(value);
    } catch (const std::invalid_argument& e) {
      bad_value(config, key, value, e.what());
    }
    endpoints.push_back(std::move(endpoint));
  }
}

std::optional<DtlsSettings> read_dtls(GatewayConfig& config,
                                      const config::Settings& broker_settings) {
  DtlsSettings dtls;
  dtls.keyfile = config.text("dtls.keyfile", "");
  dtls.certfile = config.text("dtls.certfile", "");
  dtls.cacertfile = config.text("dtls.cacertfile", "");
  const auto verify = config.text("dtls.verify", "verify_none");
  if (verify != "verify_peer" && verify != "verify_none") {
    bad_value(config, "dtls.verify", verify, "verify_peer or verify_none");
  }
  dtls.verify = verify == "verify_peer";
  dtls.fail_if_no_peer_cert = config.boolean("dtls.fail_if_no_peer_cert", false);
  dtls.extra_endpoints = read_extra_endpoints(config, "bind.dtls");
  if (!config.has("dtls.port")) {
    if (!dtls.extra_endpoints.empty()) {
      throw config::ConfigError(config.prefix() + "bind.dtls.N needs coap.dtls.port");
    }
    return std::nullopt;
  }
  const auto port = config.text("dtls.port", "5684");
  try {
    std::tie(dtls.bind_address, dtls.port) = config::values::listen_address(port);
  } catch (const std::invalid_argument& e) {
    bad_value(config, "dtls.port", port, e.what());
  }
  if (dtls.certfile.empty() != dtls.keyfile.empty()) {
    throw config::ConfigError(config.prefix() + "dtls.certfile and dtls.keyfile go together");
  }
  if (dtls.certfile.empty() && broker_settings.psk.file.empty()) {
    throw config::ConfigError(config.prefix() +
                              "dtls.port needs dtls.certfile + dtls.keyfile or psk.file.path");
  }
  return dtls;
}

}  // namespace

std::optional<CoapSettings> read_settings(GatewayConfig& config,
                                          const config::Settings& broker_settings) {
  CoapSettings settings;
  const bool enabled = config.boolean("enable", true);
  const auto port = config.text("port", "5683");
  try {
    std::tie(settings.bind_address, settings.port) = config::values::listen_address(port);
  } catch (const std::invalid_argument& e) {
    bad_value(config, "port", port, e.what());
  }
  settings.keepalive = config.duration("keepalive", settings.keepalive);
  if (settings.keepalive < std::chrono::seconds(1)) {
    throw config::ConfigError(config.prefix() + "keepalive: must be at least 1s");
  }
  const auto notify = config.text("notify_type", "qos");
  if (notify == "qos") {
    settings.notify_type = NotifyType::Qos;
  } else if (notify == "con") {
    settings.notify_type = NotifyType::Con;
  } else if (notify == "non") {
    settings.notify_type = NotifyType::Non;
  } else {
    bad_value(config, "notify_type", notify, "qos, con or non");
  }
  settings.subscribe_qos = read_qos(config, "subscribe_qos");
  settings.publish_qos = read_qos(config, "publish_qos");
  settings.mountpoint = config.text("mountpoint", "");
  settings.connection_required =
      config.boolean("connection_required", settings.connection_required);
  settings.zone = config.text("zone", settings.zone);
  if (!broker_settings.zones.contains(settings.zone)) {
    throw config::ConfigError(config.prefix() + "zone: unknown zone '" + settings.zone + "'");
  }
  settings.max_observations =
      static_cast<std::size_t>(config.number("max_observations", settings.max_observations, 65535));
  settings.max_queued_notifications = static_cast<std::size_t>(
      config.number("max_queued_notifications", settings.max_queued_notifications, 65535));
  // gatemq always counts (GatewayStats): the seed's statistics switch changes nothing.
  config.ignore("enable_stats");
  settings.dtls = read_dtls(config, broker_settings);
  settings.extra_endpoints = read_extra_endpoints(config, "bind.udp");
  config.finish();
  if (!enabled) return std::nullopt;
  return settings;
}

}  // namespace gatemq::gateway::coap
