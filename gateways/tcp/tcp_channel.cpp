#include "gateways/tcp/tcp_channel.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "core/mqtt/reason_code.hpp"

namespace gatemq::gateway::tcp {

TcpChannel::TcpChannel(std::shared_ptr<const ChannelContext> context,
                       std::unique_ptr<net::Transport> transport)
    : context_(std::move(context)),
      transport_(std::move(transport)),
      client_(context_->broker, *context_->stats,
              GatewayClientOptions{"tcp", context_->listener_name, context_->zone,
                                   context_->settings.mountpoint},
              transport_->peer_host(), transport_->peer_port()),
      reader_(*transport_),
      deadline_timer_(transport_->executor()),
      keepalive_timer_(transport_->executor()),
      writer_(
          *transport_, context_->send_timeout,
          [this](const std::string& why) { close(broker::CloseKind::Abnormal, why); }, &mailbox_) {}

void TcpChannel::start() {
  last_received_ = std::chrono::steady_clock::now();
  deadline_timer_.expires_after(context_->settings.idle_timeout);
  deadline_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (!error && self->state_ == State::AwaitingConnect) {
      self->close(broker::CloseKind::Abnormal, "no CONNECT within tcp.proto.idle_timeout");
    }
  });
  read();
}

void TcpChannel::read() {
  reader_.read([self = shared_from_this()](const std::error_code& error, std::string_view data) {
    if (self->state_ == State::Closed) return;
    if (error) {
      self->close(broker::CloseKind::Abnormal, error == asio::error::eof
                                                   ? "connection closed by the device"
                                                   : "read error: " + error.message());
      return;
    }
    self->last_received_ = std::chrono::steady_clock::now();
    self->input_.append(data);
    self->consume_input();
  });
}

void TcpChannel::consume_input() {
  broker::PublishCongestion::Scope congestion;
  if (!process_input()) return;
  if (!congestion.entries().empty()) {
    if (hold_.begin(congestion.entries(), shared_from_this())) {
      context_->broker.metrics().add(broker::Metric::PublishersHeld);
      deadline_timer_.expires_after(context_->backlog.max_hold);
      deadline_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
        if (!error && self->hold_.holding()) self->end_hold();  // read again, whoever is behind
      });
      return;
    }
    // Caught up meanwhile: go on with the input left, after whatever else this thread has to do.
    asio::post(transport_->executor(), [self = shared_from_this()] { self->consume_input(); });
    return;
  }
  read();
}

void TcpChannel::on_subscriber_caught_up(std::uint32_t hold) {
  if (!hold_.caught_up(hold)) return;
  deadline_timer_.cancel();
  end_hold();
}

void TcpChannel::end_hold() {
  hold_.end();  // late wake-ups of this hold are ignored
  if (state_ != State::Closed) consume_input();
}

bool TcpChannel::process_input() {
  std::size_t used = 0;
  while (state_ != State::Closed) {
    auto parsed =
        parse_frame(std::string_view(input_).substr(used), context_->settings.max_packet_size);
    if (parsed.status == ParseResult::Status::NeedMore) break;
    if (parsed.status == ParseResult::Status::Invalid) {
      context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
      close(broker::CloseKind::Abnormal, "invalid frame: " + parsed.error);
      return false;
    }
    used += parsed.consumed;
    handle(std::move(parsed.frame));
    // A subscriber this input feeds is behind: the rest waits in input_ until it caught up.
    if (broker::PublishCongestion::reported()) break;
  }
  input_.erase(0, used);
  // A drained connection keeps no input buffer: idle devices cost little memory.
  if (input_.empty()) input_.shrink_to_fit();
  return state_ != State::Closed;
}

void TcpChannel::handle(Frame&& frame) {
  if (state_ == State::AwaitingConnect) {
    if (frame.type != FrameType::Connect) {
      context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
      close(broker::CloseKind::Abnormal, "first frame is not CONNECT");
      return;
    }
    handle_connect(frame);
    return;
  }
  switch (frame.type) {
    case FrameType::Connect:
      context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
      close(broker::CloseKind::Abnormal, "second CONNECT");
      return;
    case FrameType::Datatrans: {
      const auto topics = context_->topics->get();
      const auto topic = client_.expand(topics->up_topic);
      if (!client_.publish(topic, std::move(frame.payload), topics->up_qos, false) &&
          context_->broker.deny_disconnects(client_.info())) {
        close(broker::CloseKind::Abnormal, "publish not authorized (acl_deny_action = disconnect)");
      }
      return;
    }
    case FrameType::Ping: {
      std::string pong;
      encode_bare(FrameType::Pong, pong);
      write(std::move(pong));
      return;
    }
    case FrameType::Disconnect:
      close(broker::CloseKind::Normal, "device disconnected");
      return;
    default:
      return;  // parse_frame lets only client frames through
  }
}

