// Who a connection is, as the hooks (auth, ACL, events) and logs see it, for every protocol.
#pragma once

#include <cctype>
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
  // Seconds, as agreed at connect: MQTT's keepalive, MQTT-SN's Duration, the TCP framing's
  // keepalive, STOMP's heart-beat from the client, coap.keepalive, the LwM2M lifetime.
  std::uint32_t keepalive = 0;

  // `proto_name` / `proto_ver` of the connected event and the management API: MQTT's own
  // ("MQTT", "MQIsdp"; 3, 4, 5), or the gateway's protocol as its specification spells it with
  // that protocol's (major) version, 1 for all of them: MQTT-SN's ProtocolId, the TCP framing's
  // version bits, CoAP's Ver, STOMP 1.x, LwM2M 1.x.
  std::string proto_name() const {
    if (protocol == "mqtt") return version == mqtt::ProtocolVersion::v31 ? "MQIsdp" : "MQTT";
    if (protocol == "coap") return "CoAP";
    if (protocol == "lwm2m") return "LwM2M";
    std::string name = protocol;  // mqtt-sn, stomp, tcp
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
  }
  int proto_ver() const { return protocol == "mqtt" ? static_cast<int>(version) : 1; }

  // "clientid@host:port" for log lines.
  std::string log_name() const {
    return (client_id.empty() ? std::string("<unknown>") : client_id) + "@" + peer_host + ":" +
           std::to_string(peer_port);
  }
};

}  // namespace gatemq::broker
