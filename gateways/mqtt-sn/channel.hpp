// One MQTT-SN client (spec chapter 6), keyed by client id: connect with the will handshake,
// topic ids, publish/subscribe in both directions, keepalive and the sleeping-client states.
// Runs on the endpoint's executor; the broker reaches it through SessionSink, whose calls only
// post. A sleeping client stays connected from the broker's point of view: its deliveries wait
// here (up to the session's inflight window) and in its session's queue (the rest).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "core/broker/delivery.hpp"
#include "core/broker/outbound_mailbox.hpp"
#include "core/gateway/gateway_client.hpp"
#include "gateways/mqtt-sn/context.hpp"
#include "gateways/mqtt-sn/topic_registry.hpp"

namespace gatemq::gateway::mqttsn {

class Channel final : public broker::SessionSink, public std::enable_shared_from_this<Channel> {
 public:
  Channel(std::shared_ptr<const GatewayContext> context, std::weak_ptr<Endpoint> endpoint,
          asio::any_io_executor executor, std::string client_id, Peer peer);
  ~Channel() override;

  // Every message from this client's address (or a wake-up naming its client id).
  void handle(Message&& message);
  // The endpoint moved the client to a new address (NAT rebinding) or took its old one away.
  void set_peer(std::optional<Peer> peer);
  const std::optional<Peer>& peer() const { return peer_; }
  const std::string& client_id() const { return client_id_; }
  // Shutdown: ends the connection as a network loss would (the will is published).
  void close_by_gateway(const std::string& why);

  // broker::SessionSink
  void send(broker::Outbound item) override;
  bool accepts(const broker::Delivery& delivery) const override;
  void close_by_broker(std::uint8_t reason_code) override;

 private:
  enum class State { Connecting, Active, Asleep, Awake, Closed };
  enum class WillStep { None, Topic, Message };
  struct RegisterOnly {
    std::string topic;  // subs_resume: tell the device this topic's id before any PUBLISH
  };
  using OutItem = std::variant<broker::OutboundPublish, broker::OutboundPubrel, RegisterOnly>;
  struct PendingRegister {
    std::uint16_t msg_id = 0;
    std::uint16_t topic_id = 0;
    std::string topic;
    std::chrono::steady_clock::time_point sent_at;
  };
  struct Sent {
    broker::OutboundPublish publish;  // replayed after a PUBACK INVALID_TOPIC_ID
    TopicRef topic;
    std::chrono::steady_clock::time_point sent_at;
  };

  // --- channel.cpp: connection, will, keepalive, sleep ---
  void handle_connect(const Connect& connect);
  void finish_connect();
  void handle_will_topic(const WillTopic& will_topic);
  void handle_will_message(const WillMsg& will_message);
  void handle_pingreq(const Pingreq& pingreq);
  void handle_disconnect(const Disconnect& disconnect);
  void go_to_sleep(std::uint16_t duration);
  void finish_wake_if_done();
  void violation(const std::string& what);
  void close(broker::CloseKind kind, const std::string& why, bool tell_device);
  void arm_keepalive();
  void arm_sleep_timer();
  void arm_retry_timer();
  void on_retry_timer();
  void resend_unacknowledged();
  void transmit(const Message& message);
  std::string log_name() const;
  const config::ZoneSettings& zone() const;

  // --- channel_topics.cpp: REGISTER, PUBLISH both ways, SUBSCRIBE ---
  void handle_register(const Register& reg);
  void handle_regack(const Regack& regack);
  void handle_publish(const Publish& publish);
  void handle_pubrel(const Pubrel& pubrel);
  void handle_puback(const Puback& puback);
  void handle_pubrec(const Pubrec& pubrec);
  void handle_pubcomp(const Pubcomp& pubcomp);
  void handle_subscribe(const Subscribe& subscribe);
  // After a negative answer to a PUBLISH or SUBSCRIBE the ACL denied: with acl_deny_action =
  // disconnect (the client's zone, else global) the device gets a DISCONNECT, as MQTT clients do.
  void denied(std::string_view what);
  void handle_unsubscribe(const Unsubscribe& unsubscribe);
  void handle_will_update(const WillTopicUpd& update);
  void handle_will_message_update(const WillMsgUpd& update);
  void on_outbound(broker::Outbound&& item);
  // A session resend of something still in the outbox, or transmitted since it was asked for.
  bool redundant(const broker::Outbound& item) const;
  void enqueue(OutItem item, bool front = false);
  // Sends what the outbox holds while the device listens, one REGISTER at a time.
  void pump();
  bool send_head();  // false when the head waits (for a REGACK)
  void start_register(const std::string& topic);
  void refuse(const broker::OutboundPublish& publish);
  void queue_subscription_registrations();
  std::optional<std::string> topic_name(TopicIdType type, std::uint16_t id) const;
  bool listening() const { return state_ == State::Active || state_ == State::Awake; }

  std::shared_ptr<const GatewayContext> context_;
  std::weak_ptr<Endpoint> endpoint_;
  asio::any_io_executor executor_;
  const std::string client_id_;
  std::optional<Peer> peer_;
  std::optional<GatewayClient> client_;  // while connected (counts as a broker connection)
  State state_ = State::Connecting;

  // CONNECT in progress
  std::optional<Connect> connect_;
  WillStep will_step_ = WillStep::None;
  Will handshake_will_;
  bool resume_in_place_ = false;  // CONNECT from a sleeping client: same connection

  bool clean_session_ = true;
  std::optional<Will> will_;
  std::chrono::milliseconds keepalive_{0};
  std::chrono::milliseconds sleep_duration_{0};
  std::chrono::steady_clock::time_point last_received_;

  TopicRegistry registry_;
  // Session output, handed over in the session's order.
  broker::OutboundMailbox mailbox_{context_->broker.metrics()};
  std::deque<OutItem> outbox_;
  std::size_t queued_qos0_ = 0;
  std::optional<PendingRegister> pending_register_;
  std::uint16_t next_register_id_ = 1;
  std::map<std::uint16_t, Sent> sent_;  // QoS 1/2 PUBLISHes awaiting PUBACK/PUBREC
  std::chrono::steady_clock::time_point resend_requested_at_;

  asio::steady_timer connect_timer_;
  asio::steady_timer keepalive_timer_;
  asio::steady_timer sleep_timer_;
  asio::steady_timer retry_timer_;
};

}  // namespace gatemq::gateway::mqttsn
