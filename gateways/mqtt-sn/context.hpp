// What the UDP endpoint and every MQTT-SN channel of one gateway share. Everything here is
// fixed at start-up; the channels and the endpoint run on the same executor.
#pragma once

#include <asio/ip/udp.hpp>
#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/gateway/gateway.hpp"
#include "gateways/mqtt-sn/codec.hpp"
#include "gateways/mqtt-sn/settings.hpp"

namespace gatemq::gateway::mqttsn {

// Where a device is: its UDP address and, behind a forwarder (§5.5), its wireless node id.
struct Peer {
  asio::ip::udp::endpoint address;
  std::vector<std::uint8_t> node_id;  // empty: the device itself sent the datagram

  bool operator==(const Peer&) const = default;
  bool operator<(const Peer& other) const {
    if (address != other.address) return address < other.address;
    return node_id < other.node_id;
  }
  std::string host() const { return address.address().to_string(); }
  std::uint16_t port() const { return address.port(); }
  std::string text() const;  // "127.0.0.1:5000" (+ "/node 0a0b" behind a forwarder)
};

struct GatewayContext {
  broker::Broker& broker;
  std::shared_ptr<GatewayStats> stats;  // shared: channels may outlive the gateway object
  MqttSnSettings settings;
  std::string listener_name;  // "mqttsn-gateway:udp" in logs and client info
};

// A will as MQTT-SN keeps it: topic and message arrive (and change) separately (§6.3, §6.4).
struct Will {
  std::string topic;  // empty: no will
  std::string message;
  std::uint8_t qos = 0;
  bool retain = false;
};

// What a channel needs from the endpoint that owns its address.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual void transmit(const Peer& peer, const Message& message) = 0;
  // The channel of `client_id` closed: drop its address and id entries if still its own.
  virtual void forget(const std::string& client_id, const void* channel) = 0;
  // Wills of persistent sessions, kept across connections (MQTT-SN's clean session covers it).
  virtual void keep_will(const std::string& client_id, const Will& will) = 0;
  virtual std::optional<Will> stored_will(const std::string& client_id) = 0;
  virtual void drop_will(const std::string& client_id) = 0;
};

}  // namespace gatemq::gateway::mqttsn
