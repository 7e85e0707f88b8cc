// One STOMP client (1.0, 1.1, 1.2): frames in, broker calls out; session deliveries out as
// MESSAGE frames. Runs on the transport's executor; SessionSink calls only post.
#pragma once

#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/broker/outbound_mailbox.hpp"
#include "core/gateway/gateway_client.hpp"
#include "core/net/connection.hpp"
#include "core/net/publisher_hold.hpp"
#include "core/net/stream_reader.hpp"
#include "core/net/stream_writer.hpp"
#include "core/net/transport.hpp"
#include "gateways/stomp/frame.hpp"

namespace gatemq::gateway::stomp {

struct StompGatewaySettings {
  std::string default_login = "guest";
  std::string default_passcode = "guest";
  bool allow_anonymous = true;
  FrameLimits limits;
  std::string mountpoint;
  std::chrono::milliseconds idle_timeout{15000};  // before CONNECT
  std::vector<config::ListenerSettings> listeners;
};

struct ChannelContext {
  broker::Broker& broker;
  std::shared_ptr<GatewayStats> stats;
  StompGatewaySettings settings;
  std::string listener_name;
  std::string zone;
  std::chrono::milliseconds send_timeout{15000};
  // From the listener's zone (max_output_buffer, max_publisher_hold).
  broker::BacklogLimits backlog;
};

class StompChannel final : public net::Connection,
                           public broker::SessionSink,
                           public std::enable_shared_from_this<StompChannel> {
 public:
  StompChannel(std::shared_ptr<const ChannelContext> context,
               std::unique_ptr<net::Transport> transport);

  void start() override;
  asio::any_io_executor executor() override { return transport_->executor(); }
  void close_by_broker(std::uint8_t reason_code) override;

  void send(broker::Outbound item) override;
  bool accepts(const broker::Delivery&) const override { return true; }

 private:
  enum class State { AwaitingConnect, Connected, Closed };
  enum class AckMode { Auto, Client, ClientIndividual };
  struct Subscription {
    std::string id;
    std::string destination;
    AckMode ack = AckMode::Auto;
    std::deque<std::uint64_t> unacked;  // sequence numbers awaiting ACK, oldest first
  };
  struct Unacked {
    std::uint32_t subscription;
    std::uint16_t packet_id;
    Frame message;  // for redelivery after NACK
  };

  void read();
  // Handles what was read, then reads more unless it closed or waits for slow subscribers.
  void consume_input();
  bool process_input();
  void on_subscriber_caught_up(std::uint32_t hold);  // PublisherHold's call back
  void end_hold();
  friend class net::PublisherHold;
  void handle(Frame&& frame);
  void handle_connect(const Frame& frame);
  void apply(const Frame& frame);  // SEND, ACK, NACK: directly or at COMMIT
  void handle_subscribe(const Frame& frame);
  void handle_unsubscribe(const Frame& frame);
  void acknowledge(const Frame& frame, bool positive);
  // The session's part of an ACK: the kept message `sequence` is done.
  void complete(std::uint64_t sequence);
  void deliver(broker::OutboundPublish&& publish);
  // The broker subscription id a resumed session used for `destination`, if any.
  std::optional<std::uint32_t> take_resumed(const std::string& destination);
  void send_receipt(const Frame& frame);
  void fail(const std::string& message, const Frame* cause = nullptr);
  void write_frame(const Frame& frame);
  void write_raw(std::string bytes);
  void close(broker::CloseKind kind, const std::string& why);
  void arm_heartbeats(std::chrono::milliseconds send_every, std::chrono::milliseconds expect_every);
  void schedule_send_heartbeat();
  void schedule_receive_check();

  std::shared_ptr<const ChannelContext> context_;
  std::unique_ptr<net::Transport> transport_;
  GatewayClient client_;
  State state_ = State::AwaitingConnect;
  Version version_ = Version::v10;
  std::string input_;
  net::StreamReader reader_;  // no read buffer of its own while idle
  // Session output, handed over in the session's order.
  broker::OutboundMailbox mailbox_{context_->broker.metrics(), context_->backlog};
  std::map<std::uint32_t, Subscription> subscriptions_;  // by broker subscription id
  std::uint32_t next_subscription_ = 1;
  // Messages (QoS 1, 2) of client-acknowledged subscriptions awaiting ACK, by sequence number.
  // QoS 0 ones are delivered at most once: nothing is kept for them.
  std::map<std::uint64_t, Unacked> unacked_;
  std::uint64_t next_message_ = 1;  // the sequence number of the next MESSAGE
  std::map<std::string, std::vector<Frame>> transactions_;
  // A durable session (CONNECT with client-id) resumed with subscriptions: broker subscription
  // id -> filter, until the client SUBSCRIBEs to that destination again. Deliveries for them,
  // unacknowledged ones from the last connection first, wait in held_ until then.
  std::map<std::uint32_t, std::string> resumed_;
  std::map<std::uint32_t, std::deque<broker::OutboundPublish>> held_;
  // Before CONNECT the idle timeout; afterwards the end of a hold for slow subscribers.
  asio::steady_timer deadline_timer_;
  net::PublisherHold hold_;  // waiting for slow subscribers this connection's input fed
  asio::steady_timer send_heartbeat_timer_;
  asio::steady_timer receive_heartbeat_timer_;
  std::chrono::milliseconds send_every_{0};
  std::chrono::milliseconds expect_every_{0};
  std::chrono::steady_clock::time_point last_received_;
  std::chrono::steady_clock::time_point last_sent_;
  net::StreamWriter writer_;  // after transport_, which it writes to
};

}  // namespace gatemq::gateway::stomp
