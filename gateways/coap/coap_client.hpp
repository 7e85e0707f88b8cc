// One CoAP device as a broker client, keyed by its client id (CoAP has no connection: the
// client id in each request's query says who it is). It owns the GatewayClient, the Observe
// registrations (each one a broker subscription whose subscription identifier finds it again),
// and the keepalive. Runs on the gateway's single executor; SessionSink calls only post there.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/broker/broker.hpp"
#include "core/broker/delivery.hpp"
#include "core/broker/outbound_mailbox.hpp"
#include "core/gateway/gateway_client.hpp"
#include "gateways/coap/libcoap.hpp"
#include "gateways/coap/settings.hpp"

namespace gatemq::gateway::coap {

// What the server and all its clients share, fixed at start-up.
struct GatewayContext {
  broker::Broker& broker;
  std::shared_ptr<GatewayStats> stats;  // shared: clients may outlive the gateway object
  CoapSettings settings;
  std::string listener_name;  // "coap-gateway:udp"
};

// What a client needs from the server that owns the registry.
class ClientOwner {
 public:
  virtual ~ClientOwner() = default;
  // `client` ended (keepalive, takeover, DELETE, shutdown): drop it if it is still registered.
  virtual void forget(const std::string& client_id, const void* client) = 0;
};

class CoapClient final : public broker::SessionSink,
                         public std::enable_shared_from_this<CoapClient> {
 public:
  CoapClient(std::shared_ptr<const GatewayContext> context, asio::io_context& io,
             ClientOwner& owner, std::string peer_host, std::uint16_t peer_port);

  bool connect(const std::string& client_id, const std::optional<std::string>& username,
               const std::optional<std::string>& password);
  // Whether a later request with these credentials is the same client (no new authentication).
  bool same_credentials(const std::optional<std::string>& username,
                        const std::optional<std::string>& password) const;
  bool open() const { return client_.connected(); }
  GatewayClient& broker_client() { return client_; }

  // Connection mode (POST /mqtt/connection): the token later requests must carry.
  const std::string& token() const { return token_; }
  const std::string& issue_token();

  // Any request from the device keeps it alive for coap.keepalive.
  void touch();

  // GET Observe=0: subscribes `filter` and sends each match as a notification with `token` on
  // `session`. Returns the granted QoS or a v5 failure code (>= 0x80).
  std::uint8_t observe(const std::string& filter, std::uint8_t qos, coap_session_t* session,
                       std::string token);
  // GET Observe=1, or RST / retransmission exhaustion for a notification (RFC 7641 §3.6, §4.5).
  bool cancel(const std::string& filter);
  void cancel_by_token(const coap_session_t* session, std::string_view token);
  // The device at `peer` acknowledged (or reset, or libcoap gave up on) message `message_id`:
  // if it is this client's CON notification in flight, the next queued one goes out.
  void settle(const std::string& peer, std::uint16_t message_id);
  // libcoap has nothing in flight at all: neither has this client.
  void settle_all();
  // A CON notification whose ACK went unseen is taken as done after RFC 7252's
  // MAX_TRANSMIT_WAIT, so the queue behind it never stalls for good.
  void expire_in_flight(std::chrono::steady_clock::time_point now);
  // The Observe sequence number the registration response carries.
  std::uint32_t next_sequence();

  void close(broker::CloseKind kind, const std::string& why);

  // broker::SessionSink
  void send(broker::Outbound item) override;
  bool accepts(const broker::Delivery& delivery) const override;
  void close_by_broker(std::uint8_t reason_code) override;

 private:
  struct Observation {
    std::string filter;
    SessionRef session;
    std::string token;
  };

  // A notification waiting for the CON in flight; its observation may be gone by then.
  struct Queued {
    std::uint32_t subscription_id;
    broker::Delivery delivery;
  };
  struct InFlight {
    std::string peer;
    std::uint16_t message_id;
    std::chrono::steady_clock::time_point since;
  };

  void deliver(broker::OutboundPublish&& publish);
  void enqueue(std::uint32_t subscription_id, broker::Delivery delivery);
  void send_queued();
  // Hands one notification to libcoap; false when it could not be built or sent.
  bool notify(const Observation& observation, const broker::Delivery& delivery);
  bool send_notification(const Observation& observation, const broker::Delivery& delivery);
  bool confirmable(const broker::Delivery& delivery) const;
  void complete(const broker::OutboundPublish& publish);
  void arm_keepalive();
  void drop_observation(std::map<std::uint32_t, Observation>::iterator found);

  std::shared_ptr<const GatewayContext> context_;
  asio::io_context& io_;
  ClientOwner& owner_;
  GatewayClient client_;
  std::optional<std::string> username_;
  std::optional<std::string> password_;
  std::string token_;
  std::map<std::uint32_t, Observation> observations_;  // by subscription identifier
  // One CON notification in flight per client (plain UDP only: DTLS hides the ACKs, and there
  // libcoap's own NSTART queue holds the rest), the others wait here in order.
  std::optional<InFlight> in_flight_;
  std::deque<Queued> queue_;
  // Session output, handed over in the session's order.
  broker::OutboundMailbox mailbox_{context_->broker.metrics()};
  std::uint32_t next_subscription_id_ = 1;
  std::uint32_t sequence_ = 1;  // Observe option values, 24 bits (RFC 7641 §3.4)
  asio::steady_timer keepalive_timer_;
  std::chrono::steady_clock::time_point last_seen_;
  bool closed_ = false;
};

}  // namespace gatemq::gateway::coap
