#include "management/ctl_format.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "management/api.hpp"  // format_datetime

namespace gatemq::management::ctl {

namespace {

// A JSON value as emqx_ctl prints Erlang terms: strings bare, null as `undefined`.
std::string text(const Json& value) {
  if (value.is_null()) return "undefined";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string field(const Json& object, const char* name) {
  const auto found = object.find(name);
  return found == object.end() ? "undefined" : text(*found);
}

std::string padded(std::string name, std::size_t width) {
  name.resize(width, ' ');
  return name;
}

}  // namespace

std::string format_status(const Json& broker) {
  return "Node '" + field(broker, "node") + "' is started\ngatemq " + field(broker, "version") +
         " is running\n";
}

std::string format_broker(const Json& broker) {
  std::string out;
  for (const char* name : {"sysdescr", "version", "uptime", "datetime"}) {
    out += padded(name, 10) + ": " + field(broker, name) + "\n";
  }
  return out;
}

std::string format_counters(const Json& counters, std::size_t width) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [name, value] : counters.items()) rows.emplace_back(name, text(value));
  std::ranges::sort(rows);
  std::string out;
  for (const auto& [name, value] : rows) out += padded(name, width) + ": " + value + "\n";
  return out;
}

std::string format_client(const Json& c) {
  return "Connection(" + field(c, "clientid") + ", clean_start=" + field(c, "clean_start") +
         ", username=" + field(c, "username") + ", peername=" + field(c, "ip_address") + ":" +
         field(c, "port") + ", protocol=" + field(c, "protocol") +
         ", proto_name=" + field(c, "proto_name") + ", proto_ver=" + field(c, "proto_ver") +
         ", keepalive=" + field(c, "keepalive") + ", connected_at=" + field(c, "connected_at") +
         ")\n";
}

std::string format_session(const Json& s) {
  return "Session(" + field(s, "clientid") + ", clean_start=" + field(s, "clean_start") +
         ", expiry_interval=" + field(s, "expiry_interval") +
         ", subscriptions_count=" + field(s, "subscriptions_cnt") +
         ", max_inflight=" + field(s, "max_inflight") + ", inflight=" + field(s, "inflight") +
         ", mqueue_len=" + field(s, "mqueue_len") +
         ", mqueue_dropped=" + field(s, "mqueue_dropped") +
         ", awaiting_rel=" + field(s, "awaiting_rel") + ", created_at=" + field(s, "created_at") +
         ")\n";
}

std::string format_subscription(const Json& s) {
  return field(s, "clientid") + " -> " + field(s, "topic") + ":" + field(s, "qos") + "\n";
}

std::string format_route(const Json& route) {
  return field(route, "topic") + " -> " + field(route, "node") + "\n";
}

std::string format_listener(const Json& l) {
  return "listener on " + field(l, "protocol") + ":" + field(l, "listen") + "\n" +
         "  acceptors       : " + field(l, "acceptors") + "\n" +
         "  max_conns       : " + field(l, "max_conns") + "\n" +
         "  current_conn    : " + field(l, "current_conns") + "\n" +
         "  shutdown_count  : " + field(l, "shutdown_count") + "\n";
}

std::string format_ban(const Json& b) {
  return "Banned(" + field(b, "who") + ", as=" + field(b, "as") + ", reason=" + field(b, "reason") +
         ", by=" + field(b, "by") + ", at=" + field(b, "at") + ", until=" + field(b, "until") +
         ")\n";
}

std::string format_plugin(const Json& p) {
  return "Plugin(" + field(p, "name") + ", version=" + field(p, "version") +
         ", description=" + field(p, "description") + ", active=" + field(p, "active") + ")\n";
}

std::string format_gateway(const Json& g) {
  std::string listeners;
  if (const auto found = g.find("listeners"); found != g.end() && found->is_array()) {
    for (const auto& listener : *found) {
      listeners += (listeners.empty() ? "" : "; ") + text(listener);
    }
  }
  return "Gateway(" + field(g, "name") + ", status=" + field(g, "status") +
         ", clients=" + field(g, "clients") + ", connects=" + field(g, "connects") +
         ", listeners=" + listeners + ")\n";
}

std::string format_alarm(const Json& a) {
  // The API gives milliseconds since the epoch; an operator reads a local date and time.
  std::string activated = field(a, "activate_at");
  if (const auto at = a.find("activate_at"); at != a.end() && at->is_number_integer()) {
    activated = format_datetime(
        std::chrono::system_clock::time_point(std::chrono::milliseconds(at->get<std::int64_t>())));
  }
  return "Alarm(" + field(a, "name") + ", message=" + field(a, "message") +
         ", activate_at=" + activated + ", details=" + field(a, "details") + ")\n";
}

}  // namespace gatemq::management::ctl
