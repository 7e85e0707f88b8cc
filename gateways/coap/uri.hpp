// Pure request parsing for the CoAP gateway: Uri-Path segments to a route, Uri-Query options
// (and the seed's form-encoded body) to parameters, percent decoding, QoS and flag values.
// No libcoap and no I/O here, so every case is unit-tested on its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/percent_encoding.hpp"

namespace gatemq::gateway::coap {

// '+' stays '+' in CoAP options: they are not HTML forms.
using net::percent_decode;

using Query = std::map<std::string, std::string, std::less<>>;

// Uri-Query options, one "key=value" (or bare "key") each, percent-decoded. A later duplicate
// wins. nullopt when an escape is bad or a key is empty.
std::optional<Query> parse_query(const std::vector<std::string>& options);
// The seed's form body "qos=0&retain=0&message=payload&topic=hello".
std::optional<Query> parse_form(std::string_view body);

enum class RouteKind {
  MqttTopic,   // /mqtt/{topic}
  PsTopic,     // /ps/{topic}
  MqttRoot,    // /mqtt alone: the seed's form-encoded publish, or a keepalive
  Connection,  // /mqtt/connection
  Unknown,
};

struct Route {
  RouteKind kind = RouteKind::Unknown;
  std::string topic;  // MqttTopic, PsTopic
};

// `segments` are the raw Uri-Path options. Topic segments are percent-decoded once more so that
// clients which put "%23" into the option itself can still subscribe to '#'. A topic segment
// with a bad escape makes the route Unknown.
Route route(const std::vector<std::string>& segments);

// "0", "1", "2", "qos0", "qos1", "qos2"; nullopt otherwise.
std::optional<std::uint8_t> parse_qos(std::string_view text);
// "0"/"1", "false"/"true", "off"/"on"; nullopt otherwise.
std::optional<bool> parse_flag(std::string_view text);

// Who a request says it is: `c`/`clientid`, `u`/`username`, `p`/`password`, `token`.
struct Credentials {
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> token;
};
Credentials credentials(const Query& query);

}  // namespace gatemq::gateway::coap
