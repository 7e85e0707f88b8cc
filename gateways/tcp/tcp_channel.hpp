// One device on the TCP gateway: frames in, DATATRANS up to `up_topic`; messages on `dn_topic`
// out as DATATRANS. Runs on the transport's executor; the broker reaches it through SessionSink,
// whose calls only post.
#pragma once

#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/broker/delivery.hpp"
#include "core/broker/outbound_mailbox.hpp"
#include "core/gateway/gateway_client.hpp"
#include "core/gateway/live_value.hpp"
#include "core/net/connection.hpp"
#include "core/net/publisher_hold.hpp"
#include "core/net/stream_reader.hpp"
#include "core/net/stream_writer.hpp"
#include "core/net/transport.hpp"
#include "gateways/tcp/frame.hpp"

namespace gatemq::gateway::tcp {

// Where devices publish and what they are subscribed to: a hot reload may change these while
// devices stay connected.
struct TopicTemplates {
  std::string up_topic = "tcp/%c/up";
  std::string dn_topic = "tcp/%c/dn";
  std::uint8_t up_qos = 0;
  std::uint8_t dn_qos = 0;
  bool operator==(const TopicTemplates&) const = default;
};

// The templates in force, swapped whole so a channel always reads a consistent set.
using LiveTopics = LiveValue<TopicTemplates>;

struct TcpGatewaySettings {
  TopicTemplates topics;
  std::chrono::milliseconds idle_timeout{15000};  // before CONNECT
  std::size_t max_packet_size = kMaxPayload;      // payload bytes of one frame
  std::string mountpoint;
  std::vector<config::ListenerSettings> listeners;
};

// What every channel of one listener shares.
struct ChannelContext {
  broker::Broker& broker;
  std::shared_ptr<GatewayStats> stats;  // shared: connections may outlive the gateway object
  TcpGatewaySettings settings;  // settings.topics as at start: `topics` has the ones in force
  std::shared_ptr<LiveTopics> topics;
  std::string listener_name;  // "tcp-gateway:external"
  std::string zone;
  std::chrono::milliseconds send_timeout{15000};
  // From the listener's zone (max_output_buffer, max_publisher_hold).
  broker::BacklogLimits backlog;
};

class TcpChannel final : public net::Connection,
                         public broker::SessionSink,
                         public std::enable_shared_from_this<TcpChannel> {
 public:
  TcpChannel(std::shared_ptr<const ChannelContext> context,
             std::unique_ptr<net::Transport> transport);

  // net::Connection
  void start() override;
  asio::any_io_executor executor() override { return transport_->executor(); }
  void close_by_broker(std::uint8_t reason_code) override;

  // broker::SessionSink
  void send(broker::Outbound item) override;
  bool accepts(const broker::Delivery& delivery) const override;

  // The topic templates changed (hot reload): moves the down-topic subscription. Any thread.
  void topics_changed();

 private:
  enum class State { AwaitingConnect, Connected, Closed };

  void read();
  // Handles what was read, then reads more unless it closed or waits for slow subscribers.
  void consume_input();
  bool process_input();
  void on_subscriber_caught_up(std::uint32_t hold);  // PublisherHold's call back
  void end_hold();
  friend class net::PublisherHold;
  void handle(Frame&& frame);
  void handle_connect(const Frame& frame);
  void deliver(broker::OutboundPublish&& publish);
  void write(std::string bytes);
  void close(broker::CloseKind kind, const std::string& why);
  void arm_keepalive_timer();
  void subscribe_down_topic();

  std::shared_ptr<const ChannelContext> context_;
  std::unique_ptr<net::Transport> transport_;
  GatewayClient client_;
  State state_ = State::AwaitingConnect;
  std::string input_;
  net::StreamReader reader_;  // no read buffer of its own while idle
  // Session output, handed over in the session's order.
  broker::OutboundMailbox mailbox_{context_->broker.metrics(), context_->backlog};
  std::string dn_filter_;  // the down topic subscribed to, expanded
  std::uint8_t dn_qos_ = 0;
  // Before CONNECT the idle timeout; afterwards the end of a hold for slow subscribers.
  asio::steady_timer deadline_timer_;
  net::PublisherHold hold_;  // waiting for slow subscribers this connection's input fed
  asio::steady_timer keepalive_timer_;
  std::chrono::milliseconds keepalive_timeout_{0};
  std::chrono::steady_clock::time_point last_received_;
  net::StreamWriter writer_;  // after transport_, which it writes to
};

}  // namespace gatemq::gateway::tcp
