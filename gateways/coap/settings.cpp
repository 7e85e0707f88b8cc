#include "gateways/coap/settings.hpp"

#include "core/config/config.hpp"
#include "gateways/coap/uri.hpp"

namespace gatemq::gateway::coap {

namespace {

QosPolicy read_qos(plugin::PluginConfig& config, std::string_view key) {
  const auto text = config.text(key, "coap");
  if (text == "coap") return {};
  if (auto qos = parse_qos(text)) return {false, *qos};
  config.bad_value(key, text, "qos0, qos1, qos2 or coap");
}

// The seed's coap.dtls.* keys: DTLS is on when coap.dtls.port is set.
constexpr DtlsKeys kDtlsKeys{.port = "dtls.port",
                             .certfile = "dtls.certfile",
                             .keyfile = "dtls.keyfile",
                             .cacertfile = "dtls.cacertfile",
                             .verify = "dtls.verify",
                             .fail_if_no_peer_cert = "dtls.fail_if_no_peer_cert",
                             .extra_endpoints = "bind.dtls",
                             .default_port = 5684,
                             .certfile_enables = false};

}  // namespace

std::optional<CoapSettings> read_settings(plugin::PluginConfig& config,
                                          const config::Settings& broker_settings) {
  CoapSettings settings;
  const bool enabled = config.boolean("enable", true);
  const auto address = config.listen_address("port", "5683");
  settings.udp = address.has_value();
  if (address) std::tie(settings.bind_address, settings.port) = *address;
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
    config.bad_value("notify_type", notify, "qos, con or non");
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
  settings.dtls = read_dtls_settings(config, kDtlsKeys, broker_settings);
  settings.extra_endpoints = read_extra_endpoints(config, "bind.udp");
  if (!settings.udp && !settings.extra_endpoints.empty()) {
    throw config::ConfigError(config.prefix() + "bind.udp.N needs " + config.prefix() + "port");
  }
  config.finish();
  if (!enabled) return std::nullopt;
  return settings;
}

}  // namespace gatemq::gateway::coap
