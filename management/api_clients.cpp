// clients, sessions, subscriptions, routes and banned: the registry and router as seen from the
// API, plus kicking clients and managing bans.
#include <algorithm>

#include "management/api.hpp"

namespace gatemq::management {

namespace {

using broker::ClientSnapshot;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The seed's client filters: exact `username`, `zone`, `protocol`, `ip_address`, `proto_ver`,
// and substrings `_like_clientid`, `_like_username`.
bool passes_filters(const ClientSnapshot& c, const QueryParams& query) {
  const auto& info = c.client;
  const auto check = [&](const char* name, auto&& accept) {
    const auto* value = query_value(query, name);
    return value == nullptr || accept(*value);
  };
  return check("username", [&](const auto& v) { return info.username == v; }) &&
         check("zone", [&](const auto& v) { return info.zone == v; }) &&
         check("protocol", [&](const auto& v) { return info.protocol == v; }) &&
         check("ip_address", [&](const auto& v) { return info.peer_host == v; }) &&
         check("proto_ver", [&](const auto& v) { return std::to_string(info.proto_ver()) == v; }) &&
         check("_like_clientid", [&](const auto& v) { return contains(info.client_id, v); }) &&
         check("_like_username",
               [&](const auto& v) { return info.username && contains(*info.username, v); });
}

std::vector<ClientSnapshot> connected_clients(const ApiContext& context, const Request& request) {
  auto all = context.broker->client_snapshots();
  std::erase_if(all, [&](const ClientSnapshot& c) {
    return !c.connected || !passes_filters(c, request.query);
  });
  return all;
}

Response client_list(const ApiContext& context, const Request& request) {
  return paged(context, request, connected_clients(context, request),
               [&](const ClientSnapshot& c) { return client_json(context, c); });
}

// The client (connected or with a session); 404 / 112 when there is none.
ClientSnapshot find_client(const ApiContext& context, const std::string& client_id) {
  auto client = context.broker->client_snapshot(client_id);
  if (!client) throw ApiError(404, ErrorCode::NotOnline, "no such client: " + client_id);
  return *client;
}

Response kick(const ApiContext& context, const std::string& client_id) {
  if (!context.broker->kick(client_id)) {
    throw ApiError(404, ErrorCode::NotOnline, "client is not connected: " + client_id);
  }
  return ok();
}

Json subscription_json(const ApiContext& context, const broker::SubscriptionSnapshot& s) {
  return Json{{"node", context.broker->settings().node.name},
              {"clientid", s.client_id},
              {"topic", s.filter},
              {"qos", s.qos}};
}

Response subscription_list(const ApiContext& context, const Request& request,
                           const std::optional<std::string>& client_id) {
  auto subscriptions = context.broker->subscription_snapshots(client_id);
  const auto* topic = query_value(request.query, "topic");
  const auto* qos = query_value(request.query, "qos");
  std::erase_if(subscriptions, [&](const broker::SubscriptionSnapshot& s) {
    return (topic && s.filter != *topic) || (qos && std::to_string(s.qos) != *qos);
  });
  return paged(context, request, std::move(subscriptions),
               [&](const auto& s) { return subscription_json(context, s); });
}

Json route_json(const ApiContext& context, const std::string& topic) {
  return Json{{"topic", topic}, {"node", context.broker->settings().node.name}};
}

// --- banned ---

using Banned = broker::BannedClients;

Json ban_json(const Banned::Entry& entry) {
  const auto seconds = [](Banned::SystemClock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  };
  return Json{{"who", entry.value},      {"as", Banned::kind_name(entry.kind)},
              {"reason", entry.reason},  {"by", entry.by},
              {"at", seconds(entry.at)}, {"until", seconds(entry.until)}};
}

Banned::Kind ban_kind(const std::string& as) {
  auto kind = Banned::parse_kind(as);
  if (!kind) {
    throw ApiError(400, ErrorCode::ParameterType,
                   "'as' must be clientid, username or peerhost, not '" + as + "'");
  }
  return *kind;
}

// A string field of a JSON object; nullopt when absent and not `required`.
std::optional<std::string> string_field(const Json& body, const char* name, bool required) {
  if (!body.is_object()) throw ApiError(400, ErrorCode::ParameterType, "expected a JSON object");
  const auto found = body.find(name);
  if (found == body.end()) {
    if (required) {
      throw ApiError(400, ErrorCode::MissingParameter, std::string("missing '") + name + "'");
    }
    return std::nullopt;
  }
  if (!found->is_string()) {
    throw ApiError(400, ErrorCode::ParameterType, std::string("'") + name + "' must be a string");
  }
  return found->get<std::string>();
}

Response add_ban(const ApiContext& context, const Request& request) {
  const auto body = request.json_body();
  Banned::Entry entry;
  entry.value = *string_field(body, "who", true);
  entry.kind = ban_kind(string_field(body, "as", false).value_or("clientid"));
  entry.reason = string_field(body, "reason", false).value_or("");
  entry.by = string_field(body, "by", false).value_or("management API");
  entry.at = Banned::SystemClock::now();
  // `until` in seconds since the epoch, as the seed's banned API takes it; five minutes when
  // left out, like EMQX.
  entry.until = entry.at + std::chrono::minutes(5);
  if (const auto until = body.find("until"); until != body.end()) {
    if (!until->is_number_integer()) {
      throw ApiError(400, ErrorCode::ParameterType, "'until' must be seconds since the epoch");
    }
    entry.until = Banned::SystemClock::time_point(std::chrono::seconds(until->get<std::int64_t>()));
  }
  auto json = ban_json(entry);
  context.broker->banned().add(std::move(entry));
  return ok(std::move(json));
}

}  // namespace

void register_client_api(Router& router, const ApiContext& context) {
  const auto* c = &context;
  router.add("GET", "/clients",
             "Connected clients (paginated; filters username, zone, protocol, "
             "ip_address, proto_ver, _like_clientid, _like_username)",
             [c](const Request& r) { return client_list(*c, r); });
  router.add("GET", "/nodes/{node}/clients", "Connected clients of a node (paginated)",
             [c](const Request& r) {
               require_node(*c, r.param("node"));
               return client_list(*c, r);
             });
  router.add("GET", "/clients/{clientid}", "One client (connected or with a session)",
             [c](const Request& r) {
               return ok(Json::array({client_json(*c, find_client(*c, r.param("clientid")))}));
             });
  router.add("GET", "/nodes/{node}/clients/{clientid}", "One client of a node",
             [c](const Request& r) {
               require_node(*c, r.param("node"));
               return ok(Json::array({client_json(*c, find_client(*c, r.param("clientid")))}));
             });
  router.add("DELETE", "/clients/{clientid}", "Kick a client (MQTT 5: DISCONNECT 0x98)",
             [c](const Request& r) { return kick(*c, r.param("clientid")); });
  router.add("GET", "/clients/username/{username}", "Connected clients with this username",
             [c](const Request& r) {
               Request filtered = r;
               filtered.query.emplace("username", r.param("username"));
               return client_list(*c, filtered);
             });
  router.add("GET", "/clients/{clientid}/subscriptions", "A client's subscriptions",
             [c](const Request& r) {
               find_client(*c, r.param("clientid"));
               return subscription_list(*c, r, r.param("clientid"));
             });

  const auto session_list = [c](const Request& r) {
    return paged(*c, r, c->broker->client_snapshots(),
                 [c](const ClientSnapshot& s) { return session_json(*c, s); });
  };
  const auto one_session = [c](const Request& r) {
    return ok(Json::array({session_json(*c, find_client(*c, r.param("clientid")))}));
  };
  router.add("GET", "/sessions", "Every session, connected or not (paginated)", session_list);
  router.add("GET", "/sessions/{clientid}", "One session", one_session);
  router.add("GET", "/nodes/{node}/sessions", "Sessions of a node (paginated)",
             [c, session_list](const Request& r) {
               require_node(*c, r.param("node"));
               return session_list(r);
             });
  router.add("GET", "/nodes/{node}/sessions/{clientid}", "One session of a node",
             [c, one_session](const Request& r) {
               require_node(*c, r.param("node"));
               return one_session(r);
             });

  router.add("GET", "/subscriptions", "Every subscription (paginated; filters topic, qos)",
             [c](const Request& r) { return subscription_list(*c, r, std::nullopt); });
  router.add("GET", "/subscriptions/{clientid}", "A client's subscriptions",
             [c](const Request& r) { return subscription_list(*c, r, r.param("clientid")); });
  router.add("GET", "/nodes/{node}/subscriptions", "Subscriptions of a node (paginated)",
             [c](const Request& r) {
               require_node(*c, r.param("node"));
               return subscription_list(*c, r, std::nullopt);
             });
  router.add("GET", "/nodes/{node}/subscriptions/{clientid}", "A client's subscriptions",
             [c](const Request& r) {
               require_node(*c, r.param("node"));
               return subscription_list(*c, r, r.param("clientid"));
             });

  router.add("GET", "/routes", "Every route: filters with subscribers (paginated)",
             [c](const Request& r) {
               return paged(*c, r, c->broker->route_filters(),
                            [c](const std::string& t) { return route_json(*c, t); });
             });
  router.add("GET", "/routes/{topic...}", "The route of one filter (percent-encode + and #)",
             [c](const Request& r) {
               const auto filters = c->broker->route_filters();
               Json data = Json::array();
               if (std::ranges::binary_search(filters, r.param("topic"))) {
                 data.push_back(route_json(*c, r.param("topic")));
               }
               return ok(std::move(data));
             });

  router.add("GET", "/banned", "Banned clients, usernames and hosts (paginated)",
             [c](const Request& r) { return paged(*c, r, c->broker->banned().list(), ban_json); });
  router.add("POST", "/banned", "Ban {who, as, reason, until}",
             [c](const Request& r) { return add_ban(*c, r); });
  router.add("DELETE", "/banned/{as}/{who}", "Lift a ban", [c](const Request& r) {
    if (!c->broker->banned().remove(ban_kind(r.param("as")), r.param("who"))) {
      throw ApiError(404, ErrorCode::Unknown, "no such ban: " + r.param("who"));
    }
    return ok();
  });
}

}  // namespace gatemq::management
