// Who a connection is, as the hooks (auth, ACL, events) and logs see it, for every protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/mqtt/packet.hpp"

namespace gatemq::broker {

struct ClientInfo {
  std::string client_id;
  std::optional<std::string> username;
  std::string protocol = "mqtt";  // mqtt, mqtt-sn, coap, lwm2m, stomp, tcp
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::v311;
  std::string peer_host;
  std::uint16_t peer_port = 0;
  std::string listener;  // e.g. "tcp:external"
  std::string zone = "external";
  std::string mountpoint;  // already expanded for this client
  bool clean_start = true;
  std::uint16_t keepalive = 0;  // seconds, as agreed at connect

  // "clientid@host:port" for log lines.
  std::string log_name() const {
    return (client_id.empty() ? std::string("<unknown>") : client_id) + "@" + peer_host + ":" +
           std::to_string(peer_port);
  }
};

}  // namespace gatemq::broker