void TcpChannel::handle_connect(const Frame& frame) {
  deadline_timer_.cancel();
  std::string reply;
  if (frame.flags != kProtocolVersion) {
    encode_connack(ConnackCode::IllegalVersion, "Unsupported protocol version", reply);
    write(std::move(reply));
    close(broker::CloseKind::Abnormal,
          "unsupported protocol version " + std::to_string(frame.flags));
    return;
  }
  auto connect = parse_connect(frame.flags, frame.payload);
  if (!connect) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    close(broker::CloseKind::Abnormal, "malformed CONNECT payload");
    return;
  }
  GatewayClient::Connection connection;
  connection.client_id = connect->client_id;
  connection.username = connect->username;
  connection.password = connect->password;
  connection.keepalive = connect->keepalive;
  const auto result = client_.connect(std::move(connection), shared_from_this());
  if (result == GatewayClient::ConnectResult::NotAuthorized) {
    encode_connack(ConnackCode::AuthFailed, "Authentication failed", reply);
    write(std::move(reply));
    close(broker::CloseKind::Abnormal, "authentication failed");
    return;
  }
  state_ = State::Connected;
  subscribe_down_topic();
  encode_connack(ConnackCode::Success, "Connect Successfully", reply);
  write(std::move(reply));
  if (connect->keepalive > 0) {
    const auto& zone = context_->broker.settings().zone(context_->zone);
    keepalive_timeout_ = std::chrono::milliseconds(
        static_cast<std::int64_t>(connect->keepalive * 1000.0 * zone.keepalive_backoff * 2));
    arm_keepalive_timer();
  }
}

void TcpChannel::subscribe_down_topic() {
  const auto topics = context_->topics->get();
  const auto dn_topic = client_.expand(topics->dn_topic);
  if (dn_topic == dn_filter_ && topics->dn_qos == dn_qos_) return;
  // The new subscription first, then the old one goes: nothing published meanwhile is missed.
  const auto granted = client_.subscribe(dn_topic, topics->dn_qos);
  if (granted >= 0x80) {
    spdlog::warn("{} cannot subscribe to its down topic '{}': {}", client_.info().log_name(),
                 dn_topic, mqtt::rc::name(granted));
  }
  if (!dn_filter_.empty() && dn_filter_ != dn_topic) client_.unsubscribe(dn_filter_);
  dn_filter_ = dn_topic;
  dn_qos_ = topics->dn_qos;
}

void TcpChannel::topics_changed() {
  asio::post(transport_->executor(), [self = shared_from_this()] {
    if (self->state_ == State::Connected) self->subscribe_down_topic();
  });
}

void TcpChannel::arm_keepalive_timer() {
  keepalive_timer_.expires_at(last_received_ + keepalive_timeout_);
  keepalive_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->state_ != State::Connected) return;
    if (std::chrono::steady_clock::now() - self->last_received_ >= self->keepalive_timeout_) {
      self->close(broker::CloseKind::Abnormal, "keepalive timeout");
    } else {
      self->arm_keepalive_timer();
    }
  });
}

// --- output ------------------------------------------------------------------------------------

void TcpChannel::send(broker::Outbound item) {
  if (!mailbox_.push(std::move(item), weak_from_this())) return;
  asio::post(transport_->executor(), [self = shared_from_this()] {
    auto batch = self->mailbox_.take();
    for (auto& taken : batch.items) {
      // No PUBREL reaches a device: QoS 2 deliveries complete in deliver().
      if (auto* publish = std::get_if<broker::OutboundPublish>(&taken)) {
        self->deliver(std::move(*publish));
      }
    }
    self->writer_.carry_backlog(batch.bytes);
  });
}

bool TcpChannel::accepts(const broker::Delivery& delivery) const {
  return delivery.message->payload.size() <= kMaxPayload;
}

void TcpChannel::deliver(broker::OutboundPublish&& publish) {
  if (state_ != State::Connected) return;  // the session keeps QoS 1/2 for the next connection
  const auto& session = client_.session();
  std::string frame;
  encode_datatrans(publish.delivery.message->payload, frame);
  write(std::move(frame));
  context_->stats->messages_down.fetch_add(1, std::memory_order_relaxed);
  // The device has no acknowledgements: a QoS 1/2 delivery is complete once handed to TCP.
  if (publish.packet_id != 0 && session) {
    if (publish.delivery.qos == 1) {
      session->on_puback(publish.packet_id);
    } else {
      session->on_pubrec(publish.packet_id);
      session->on_pubcomp(publish.packet_id);
    }
  }
}

void TcpChannel::write(std::string bytes) {
  if (state_ == State::Closed) return;
  writer_.write(bytes, shared_from_this());
}

void TcpChannel::close_by_broker(std::uint8_t reason_code) {
  asio::post(transport_->executor(), [self = shared_from_this(), reason_code] {
    self->close(broker::CloseKind::Abnormal,
                std::string("closed by the broker: ") + std::string(mqtt::rc::name(reason_code)));
  });
}

void TcpChannel::close(broker::CloseKind kind, const std::string& why) {
  if (state_ == State::Closed) return;
  const bool was_connected = state_ == State::Connected;
  state_ = State::Closed;
  deadline_timer_.cancel();
  keepalive_timer_.cancel();
  if (was_connected) {
    client_.disconnect(kind, why);
  } else {
    spdlog::info("{} tcp gateway connection closed: {}", client_.info().log_name(), why);
  }
  // A CONNACK explaining a refusal goes out before the socket closes.
  writer_.close_when_drained(shared_from_this());
}

}  // namespace gatemq::gateway::tcp
