// What an operator changes on the running node: the log level, the ACL (reload, caches) and the
// live part of the configuration (`gatemq ctl reload`, the same work as SIGHUP). The work itself
// belongs to the server (AdminActions); these handlers only check the request and report.
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "management/api.hpp"

namespace gatemq::management {

namespace {

// The action, or 404 when this node was started without it.
template <class F>
const F& available(const F& action, const char* what) {
  if (!action) throw ApiError(404, ErrorCode::Unknown, std::string(what) + " is not available");
  return action;
}

std::string current_log_level() {
  // spdlog says "warning", "error", ...: the seed's names for the levels it shares.
  const auto name = spdlog::level::to_string_view(spdlog::default_logger()->level());
  return std::string(name.data(), name.size());
}

Response set_log_level(const ApiContext& context, const Request& request) {
  const auto body = request.json_body();
  if (!body.is_object() || !body.contains("level")) {
    throw ApiError(400, ErrorCode::MissingParameter, "missing 'level'");
  }
  if (!body["level"].is_string()) {
    throw ApiError(400, ErrorCode::ParameterType, "'level' must be a string");
  }
  try {
    available(context.admin.set_log_level, "log level")(body["level"].get<std::string>());
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, ErrorCode::ParameterType, e.what());
  }
  spdlog::warn("management API: log level set to {}", current_log_level());
  return ok(Json{{"level", current_log_level()}});
}

Response reload_acl(const ApiContext& context) {
  try {
    const auto rules = available(context.admin.reload_acl, "ACL reload")();
    spdlog::warn("management API: reloaded the ACL ({} rules)", rules);
    return ok(Json{{"rules", rules}});
  } catch (const std::runtime_error& e) {
    // A bad file is the operator's to fix, and the old rules stay: say so, as SIGHUP logs it.
    throw ApiError(400, ErrorCode::Unknown, std::string("ACL not reloaded: ") + e.what());
  }
}

Response reload(const ApiContext& context) {
  try {
    const auto reloaded = available(context.admin.reload, "reload")();
    return ok(Json{{"reloaded", reloaded}});
  } catch (const std::runtime_error& e) {
    throw ApiError(400, ErrorCode::Unknown, std::string("not reloaded: ") + e.what());
  }
}

Json trace_json(const TraceView& trace) {
  return Json{{"type", trace.kind},
              {"name", trace.name},
              {"level", trace.level},
              {"destination", trace.file}};
}

Response start_trace(const ApiContext& context, const Request& request) {
  const auto body = request.json_body();
  if (!body.is_object()) throw ApiError(400, ErrorCode::ParameterType, "expected a JSON object");
  TraceView trace;
  for (auto [name, target] : {std::pair{"type", &trace.kind}, std::pair{"name", &trace.name},
                              std::pair{"file", &trace.file}}) {
    const auto found = body.find(name);
    if (found == body.end()) {
      throw ApiError(400, ErrorCode::MissingParameter, std::string("missing '") + name + "'");
    }
    if (!found->is_string()) {
      throw ApiError(400, ErrorCode::ParameterType, std::string("'") + name + "' must be a string");
    }
    *target = found->get<std::string>();
  }
  trace.level = "debug";
  if (const auto level = body.find("level"); level != body.end()) {
    if (!level->is_string()) {
      throw ApiError(400, ErrorCode::ParameterType, "'level' must be a string");
    }
    trace.level = level->get<std::string>();
  }
  try {
    available(context.admin.start_trace, "trace")(trace);
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, ErrorCode::ParameterType, e.what());
  } catch (const std::runtime_error& e) {
    throw ApiError(400, ErrorCode::Unknown, e.what());
  }
  spdlog::warn("management API: tracing {} {} into {}", trace.kind, trace.name, trace.file);
  return ok(trace_json(trace));
}

}  // namespace

void register_admin_api(Router& router, const ApiContext& context) {
  const auto* c = &context;
  router.add("GET", "/log/level", "The log level", [](const Request&) {
    return ok(Json{{"level", current_log_level()}});
  });
  router.add("PUT", "/log/level", "Set the log level {level}",
             [c](const Request& r) { return set_log_level(*c, r); });
  router.add("POST", "/acl/reload", "Re-read acl_file (and empty every ACL cache)",
             [c](const Request&) { return reload_acl(*c); });
  router.add("DELETE", "/acl-cache", "Empty the ACL cache of every client", [c](const Request&) {
    const auto& clean = available(c->admin.clean_acl_cache, "ACL cache");
    std::size_t cleaned = 0;
    for (const auto& client : c->broker->client_snapshots()) {
      clean(client.client.client_id);
      ++cleaned;
    }
    return ok(Json{{"clients", cleaned}});
  });
  router.add("DELETE", "/clients/{clientid}/acl_cache", "Empty one client's ACL cache",
             [c](const Request& r) {
               const auto& client_id = r.param("clientid");
               if (!c->broker->client_snapshot(client_id)) {
                 throw ApiError(404, ErrorCode::NotOnline, "no such client: " + client_id);
               }
               available(c->admin.clean_acl_cache, "ACL cache")(client_id);
               return ok();
             });
  router.add("GET", "/trace", "Running traces", [c](const Request&) {
    Json list = Json::array();
    for (const auto& trace : available(c->admin.traces, "trace")()) {
      list.push_back(trace_json(trace));
    }
    return ok(std::move(list));
  });
  router.add("POST", "/trace", "Start a trace {type: client|topic, name, file, level}",
             [c](const Request& r) { return start_trace(*c, r); });
  router.add("DELETE", "/trace/{type}/{name...}", "Stop a trace", [c](const Request& r) {
    if (!available(c->admin.stop_trace, "trace")(r.param("type"), r.param("name"))) {
      throw ApiError(404, ErrorCode::Unknown, "no such trace: " + r.param("name"));
    }
    return ok();
  });
  router.add("POST", "/reload",
             "Re-read the configuration for what changes live (acl_file, log.level)",
             [c](const Request&) { return reload(*c); });
}

}  // namespace gatemq::management
