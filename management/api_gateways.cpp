// Gateways and their clients. A gateway client is a full broker client whose `protocol` is the
// gateway's name, so listing, showing and kicking go through the same registry as MQTT clients.
#include "management/api.hpp"

namespace gatemq::management {

namespace {

GatewayView find_gateway(const ApiContext& context, const std::string& name) {
  for (auto& gateway : context.gateways()) {
    if (gateway.name == name) return gateway;
  }
  throw ApiError(404, ErrorCode::Unknown, "no such gateway (or it is off): " + name);
}

Json gateway_json(const GatewayView& gateway) {
  Json json{{"name", gateway.name},
            {"plugin", gateway.plugin},
            {"status", "running"},
            {"listeners", gateway.listeners}};
  for (const auto& [counter, value] : gateway.counters) json[counter] = value;
  return json;
}

// The gateway's client, connected or with a session; 404/112 otherwise.
broker::ClientSnapshot gateway_client(const ApiContext& context, const Request& request) {
  const auto gateway = find_gateway(context, request.param("name"));
  auto client = context.broker->client_snapshot(request.param("clientid"));
  if (!client || client->client.protocol != gateway.name) {
    throw ApiError(404, ErrorCode::NotOnline,
                   "no such " + gateway.name + " client: " + request.param("clientid"));
  }
  return *client;
}

Json plugin_json(const ApiContext& context, const PluginView& plugin) {
  return Json{{"name", plugin.name},
              {"version", context.version},
              {"description", plugin.description},
              {"active", plugin.active},
              {"type", plugin.type}};
}

Json plugin_list(const ApiContext& context) {
  Json list = Json::array();
  for (const auto& plugin : context.plugins()) list.push_back(plugin_json(context, plugin));
  return list;
}

// Runs one of the plugin actions and maps its exceptions to the seed's error codes: 110 "plugin
// has been loaded", 111 "plugin has been unloaded"; an unknown name is a 404.
Response change_plugin(const ApiContext& context, const std::string& action,
                       const std::string& name) {
  const auto& run = action == "load"     ? context.admin.load_plugin
                    : action == "unload" ? context.admin.unload_plugin
                                         : context.admin.reload_plugin;
  if (!run) throw ApiError(404, ErrorCode::Unknown, "plugins " + action + " is not available");
  try {
    run(name);
  } catch (const plugin::NotFound& e) {
    throw ApiError(404, ErrorCode::Unknown, e.what());
  } catch (const plugin::AlreadyLoaded& e) {
    throw ApiError(400, ErrorCode::PluginLoaded, e.what());
  } catch (const plugin::NotLoaded& e) {
    throw ApiError(400, ErrorCode::PluginUnloaded, e.what());
  } catch (const std::exception& e) {
    throw ApiError(400, ErrorCode::Unknown, "plugins " + action + " " + name + ": " + e.what());
  }
  return ok();
}

}  // namespace

void register_gateway_api(Router& router, const ApiContext& context) {
  const auto* c = &context;
  // Plugins (core/plugin/plugin.hpp): compiled in, loaded at start-up from plugins.loaded_file
  // (or by their `enable` key without one), loaded, unloaded or reloaded (section read again)
  // while the node runs.
  router.add("GET", "/plugins", "Compiled-in plugins, every node", [c](const Request&) {
    return ok(Json::array(
        {Json{{"node", c->broker->settings().node.name}, {"plugins", plugin_list(*c)}}}));
  });
  router.add("GET", "/nodes/{node}/plugins", "Compiled-in plugins of a node",
             [c](const Request& r) {
               require_node(*c, r.param("node"));
               return ok(plugin_list(*c));
             });
  for (const std::string action : {"load", "unload", "reload"}) {
    router.add(
        "PUT", "/plugins/{plugin}/" + action, "Plugin " + action + " (this node)",
        [c, action](const Request& r) { return change_plugin(*c, action, r.param("plugin")); });
    router.add("PUT", "/nodes/{node}/plugins/{plugin}/" + action, "Plugin " + action + " on a node",
               [c, action](const Request& r) {
                 require_node(*c, r.param("node"));
                 return change_plugin(*c, action, r.param("plugin"));
               });
  }
  // The seed's form: {"active": true|false}.
  router.add("PUT", "/nodes/{node}/plugins/{plugin}", "Start or stop a plugin on a node",
             [c](const Request& r) {
               require_node(*c, r.param("node"));
               const auto body = r.json_body();
               if (!body.is_object() || !body.contains("active")) {
                 throw ApiError(400, ErrorCode::MissingParameter, "missing 'active'");
               }
               if (!body["active"].is_boolean()) {
                 throw ApiError(400, ErrorCode::ParameterType, "'active' must be true or false");
               }
               return change_plugin(*c, body["active"].get<bool>() ? "load" : "unload",
                                    r.param("plugin"));
             });
  router.add("GET", "/gateways", "Running gateways with their counters", [c](const Request&) {
    Json list = Json::array();
    for (const auto& gateway : c->gateways()) list.push_back(gateway_json(gateway));
    return ok(std::move(list));
  });
  router.add("GET", "/gateways/{name}", "One gateway",
             [c](const Request& r) { return ok(gateway_json(find_gateway(*c, r.param("name")))); });
  router.add("GET", "/gateways/{name}/clients", "A gateway's connected clients (paginated)",
             [c](const Request& r) {
               const auto gateway = find_gateway(*c, r.param("name"));
               auto clients = c->broker->client_snapshots();
               std::erase_if(clients, [&](const broker::ClientSnapshot& s) {
                 return !s.connected || s.client.protocol != gateway.name;
               });
               return paged(*c, r, std::move(clients),
                            [c](const auto& s) { return client_json(*c, s); });
             });
  router.add(
      "GET", "/gateways/{name}/clients/{clientid}", "One gateway client",
      [c](const Request& r) { return ok(Json::array({client_json(*c, gateway_client(*c, r))})); });
  router.add("DELETE", "/gateways/{name}/clients/{clientid}", "Kick a gateway client",
             [c](const Request& r) {
               const auto client = gateway_client(*c, r);
               if (!c->broker->kick(client.client.client_id)) {
                 throw ApiError(404, ErrorCode::NotOnline,
                                "client is not connected: " + client.client.client_id);
               }
               return ok();
             });
  router.add("GET", "/gateways/{name}/clients/{clientid}/subscriptions",
             "A gateway client's subscriptions", [c](const Request& r) {
               const auto client = gateway_client(*c, r);
               Json list = Json::array();
               for (const auto& s : c->broker->subscription_snapshots(client.client.client_id)) {
                 list.push_back(Json{{"node", c->broker->settings().node.name},
                                     {"clientid", s.client_id},
                                     {"topic", s.filter},
                                     {"qos", s.qos}});
               }
               return ok(std::move(list));
             });
}

}  // namespace gatemq::management
