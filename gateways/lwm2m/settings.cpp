#include "gateways/lwm2m/settings.hpp"

#include <system_error>

#include "core/config/config.hpp"
#include "gateways/lwm2m/path.hpp"

#ifndef GATEMQ_LWM2M_XML_DIR
#define GATEMQ_LWM2M_XML_DIR "lwm2m_xml"
#endif

namespace gatemq::gateway::lwm2m {

namespace {

std::chrono::seconds read_seconds(plugin::PluginConfig& config, std::string_view key,
                                  std::chrono::seconds fallback) {
  return std::chrono::duration_cast<std::chrono::seconds>(config.duration(key, fallback));
}

std::string read_topic(plugin::PluginConfig& config, std::string_view key,
                       const std::string& fallback) {
  auto topic = config.text(key, fallback);
  if (topic.empty()) config.bad_value(key, topic, "a topic");
  return topic;
}

// off | on | "/3/0,/3303" (a comma-separated list of LwM2M paths).
void read_auto_observe(plugin::PluginConfig& config, Lwm2mSettings& settings) {
  const auto text = config.text("auto_observe", "off");
  if (text == "off" || text == "false") return;
  if (text == "on" || text == "true") {
    settings.auto_observe_all = true;
    return;
  }
  std::string_view rest(text);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!Path::parse(item)) config.bad_value("auto_observe", text, "off, on or a list of paths");
    settings.auto_observe_paths.emplace_back(item);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
}

}  // namespace

std::filesystem::path default_xml_dir() {
  std::error_code error;
  if (std::filesystem::is_directory("lwm2m_xml", error)) return "lwm2m_xml";
  return GATEMQ_LWM2M_XML_DIR;
}

// The seed turns DTLS on by naming lwm2m.certfile / lwm2m.keyfile; lwm2m.dtls.port moves it or
// turns it on for PSK alone (psk.file.path). 5784 pairs with 5783 as CoAP's 5684 with 5683.
constexpr coap::DtlsKeys kDtlsKeys{.port = "dtls.port",
                                   .certfile = "certfile",
                                   .keyfile = "keyfile",
                                   .cacertfile = "cacertfile",
                                   .verify = "dtls.verify",
                                   .fail_if_no_peer_cert = "dtls.fail_if_no_peer_cert",
                                   .extra_endpoints = {},
                                   .default_port = 5784,
                                   .certfile_enables = true};

std::uint16_t Lwm2mSettings::format_for(std::string_view lwm2m_version) const {
  return lwm2m_version == "1.0" ? content_format::kOmaTlv : default_format_1_1;
}

std::optional<Lwm2mSettings> read_settings(plugin::PluginConfig& config,
                                           const config::Settings& broker_settings) {
  Lwm2mSettings settings;
  const bool enabled = config.boolean("enable", true);
  const auto address = config.listen_address("port", "5783");
  settings.udp = address.has_value();
  if (address) std::tie(settings.bind_address, settings.port) = *address;
  settings.lifetime_min = read_seconds(config, "lifetime_min", settings.lifetime_min);
  settings.lifetime_max = read_seconds(config, "lifetime_max", settings.lifetime_max);
  if (settings.lifetime_min < std::chrono::seconds(1)) {
    throw config::ConfigError(config.prefix() + "lifetime_min: must be at least 1s");
  }
  if (settings.lifetime_max < settings.lifetime_min) {
    throw config::ConfigError(config.prefix() + "lifetime_max: must not be below lifetime_min");
  }
  settings.qmode_time_window = config.duration("qmode_time_window", settings.qmode_time_window);
  read_auto_observe(config, settings);
  settings.mountpoint = config.text("mountpoint", "");
  settings.topics.command = read_topic(config, "topics.command", settings.topics.command);
  settings.topics.response = read_topic(config, "topics.response", settings.topics.response);
  settings.topics.notify = read_topic(config, "topics.notify", settings.topics.notify);
  settings.topics.register_ = read_topic(config, "topics.register", settings.topics.register_);
  settings.topics.update = read_topic(config, "topics.update", settings.topics.update);
  const auto condition = config.text("update_msg_publish_condition", "contains_object_list");
  if (condition == "contains_object_list") {
    settings.update_publish_condition = UpdatePublishCondition::ContainsObjectList;
  } else if (condition == "always") {
    settings.update_publish_condition = UpdatePublishCondition::Always;
  } else {
    config.bad_value("update_msg_publish_condition", condition, "contains_object_list or always");
  }
  const auto xml_dir = config.text("xml_dir", "");
  settings.xml_dir = xml_dir.empty() ? default_xml_dir() : std::filesystem::path(xml_dir);
  settings.zone = config.text("zone", settings.zone);
  if (!broker_settings.zones.contains(settings.zone)) {
    throw config::ConfigError(config.prefix() + "zone: unknown zone '" + settings.zone + "'");
  }
  settings.ack_timeout = config.duration("ack_timeout", settings.ack_timeout);
  if (settings.ack_timeout < std::chrono::milliseconds(100) ||
      settings.ack_timeout > std::chrono::seconds(60)) {
    throw config::ConfigError(config.prefix() + "ack_timeout: must be from 100ms to 60s");
  }
  settings.max_retransmit =
      static_cast<unsigned>(config.number("max_retransmit", settings.max_retransmit, 10));
  settings.command_timeout = config.duration("command_timeout", settings.command_timeout);
  if (settings.command_timeout < std::chrono::seconds(1)) {
    throw config::ConfigError(config.prefix() + "command_timeout: must be at least 1s");
  }
  const auto format = config.text("default_format_1_1", "senml-cbor");
  // TLV, SenML CBOR and SenML JSON carry any read answer and batch write; text, opaque and
  // OMA-JSON do not.
  const auto format_number = content_format::from_name(format);
  if (format_number != content_format::kSenmlCbor && format_number != content_format::kSenmlJson &&
      format_number != content_format::kOmaTlv) {
    config.bad_value("default_format_1_1", format, "senml-cbor, senml-json or tlv");
  }
  settings.default_format_1_1 = *format_number;
  settings.dtls = coap::read_dtls_settings(config, kDtlsKeys, broker_settings);
  const bool identity_is_endpoint = config.boolean("dtls.identity_is_endpoint", false);
  if (settings.dtls) settings.dtls->identity_is_endpoint = identity_is_endpoint;
  // Documented by the seed, not acted on yet: running behind a CoAP proxy.
  config.ignore("lb");
  config.finish();
  if (!enabled) return std::nullopt;
  return settings;
}

}  // namespace gatemq::gateway::lwm2m
