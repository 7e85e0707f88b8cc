#include "management/ctl.hpp"

#include <httplib.h>

#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <stdexcept>

#include "management/ctl_format.hpp"
#include "management/envelope.hpp"

namespace gatemq::management::ctl {

const char* const kUsage =
    "usage: gatemq ctl [--config <file>] [--host <h>] [--port <p>] [--user <id:secret>] <command>\n"
    "  status                               node and version\n"
    "  broker [stats|metrics]               version and uptime, statistics, metrics\n"
    "  clients list|show <id>|kick <id>     connected clients\n"
    "  sessions list|show <id>              sessions, connected or not\n"
    "  subscriptions list|show <id>         subscriptions\n"
    "  subscriptions add <id> <topic> <qos> | del <id> <topic>\n"
    "  routes list|show <topic>             the routing table\n"
    "  listeners                            listeners and their connections\n"
    "  banned list|add <as> <who> [<seconds>] [<reason>]|del <as> <who>\n"
    "  gateways list|clients <name>         gateways and their clients\n"
    "  gateways show|kick <name> <id>       one gateway client\n"
    "  plugins list                         compiled-in plugins (emqx_stomp, ...), loaded or not\n"
    "  plugins load|unload|reload <name>    start, stop, or restart one with its file re-read\n"
    "  alarms list                          active alarms\n"
    "  acl reload                           re-read acl_file\n"
    "  acl cache-clean all|<id>             empty ACL caches\n"
    "  log set-level <level> | log primary-level\n"
    "  reload                               re-read what changes live (ACL, log.level)\n"
    "  trace list | trace start client|topic <name> <file> [<level>]\n"
    "  trace stop client|topic <name>       copy the log lines about a client or topic\n"
    "The node is found from --config (management.listener.http and\n"
    "management.default_application.*), else 127.0.0.1:8080 as admin/public.\n";

namespace {

// A command failed in a way to report on stderr with exit status 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

class Api {
 public:
  explicit Api(const Target& target) : target_(target), client_(target.host, target.port) {
    client_.set_connection_timeout(3);
    client_.set_read_timeout(30);
  }

  // The response envelope; throws Failure when the node cannot be reached. `not_found` says what
  // to do with a 404: return it (the caller prints "Not Found.") or fail.
  Json call(const std::string& method, const std::string& path, const std::string& body = "") {
    const httplib::Headers headers{{"Authorization", basic_auth_header(target_.credentials)}};
    const auto url = "/api/v4" + path;
    httplib::Result result = method == "GET"      ? client_.Get(url, headers)
                             : method == "DELETE" ? client_.Delete(url, headers)
                             : method == "PUT"
                                 ? client_.Put(url, headers, body, "application/json")
                                 : client_.Post(url, headers, body, "application/json");
    if (!result) {
      throw Failure("cannot reach the management API at " + target_.host + ":" +
                    std::to_string(target_.port) + " (" + httplib::to_string(result.error()) +
                    "): is the node running?");
    }
    Json envelope;
    try {
      envelope = Json::parse(result->body);
    } catch (const Json::parse_error&) {
      throw Failure("unexpected answer (HTTP " + std::to_string(result->status) + ")");
    }
    if (result->status == 401) {
      throw Failure("management API refused the credentials: " + envelope.value("message", ""));
    }
    last_status_ = result->status;
    return envelope;
  }
  int last_status() const { return last_status_; }

  Json data(const std::string& path) {
    auto envelope = call("GET", path);
    if (envelope.value("code", -1) != 0) throw Failure(envelope.value("message", "failed"));
    return envelope["data"];
  }

  // Every item of a paginated list, page by page.
  Json all(const std::string& path) {
    Json items = Json::array();
    for (std::uint64_t page = 1;; ++page) {
      auto envelope = call("GET", path + "?_page=" + std::to_string(page));
      if (envelope.value("code", -1) != 0) throw Failure(envelope.value("message", "failed"));
      for (auto& item : envelope["data"]) items.push_back(std::move(item));
      const auto& meta = envelope["meta"];
      const auto limit = meta.value("limit", std::uint64_t{0});
      if (limit == 0 || page * limit >= meta.value("count", std::uint64_t{0})) break;
    }
    return items;
  }

