#include "management/api.hpp"

#include <ctime>

namespace gatemq::management {

void register_api(Router& router, const ApiContext& context) {
  register_node_api(router, context);
  register_client_api(router, context);
  register_pubsub_api(router, context);
  register_gateway_api(router, context);
  register_admin_api(router, context);
  register_alarm_api(router, context);
}

std::string format_datetime(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string format_uptime(std::chrono::seconds uptime) {
  const auto total = uptime.count();
  const auto hours = total / 3600;
  const auto minutes = total / 60 % 60;
  const auto seconds = total % 60;
  std::string text;
  if (hours > 0) text += std::to_string(hours) + " hours, ";
  if (hours > 0 || minutes > 0) text += std::to_string(minutes) + " minutes, ";
  return text + std::to_string(seconds) + " seconds";
}

void require_node(const ApiContext& context, const std::string& node) {
  if (node != context.broker->settings().node.name) {
    throw ApiError(404, ErrorCode::BadRpc, "no such node: " + node);
  }
}

Json client_json(const ApiContext& context, const broker::ClientSnapshot& c) {
  const auto& info = c.client;
  Json json = Json::object();
  json["node"] = context.broker->settings().node.name;
  json["clientid"] = info.client_id;
  json["username"] = info.username ? Json(*info.username) : Json(nullptr);
  json["protocol"] = info.protocol;
  json["proto_name"] = info.proto_name();
  json["proto_ver"] = info.proto_ver();
  json["ip_address"] = info.peer_host;
  json["port"] = info.peer_port;
  json["listener"] = info.listener;
  json["zone"] = info.zone;
  json["mountpoint"] = info.mountpoint;
  json["connected"] = c.connected;
  json["connected_at"] = format_datetime(c.connected_at);
  json["created_at"] = format_datetime(c.created_at);
  json["clean_start"] = info.clean_start;
  json["keepalive"] = info.keepalive;
  json["expiry_interval"] = c.expiry_interval;
  json["subscriptions_cnt"] = c.session.subscriptions;
  json["inflight"] = c.session.inflight;
  json["max_inflight"] = c.max_inflight;
  json["mqueue_len"] = c.session.queued;
  json["mqueue_dropped"] = c.session.dropped;
  json["awaiting_rel"] = c.session.awaiting_rel;
  return json;
}

Json session_json(const ApiContext& context, const broker::ClientSnapshot& c) {
  Json json = Json::object();
  json["node"] = context.broker->settings().node.name;
  json["clientid"] = c.client.client_id;
  json["connected"] = c.connected;
  json["clean_start"] = c.client.clean_start;
  json["expiry_interval"] = c.expiry_interval;
  json["subscriptions_cnt"] = c.session.subscriptions;
  json["max_inflight"] = c.max_inflight;
  json["inflight"] = c.session.inflight;
  json["mqueue_len"] = c.session.queued;
  json["mqueue_dropped"] = c.session.dropped;
  json["awaiting_rel"] = c.session.awaiting_rel;
  json["created_at"] = format_datetime(c.created_at);
  return json;
}

}  // namespace gatemq::management
