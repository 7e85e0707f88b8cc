// The management API's resources, registered on a Router. Handlers run on the HTTP server's own
// threads and reach the broker only through its thread-safe calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/plugin/plugin.hpp"
#include "management/router.hpp"

namespace gatemq::management {

// One listener as `listeners` shows it.
struct ListenerView {
  std::string protocol;  // "mqtt:tcp", "mqtt:ws", "tcp-gateway:...", "http:management"
  std::string listen;    // "0.0.0.0:1883"
  std::uint64_t max_conns = 0;
  std::function<std::uint64_t()> current_conns;  // live connections now
};

// One loaded gateway: its name is also the `protocol` of its clients.
struct GatewayView {
  std::string name;    // "stomp"
  std::string plugin;  // "emqx_stomp"
  std::vector<std::string> listeners;
  std::vector<std::pair<std::string, std::uint64_t>> counters;  // clients, connects, ...
};

// A compiled-in plugin as `plugins list` shows it, loaded or not.
struct PluginView {
  std::string name;  // "emqx_stomp"
  std::string description;
  std::string type;     // "protocol", "auth", ...
  bool active = false;  // loaded
};

// One running trace: the log lines mentioning a client id or a topic, copied to a file.
struct TraceView {
  std::string kind;   // "client" or "topic"
  std::string name;   // the client id or topic
  std::string file;   // as given, relative to the node's working directory
  std::string level;  // the lowest level copied: "debug", "info", ...
};

// What the API can change on the running node, supplied by the server (app/) so the API
// holds no pointer into auth or logging. Each is safe to call from the HTTP threads; an empty
// function means the action is not available and its endpoint answers 404.
struct AdminActions {
  // Re-reads acl_file and empties every ACL cache; returns the rule count. Throws
  // std::runtime_error naming the file (line) and keeps the old rules on a bad file.
  std::function<std::size_t()> reload_acl;
  // Empties one client's ACL cache.
  std::function<void(const std::string& client_id)> clean_acl_cache;
  // Sets the log level by the seed's names (debug, info, warning, error, ...); throws
  // std::invalid_argument for an unknown one.
  std::function<void(const std::string& level)> set_log_level;
  // Re-reads the configuration for what can change live; returns what was reloaded.
  std::function<std::vector<std::string>()> reload;
  // Traces: start throws std::invalid_argument (kind, level) or std::runtime_error (the file);
  // stop says whether there was one.
  std::function<void(const TraceView&)> start_trace;
  std::function<bool(const std::string& kind, const std::string& name)> stop_trace;
  std::function<std::vector<TraceView>()> traces;
  // Plugins on the running node. Each throws plugin::NotFound, plugin::AlreadyLoaded /
  // plugin::NotLoaded, config::ConfigError or std::runtime_error (its section, an address in
  // use), changing nothing then.
  std::function<void(const std::string& name)> load_plugin;
  std::function<void(const std::string& name)> unload_plugin;
  std::function<void(const std::string& name)> reload_plugin;
};

struct ApiContext {
  broker::Broker* broker = nullptr;  // null only where routes are listed, never called
  std::string version;
  std::vector<ListenerView> listeners;
  // Plugins and with them gateways come and go (load/unload): asked for each request.
  std::function<std::vector<GatewayView>()> gateways;
  std::function<std::vector<PluginView>()> plugins;
  std::uint64_t max_row_limit = 10000;  // management.max_row_limit
  AdminActions admin;
};

// Registers every endpoint. `context` must outlive the router.
void register_api(Router& router, const ApiContext& context);

// Split by resource family (api_node.cpp, api_clients.cpp, api_pubsub.cpp, api_gateways.cpp,
// api_admin.cpp, api_alarms.cpp).
void register_node_api(Router& router, const ApiContext& context);
void register_client_api(Router& router, const ApiContext& context);
void register_pubsub_api(Router& router, const ApiContext& context);
void register_gateway_api(Router& router, const ApiContext& context);
void register_admin_api(Router& router, const ApiContext& context);
void register_alarm_api(Router& router, const ApiContext& context);

// Shared helpers of the handlers.
std::string format_datetime(std::chrono::system_clock::time_point at);  // "2026-11-25 12:00:00"
std::string format_uptime(std::chrono::seconds uptime);  // "1 hours, 2 minutes, 3 seconds"
// 404 with code 101 unless `node` is this node's name.
void require_node(const ApiContext& context, const std::string& node);
Json client_json(const ApiContext& context, const broker::ClientSnapshot& client);
Json session_json(const ApiContext& context, const broker::ClientSnapshot& client);
// A page of `items` in the envelope, `to_json` applied to each.
template <class T, class F>
Response paged(const ApiContext& context, const Request& request, std::vector<T> items,
               F&& to_json) {
  PageMeta meta;
  const auto page =
      page_of(std::move(items), parse_page(request.query, context.max_row_limit), meta);
  Json data = Json::array();
  for (const auto& item : page) data.push_back(to_json(item));
  return ok_page(std::move(data), meta);
}

}  // namespace gatemq::management
