// What a session hands to the protocol channel it is attached to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/broker/message.hpp"

namespace gatemq::broker {

// One message on its way to one subscription of one session.
struct Delivery {
  MessagePtr message;
  std::uint8_t qos = 0;
  bool retain = false;  // the RETAIN flag as the subscriber sees it
  std::optional<std::uint32_t> subscription_id;
  // "<group>\0<filter>" when it came through a shared subscription: with
  // broker.shared_dispatch_ack_enabled an unacknowledged one may go to another member.
  std::string shared_group;
};

struct OutboundPublish {
  Delivery delivery;
  std::uint16_t packet_id = 0;  // 0 for QoS 0
  bool dup = false;
};

struct OutboundPubrel {
  std::uint16_t packet_id = 0;
};

using Outbound = std::variant<OutboundPublish, OutboundPubrel>;

// The protocol side of a session (MQTT channel, MQTT-SN, STOMP, ...). The session calls it while
// holding its own lock, so implementations only queue work for their own thread: never block and
// never call back into the session synchronously.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  // Queues packets in order; safe from any thread.
  virtual void send(Outbound item) = 0;
  // Whether this connection can take the delivery at all (e.g. the client's Maximum Packet Size).
  // Must read only state fixed at connect time: called from any thread.
  virtual bool accepts(const Delivery& delivery) const = 0;
  // Closes the connection because the broker says so (takeover, kick, shutdown).
  virtual void close_by_broker(std::uint8_t reason_code) = 0;
  // Flow control for QoS 1/2: the session's queue behind this connection's inflight window is
  // filling up (its publishers should be held back), and later has room again. Called under the
  // session's lock from any thread; a sink that cannot hold publishers ignores them.
  virtual void queue_filling() {}
  virtual void queue_drained() {}
};

}  // namespace gatemq::broker
