// brokers, nodes, stats, metrics and listeners: what the node is and how it is doing. Each
// resource answers both for every node (this one: no cluster yet) and for one node by name,
// under EMQX 4's paths and the seed's /monitoring/... ones.
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include "core/broker/metrics.hpp"
#include "management/api.hpp"

namespace gatemq::management {

namespace {

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t max_fds() {
  rlimit limit{};
  return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 0;
}

std::chrono::seconds uptime(const broker::Broker& broker) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                          broker.started_at());
}

Json broker_json(const ApiContext& context) {
  const auto& broker = *context.broker;
  return Json{{"node", broker.settings().node.name},
              {"node_status", "Running"},
              {"sysdescr", "gatemq MQTT broker"},
              {"version", context.version},
              {"uptime", format_uptime(uptime(broker))},
              {"datetime", format_datetime(std::chrono::system_clock::now())}};
}

Json node_json(const ApiContext& context) {
  auto& broker = *context.broker;
  auto json = broker_json(context);
  json["connections"] = broker.counters().connections.load();
  json["sessions"] = broker.session_count();
  json["max_clients"] = broker.settings().node.max_clients;
  json["workers"] = broker.workers().size();
  json["memory_used"] = resident_bytes();
  json["max_fds"] = max_fds();
  return json;
}

Json stats_json(const ApiContext& context) {
  Json json = Json::object();
  for (const auto& stat : context.broker->stats()) json[std::string(stat.name)] = stat.value;
  return json;
}

Json metrics_json(const ApiContext& context) {
  Json json = Json::object();
  const auto& metrics = context.broker->metrics();
  for (std::size_t i = 0; i < broker::kMetricNames.size(); ++i) {
    json[std::string(broker::kMetricNames[i])] = metrics.get(static_cast<broker::Metric>(i));
  }
  return json;
}

Json listeners_json(const ApiContext& context) {
  Json list = Json::array();
  for (const auto& listener : context.listeners) {
    list.push_back(Json{{"protocol", listener.protocol},
                        {"listen", listener.listen},
                        {"acceptors", 1},
                        {"max_conns", listener.max_conns},
                        {"current_conns", listener.current_conns ? listener.current_conns() : 0},
                        {"shutdown_count", Json::array()}});
  }
  return list;
}

// Registers GET <all> (a list with one entry per node, `field` holding the node's value, or the
// value itself when `field` is empty) and GET <one> for a named node.
void add_per_node(Router& router, const ApiContext& context, const std::string& all,
                  const std::string& one, const std::string& field, const std::string& summary,
                  Json (*make)(const ApiContext&)) {
  router.add("GET", all, summary + ", every node", [&context, field, make](const Request&) {
    auto value = make(context);
    if (field.empty()) return ok(Json::array({std::move(value)}));
    return ok(Json::array(
        {Json{{"node", context.broker->settings().node.name}, {field, std::move(value)}}}));
  });
  router.add("GET", one, summary + ", one node", [&context, make](const Request& request) {
    require_node(context, request.param("node"));
    return ok(make(context));
  });
}

}  // namespace

void register_node_api(Router& router, const ApiContext& context) {
  add_per_node(router, context, "/brokers", "/brokers/{node}", "", "Broker version and uptime",
               broker_json);
  add_per_node(router, context, "/nodes", "/nodes/{node}", "", "Node status and load", node_json);
  add_per_node(router, context, "/management/nodes", "/management/nodes/{node}", "",
               "Node status (seed path)", node_json);
  add_per_node(router, context, "/monitoring/nodes", "/monitoring/nodes/{node}", "",
               "Node status (seed path)", node_json);
  add_per_node(router, context, "/stats", "/nodes/{node}/stats", "stats",
               "Statistics (connections/count, ...)", stats_json);
  add_per_node(router, context, "/monitoring/stats", "/monitoring/stats/{node}", "stats",
               "Statistics (seed path)", stats_json);
  add_per_node(router, context, "/metrics", "/nodes/{node}/metrics", "metrics",
               "Metrics (packets/..., messages/..., bytes/...)", metrics_json);
  add_per_node(router, context, "/monitoring/metrics", "/monitoring/metrics/{node}", "metrics",
               "Metrics (seed path)", metrics_json);
  add_per_node(router, context, "/listeners", "/nodes/{node}/listeners", "listeners",
               "Listeners and their connection counts", listeners_json);
  add_per_node(router, context, "/monitoring/listeners", "/monitoring/listeners/{node}",
               "listeners", "Listeners (seed path)", listeners_json);
}

}  // namespace gatemq::management
