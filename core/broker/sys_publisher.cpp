#include "core/broker/sys_publisher.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace gatemq::broker {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "1 days, 2 hours, 3 minutes, 4 seconds", as the seed's status output words it.
std::string uptime_text(std::chrono::seconds elapsed) {
  const auto total = elapsed.count();
  const auto days = total / 86400;
  const auto hours = total % 86400 / 3600;
  const auto minutes = total % 3600 / 60;
  const auto seconds = total % 60;
  std::string text;
  if (days > 0) text += std::to_string(days) + " days, ";
  if (days > 0 || hours > 0) text += std::to_string(hours) + " hours, ";
  if (days > 0 || hours > 0 || minutes > 0) text += std::to_string(minutes) + " minutes, ";
  return text + std::to_string(seconds) + " seconds";
}

std::string datetime_text() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
  return buffer;
}

}  // namespace

SysPublisher::SysPublisher(Broker& broker, asio::io_context& context, std::string version)
    : broker_(broker),
      version_(std::move(version)),
      prefix_("$SYS/brokers/" + broker.settings().node.name + "/"),
      heartbeat_timer_(context),
      stats_timer_(context) {}

std::string SysPublisher::connected_payload(const ClientInfo& client, std::int64_t unix_seconds) {
  nlohmann::json payload{
      {"clientid", client.client_id},
      {"username", client.username ? nlohmann::json(*client.username) : nlohmann::json()},
      {"ipaddress", client.peer_host},
      {"connack", 0},
      {"ts", unix_seconds},
      {"proto_ver", client.proto_ver()},
      {"proto_name", client.proto_name()},
      {"clean_start", client.clean_start},
      {"keepalive", client.keepalive},
  };
  return payload.dump();
}

std::string SysPublisher::disconnected_payload(const ClientInfo& client, std::string_view reason,
                                               std::int64_t unix_seconds) {
  nlohmann::json payload{
      {"clientid", client.client_id},
      {"username", client.username ? nlohmann::json(*client.username) : nlohmann::json()},
      {"reason", reason},
      {"ts", unix_seconds},
  };
  return payload.dump();
}

void SysPublisher::start() {
  broker_.hooks().on_connected([this](const ClientInfo& client) {
    publish("clients/" + client.client_id + "/connected", connected_payload(client, unix_now()));
  });
  broker_.hooks().on_disconnected([this](const ClientInfo& client, std::string_view reason) {
    publish("clients/" + client.client_id + "/disconnected",
            disconnected_payload(client, reason, unix_now()));
  });
  // One node, no cluster: $SYS/brokers lists this node only.
  broker_.publish(make_message("$SYS/brokers", broker_.settings().node.name, 0, true, {}, ""));
  publish("version", version_, true);
  publish("sysdescr", "gatemq, an MQTT broker and protocol gateway", true);
  publish_heartbeat();
  publish_stats();
  arm(heartbeat_timer_, broker_.settings().broker.sys_heartbeat, &SysPublisher::publish_heartbeat);
  arm(stats_timer_, broker_.settings().broker.sys_interval, &SysPublisher::publish_stats);
}

void SysPublisher::stop() {
  stopped_ = true;
  heartbeat_timer_.cancel();
  stats_timer_.cancel();
}

void SysPublisher::arm(asio::steady_timer& timer, std::chrono::milliseconds period,
                       void (SysPublisher::*tick)()) {
  if (period.count() <= 0 || stopped_) return;  // 0 turns the topic group off
  timer.expires_after(period);
  timer.async_wait([this, &timer, period, tick](const std::error_code& error) {
    if (error || stopped_) return;
    (this->*tick)();
    arm(timer, period, tick);
  });
}

void SysPublisher::publish(std::string_view suffix, std::string payload, bool retain) {
  broker_.publish(
      make_message(prefix_ + std::string(suffix), std::move(payload), 0, retain, {}, ""));
}

void SysPublisher::publish_heartbeat() {
  publish("uptime", uptime_text(std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - broker_.started_at())));
  publish("datetime", datetime_text());
}

void SysPublisher::publish_stats() {
  for (const auto& [name, value] : broker_.stats()) {
    publish("stats/" + std::string(name), std::to_string(value));
  }
  const auto& metrics = broker_.metrics();
  for (std::size_t i = 0; i < kMetricNames.size(); ++i) {
    publish("metrics/" + std::string(kMetricNames[i]),
            std::to_string(metrics.get(static_cast<Metric>(i))));
  }
}

}  // namespace gatemq::broker
