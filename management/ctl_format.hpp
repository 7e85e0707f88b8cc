// How `gatemq ctl` prints what the REST API returns, in the seed's Commands chapter formats
// (emqx_ctl's). Pure functions from the API's JSON to text, one line per item.
#pragma once

#include <string>

#include "management/envelope.hpp"

namespace gatemq::management::ctl {

// "Node 'gatemq@127.0.0.1' is started\ngatemq 0.1.0 is running\n" from one /brokers item.
std::string format_status(const Json& broker);
// sysdescr / version / uptime / datetime, colon-aligned.
std::string format_broker(const Json& broker);
// "name<padding>: value" sorted by name; names padded (and cut) to `width` as emqx_ctl does
// (30 for stats, 24 for metrics).
std::string format_counters(const Json& counters, std::size_t width);
// Connection(id, clean_start=true, username=u, peername=host:port, protocol=mqtt,
// proto_name=MQTT, proto_ver=4, keepalive=60, connected_at=...)
std::string format_client(const Json& client);
// Session(id, clean_start=true, expiry_interval=0, subscriptions_count=0, ...)
std::string format_session(const Json& session);
// "client -> topic:qos"
std::string format_subscription(const Json& subscription);
// "topic -> node"
std::string format_route(const Json& route);
// "listener on mqtt:tcp:0.0.0.0:1883" and its indented counters.
std::string format_listener(const Json& listener);
// Banned(who, as=clientid, reason=..., by=..., until=...)
std::string format_ban(const Json& ban);
// Plugin(name, version=0.1.0, description=..., active=true)
std::string format_plugin(const Json& plugin);
// Gateway(name, status=running, clients=1, connects=1, listeners=...)
std::string format_gateway(const Json& gateway);
// Alarm(name, message=..., activate_at=..., details={...})
std::string format_alarm(const Json& alarm);

}  // namespace gatemq::management::ctl
