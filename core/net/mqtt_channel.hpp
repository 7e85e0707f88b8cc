// One MQTT connection (3.1, 3.1.1 or 5.0) over any Transport: the protocol state machine between
// the wire and the broker's client API. Everything runs on the transport's executor; other
// threads reach it only through SessionSink::send / close_by_broker, which post.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/broker/delivery.hpp"
#include "core/broker/outbound_mailbox.hpp"
#include "core/config/settings.hpp"
#include "core/mqtt/codec.hpp"
#include "core/net/connection.hpp"
#include "core/net/deadline_timer.hpp"
#include "core/net/publisher_hold.hpp"
#include "core/net/stream_reader.hpp"
#include "core/net/token_bucket.hpp"
#include "core/net/transport.hpp"

namespace gatemq::net {

struct ChannelContext {
  std::string listener_name;  // "tcp:external"
  std::string zone_name;
  std::string mountpoint;  // listener's, before placeholder expansion
  config::ZoneSettings zone;
  // A write that makes no progress for this long means the client stopped reading.
  std::chrono::milliseconds send_timeout{15000};
  bool send_timeout_close = true;
  // listener.ssl.<name>.peer_cert_as_username / _clientid: "cn", "dn" or "" (off).
  std::string peer_cert_as_username;
  std::string peer_cert_as_clientid;
  // Inbound rate limits: listener rate_limit and zone rate_limit.conn_bytes_in on bytes;
  // listener max_publish_rate, zone publish_limit and rate_limit.conn_messages_in on PUBLISHes.
  std::vector<config::RateLimit> byte_limits;
  std::vector<config::RateLimit> publish_limits;
  // Output backlog limits from the zone (max_output_buffer, max_publisher_hold).
  broker::BacklogLimits backlog;
};

class MqttChannel final : public broker::SessionSink,
                          public Connection,
                          public std::enable_shared_from_this<MqttChannel> {
 public:
  MqttChannel(broker::Broker& broker, std::unique_ptr<Transport> transport,
              std::shared_ptr<const ChannelContext> context);
  ~MqttChannel() override;

  // Connection
  void start() override;
  asio::any_io_executor executor() override { return transport_->executor(); }

  // SessionSink
  void send(broker::Outbound item) override;
  bool accepts(const broker::Delivery& delivery) const override;
  void close_by_broker(std::uint8_t reason_code) override;
  void queue_filling() override { mailbox_.session_queue_filling(weak_from_this()); }
  void queue_drained() override { mailbox_.session_queue_drained(); }

 private:
  enum class State { AwaitingConnect, Connected, Closing, Closed };

  void read();
  // Reads again now, or after the pause the rate limits ask for.
  void read_or_pause();
  // Flow control: the input just handled went to subscribers that are behind; read no more
  // until they caught up or max_publisher_hold passed. False when none of them needs waiting for.
  bool hold_for(std::vector<broker::PublishCongestion::Entry>& congested);
  void on_subscriber_caught_up(std::uint32_t hold);  // PublisherHold's call back
  friend class PublisherHold;
  void end_hold();
  void on_read(const std::error_code& error, std::string_view data);
  // Decodes and handles the packets in `input`, adding what it used to `consumed`; false once
  // the connection is closing.
  bool process_input(std::string_view input, std::size_t& consumed);
  void handle(mqtt::Packet&& packet);
  void handle_connect(mqtt::Connect&& connect);
  void handle_publish(mqtt::Publish&& publish);
  void handle_subscribe(mqtt::Subscribe&& subscribe);
  void handle_unsubscribe(mqtt::Unsubscribe&& unsubscribe);
  void handle_disconnect(const mqtt::Disconnect& disconnect);

  void refuse_connect(std::uint8_t reason_code, const std::string& why);
  // Ends the connection because of a protocol problem: v5 gets a DISCONNECT with the reason.
  void protocol_failure(std::uint8_t reason_code, const std::string& why);
  void close(broker::CloseKind kind, const std::string& why,
             std::optional<std::uint8_t> disconnect_reason = std::nullopt);
  void finish_close();

  void write_packet(const mqtt::Packet& packet);
  void write_outbound(broker::Outbound&& item);
  void flush();
  void on_written(const std::error_code& error);
  void on_send_timeout();
  void drain_mailbox();

  // Everything this channel waits for in time, on one DeadlineTimer.
  enum Deadline : std::size_t {
    kConnectDeadline,     // CONNECT within the zone's idle_timeout
    kKeepaliveDeadline,   // the client's keepalive (× backoff × 2) since its last input
    kRetryDeadline,       // 3.x: resend unacknowledged messages
    kSendDeadline,        // a write on the wire for longer than send_timeout
    kPauseDeadline,       // reading again after a rate-limit pause or a hold (never both)
    kCloseFlushDeadline,  // closing: the last packets had their time to go out
    kDeadlineCount
  };
  void on_deadline(std::size_t deadline);

  void arm_idle_timer();
  void arm_keepalive_timer();
  void arm_retry_timer();
  std::string strip_mountpoint(const std::string& topic) const;
  std::string with_mountpoint(std::string_view topic) const;
  bool is_v5() const { return version_ == mqtt::ProtocolVersion::v5; }

  broker::Broker& broker_;
  std::unique_ptr<Transport> transport_;
  StreamReader reader_;  // no read buffer of its own while idle (plain TCP)
  std::shared_ptr<const ChannelContext> context_;
  const config::ZoneSettings& zone_;

  State state_ = State::AwaitingConnect;
  mqtt::ProtocolVersion version_ = mqtt::ProtocolVersion::v311;
  broker::ClientInfo client_;
  broker::SessionPtr session_;
  broker::CloseKind close_kind_ = broker::CloseKind::Abnormal;
  std::optional<std::uint32_t> expiry_on_close_;
  bool session_expiry_was_zero_ = false;

  // Input
  std::string input_;  // a partial packet, past input_used_
  std::size_t input_used_ = 0;
  std::chrono::steady_clock::time_point last_received_;
  std::chrono::milliseconds keepalive_timeout_{0};
  std::vector<TokenBucket> byte_buckets_;
  std::vector<TokenBucket> publish_buckets_;
  std::chrono::milliseconds pause_{0};  // owed by the input just processed
  PublisherHold hold_;  // waiting for slow subscribers this connection's input fed

  // Output: pending_ collects encoded packets while writing_ is on the wire. The mailbox's
  // accounting of each stays until those bytes are written (OutboundMailbox::release).
  std::string pending_;
  std::string writing_;
  std::size_t pending_backlog_ = 0;
  std::size_t writing_backlog_ = 0;
  bool write_in_progress_ = false;
  bool close_after_flush_ = false;

  // Session output from any thread, drained in order on this channel's executor.
  broker::OutboundMailbox mailbox_{broker_.metrics(), context_->backlog};

  DeadlineTimer<kDeadlineCount> timers_;

  // v5 negotiated limits (fixed at CONNECT, read by accepts() from other threads).
  std::uint32_t client_max_packet_size_ = 0;  // 0 = no limit announced
  std::uint16_t client_topic_alias_max_ = 0;
  // v5 topic aliases, allocated on first use: most connections never use any.
  struct TopicAliases {
    std::unordered_map<std::uint16_t, std::string> inbound;
    std::unordered_map<std::string, std::uint16_t> outbound;
  };
  TopicAliases& aliases();
  std::unique_ptr<TopicAliases> aliases_;
};

}  // namespace gatemq::net