 private:
  Target target_;
  httplib::Client client_;
  int last_status_ = 0;
};

// The reason upstream's ctl prints after "Load plugin X error: " for the seed's answers.
std::string plugin_error_reason(int status, const Json& envelope) {
  const auto code = envelope.value("code", -1);
  if (code == static_cast<int>(ErrorCode::PluginLoaded)) return "already_started";
  if (code == static_cast<int>(ErrorCode::PluginUnloaded)) return "not_started";
  if (status == 404 && code == static_cast<int>(ErrorCode::Unknown)) return "not_found";
  return envelope.value("message", "failed");
}

using Args = std::vector<std::string>;

std::string text_of(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

const std::string& arg(const Args& args, std::size_t index) {
  if (index >= args.size()) throw Usage("missing argument");
  return args[index];
}

void print_each(std::ostream& out, const Json& items, std::string (*format)(const Json&)) {
  for (const auto& item : items) out << format(item);
}

// "ok", or "Not Found." for a 404 (as emqx_ctl prints), or the API's message as a failure.
void print_result(std::ostream& out, const Json& envelope) {
  const auto code = envelope.value("code", -1);
  if (code == 0) {
    out << "ok\n";
  } else if (code == static_cast<int>(ErrorCode::NotOnline)) {
    throw Failure("Not Found.");
  } else {
    throw Failure(envelope.value("message", "failed"));
  }
}

// One item of "GET /x/{id}" (a list of at most one), or "Not Found.".
void print_one(Api& api, std::ostream& out, const std::string& path,
               std::string (*format)(const Json&)) {
  auto envelope = api.call("GET", path);
  if (envelope.value("code", -1) != 0 || envelope["data"].empty()) throw Failure("Not Found.");
  print_each(out, envelope["data"], format);
}

// emqx_ctl's trace: list, start client|topic <name> <file> [<level>], stop client|topic <name>.
void run_trace(Api& api, const Args& a, std::ostream& out) {
  const std::string sub = a.size() > 1 ? a[1] : "";
  if (sub == "list") {
    for (const auto& trace : api.data("/trace")) {
      const auto kind = text_of(trace["type"]);
      out << "Trace(" << (kind == "client" ? "client_id" : kind) << "=" << text_of(trace["name"])
          << ", level=" << text_of(trace["level"]) << ", destination=\""
          << text_of(trace["destination"]) << "\")\n";
    }
    return;
  }
  const auto& kind = arg(a, 2);
  if (kind != "client" && kind != "topic") throw Usage("trace client or trace topic");
  const auto& name = arg(a, 3);
  if (sub == "start") {
    Json body{{"type", kind}, {"name", name}, {"file", arg(a, 4)}};
    if (a.size() > 5) body["level"] = a[5];
    auto envelope = api.call("POST", "/trace", body.dump());
    if (envelope.value("code", -1) != 0) throw Failure(envelope.value("message", "failed"));
    out << "trace " << kind << " " << name << " successfully\n";
  } else if (sub == "stop") {
    auto envelope = api.call("DELETE", "/trace/" + kind + "/" + encode(name));
    if (envelope.value("code", -1) != 0) throw Failure(envelope.value("message", "failed"));
    out << "stop tracing " << (kind == "client" ? "client_id" : kind) << " " << name
        << " successfully\n";
  } else {
    throw Usage("unknown trace command");
  }
}

void run_command(Api& api, const Args& a, std::ostream& out) {
  const auto& command = arg(a, 0);
  const std::string sub = a.size() > 1 ? a[1] : "";
  if (command == "status") {
    out << format_status(api.data("/brokers").at(0));
  } else if (command == "broker") {
    if (sub.empty()) {
      out << format_broker(api.data("/brokers").at(0));
    } else if (sub == "stats") {
      out << format_counters(api.data("/stats").at(0)["stats"], 30);
    } else if (sub == "metrics") {
      out << format_counters(api.data("/metrics").at(0)["metrics"], 24);
    } else {
      throw Usage("unknown broker command");
    }
  } else if (command == "clients") {
    if (sub == "list") {
      print_each(out, api.all("/clients"), format_client);
    } else if (sub == "show") {
      print_one(api, out, "/clients/" + encode(arg(a, 2)), format_client);
    } else if (sub == "kick") {
      print_result(out, api.call("DELETE", "/clients/" + encode(arg(a, 2))));
    } else {
      throw Usage("unknown clients command");
    }
  } else if (command == "sessions") {
    if (sub == "list") {
      print_each(out, api.all("/sessions"), format_session);
    } else if (sub == "show") {
      print_one(api, out, "/sessions/" + encode(arg(a, 2)), format_session);
    } else {
      throw Usage("unknown sessions command");
    }
  } else if (command == "subscriptions") {
    if (sub == "list") {
      print_each(out, api.all("/subscriptions"), format_subscription);
    } else if (sub == "show") {
      print_each(out, api.all("/subscriptions/" + encode(arg(a, 2))), format_subscription);
    } else if (sub == "add" || sub == "del") {
      Json body{{"clientid", arg(a, 2)}, {"topic", arg(a, 3)}};
      if (sub == "add") {
        int qos = -1;
        const auto& text = arg(a, 4);
        std::from_chars(text.data(), text.data() + text.size(), qos);
        if (qos < 0 || qos > 2) throw Usage("QoS must be 0, 1 or 2");
        body["qos"] = qos;
      }
      print_result(out, api.call("POST", sub == "add" ? "/mqtt/subscribe" : "/mqtt/unsubscribe",
                                 body.dump()));
    } else {
      throw Usage("unknown subscriptions command");
    }
  } else if (command == "routes") {
    if (sub == "list") {
      print_each(out, api.all("/routes"), format_route);
    } else if (sub == "show") {
      print_one(api, out, "/routes/" + encode(arg(a, 2)), format_route);
    } else {
      throw Usage("unknown routes command");
    }
  } else if (command == "listeners") {
    print_each(out, api.data("/listeners").at(0)["listeners"], format_listener);
  } else if (command == "banned") {
    if (sub == "list") {
      print_each(out, api.all("/banned"), format_ban);
    } else if (sub == "add") {
      Json body{{"as", arg(a, 2)}, {"who", arg(a, 3)}, {"by", "gatemq ctl"}};
      if (a.size() > 4) {
        std::int64_t seconds = 0;
        std::from_chars(a[4].data(), a[4].data() + a[4].size(), seconds);
        if (seconds <= 0) throw Usage("the ban duration is a number of seconds");
        body["until"] = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        seconds;
      }
      if (a.size() > 5) body["reason"] = a[5];
      print_result(out, api.call("POST", "/banned", body.dump()));
    } else if (sub == "del") {
      print_result(out,
                   api.call("DELETE", "/banned/" + encode(arg(a, 2)) + "/" + encode(arg(a, 3))));
    } else {
      throw Usage("unknown banned command");
    }
  } else if (command == "gateways") {
    if (sub == "list" || sub.empty()) {
      print_each(out, api.data("/gateways"), format_gateway);
    } else if (sub == "clients") {
      print_each(out, api.all("/gateways/" + encode(arg(a, 2)) + "/clients"), format_client);
    } else if (sub == "show") {
      print_one(api, out, "/gateways/" + encode(arg(a, 2)) + "/clients/" + encode(arg(a, 3)),
                format_client);
    } else if (sub == "kick") {
      print_result(out, api.call("DELETE", "/gateways/" + encode(arg(a, 2)) + "/clients/" +
                                               encode(arg(a, 3))));
    } else {
      throw Usage("unknown gateways command");
    }
  } else if (command == "plugins") {
    if (sub == "list" || sub.empty()) {
      print_each(out, api.data("/plugins").at(0)["plugins"], format_plugin);
    } else if (sub == "load" || sub == "unload" || sub == "reload") {
      const auto& name = arg(a, 2);
      const auto envelope = api.call("PUT", "/plugins/" + encode(name) + "/" + sub, "{}");
      if (envelope.value("code", -1) != 0) {
        // The seed's wording: "Load plugin X error: not_found."
        auto verb = sub;
        verb[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(verb[0])));
        throw Failure(verb + " plugin " + name +
                      " error: " + plugin_error_reason(api.last_status(), envelope) + ".");
      }
      if (sub == "load") out << "Start apps: [" << name << "]\n";
      out << "Plugin " << name << " " << sub << "ed successfully.\n";
    } else {
      throw Usage("unknown plugins command");
    }
  } else if (command == "alarms") {
    if (sub != "list" && !sub.empty()) throw Usage("unknown alarms command (only list)");
    print_each(out, api.data("/alarms/activated").at(0)["alarms"], format_alarm);
  } else if (command == "acl") {
    if (sub == "reload") {
      print_result(out, api.call("POST", "/acl/reload", "{}"));
    } else if (sub == "cache-clean") {
      const auto& who = arg(a, 2);
      print_result(out, who == "all"
                            ? api.call("DELETE", "/acl-cache")
                            : api.call("DELETE", "/clients/" + encode(who) + "/acl_cache"));
    } else {
      throw Usage("unknown acl command");
    }
  } else if (command == "log") {
    // emqx_ctl answers both with the level now in force.
    if (sub == "set-level") {
      const Json body{{"level", arg(a, 2)}};
      auto envelope = api.call("PUT", "/log/level", body.dump());
      if (envelope.value("code", -1) != 0) throw Failure(envelope.value("message", "failed"));
      out << text_of(envelope["data"]["level"]) << "\n";
    } else if (sub == "primary-level") {
      out << text_of(api.data("/log/level")["level"]) << "\n";
    } else {
      throw Usage("unknown log command");
    }
  } else if (command == "trace") {
    run_trace(api, a, out);
  } else if (command == "reload") {
    auto envelope = api.call("POST", "/reload", "{}");
    if (envelope.value("code", -1) != 0) throw Failure(envelope.value("message", "failed"));
    std::string reloaded;
    for (const auto& what : envelope["data"]["reloaded"]) {
      reloaded += (reloaded.empty() ? "" : ", ") + text_of(what);
    }
    out << "reloaded: " << reloaded << "\n";
  } else {
    throw Usage("unknown command '" + command + "'");
  }
}

std::uint16_t port_of(const std::string& text) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > 65535) {
    throw Usage("bad port '" + text + "'");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Target target_from(const config::ManagementSettings& settings) {
  Target target;
  const bool wildcard = settings.address == "0.0.0.0" || settings.address == "::";
  target.host = wildcard ? "127.0.0.1" : settings.address;
  target.port = settings.port;
  target.credentials = Credentials{settings.app_id, settings.app_secret};
  return target;
}

int run(std::vector<std::string> args, Target target, std::ostream& out, std::ostream& err) {
  try {
    std::size_t i = 0;
    for (; i < args.size() && args[i].starts_with("--"); i += 2) {
      if (i + 1 >= args.size()) throw Usage("option " + args[i] + " needs a value");
      const auto& value = args[i + 1];
      if (args[i] == "--host") {
        target.host = value;
      } else if (args[i] == "--port") {
        target.port = port_of(value);
      } else if (args[i] == "--user") {
        const auto colon = value.find(':');
        if (colon == std::string::npos) throw Usage("--user takes id:secret");
        target.credentials = Credentials{value.substr(0, colon), value.substr(colon + 1)};
      } else {
        throw Usage("unknown option " + args[i]);
      }
    }
    args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
    if (args.empty() || args[0] == "help" || args[0] == "--help") {
      (args.empty() ? err : out) << kUsage;
      return args.empty() ? 2 : 0;
    }
    Api api(target);
    run_command(api, args, out);
    return 0;
  } catch (const Usage& e) {
    err << "gatemq ctl: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const Failure& e) {
    err << e.what() << "\n";
    return 1;
  } catch (const Json::exception& e) {
    err << "gatemq ctl: unexpected answer from the node: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace gatemq::management::ctl
