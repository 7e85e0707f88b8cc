#include "gateways/mqtt-sn/channel.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "core/mqtt/reason_code.hpp"

namespace gatemq::gateway::mqttsn {

namespace {
// The header of a PUBLISH in the 3-byte length form: what a payload leaves room for.
constexpr std::size_t kPublishOverhead = 9;
constexpr std::size_t kMaxDatagram = 65535;

std::chrono::milliseconds supervised(std::uint16_t seconds, double backoff) {
  // Keepalive and sleep durations are watched like MQTT keepalive: × keepalive_backoff × 2.
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 * backoff * 2));
}
}  // namespace

Channel::Channel(std::shared_ptr<const GatewayContext> context, std::weak_ptr<Endpoint> endpoint,
                 asio::any_io_executor executor, std::string client_id, Peer peer)
    : context_(std::move(context)),
      endpoint_(std::move(endpoint)),
      executor_(std::move(executor)),
      client_id_(std::move(client_id)),
      peer_(std::move(peer)),
      last_received_(std::chrono::steady_clock::now()),
      registry_(context_->settings.predefined, context_->settings.max_registered_topics),
      connect_timer_(executor_),
      keepalive_timer_(executor_),
      sleep_timer_(executor_),
      retry_timer_(executor_) {}

Channel::~Channel() = default;

const config::ZoneSettings& Channel::zone() const {
  return context_->broker.settings().zone(context_->settings.zone);
}

std::string Channel::log_name() const {
  return client_id_ + "@" + (peer_ ? peer_->text() : std::string("<no address>"));
}

void Channel::set_peer(std::optional<Peer> peer) {
  if (peer && peer_ && *peer != *peer_) {
    spdlog::info("{} mqtt-sn client moved to {} (NAT rebinding)", log_name(), peer->text());
  }
  peer_ = std::move(peer);
}

void Channel::transmit(const Message& message) {
  if (!peer_) return;  // its address was taken by another client: unreachable until it sends
  if (auto endpoint = endpoint_.lock()) endpoint->transmit(*peer_, message);
}

void Channel::handle(Message&& message) {
  if (state_ == State::Closed) return;
  auto self = shared_from_this();
  last_received_ = std::chrono::steady_clock::now();
  if (const auto* connect = std::get_if<Connect>(&message)) return handle_connect(*connect);
  if (const auto* disconnect = std::get_if<Disconnect>(&message)) {
    return handle_disconnect(*disconnect);
  }
  if (std::holds_alternative<Pingresp>(message)) return;  // harmless; we send no PINGREQ
  if (state_ == State::Connecting) {
    if (const auto* topic = std::get_if<WillTopic>(&message);
        topic && will_step_ == WillStep::Topic) {
      return handle_will_topic(*topic);
    }
    if (const auto* msg = std::get_if<WillMsg>(&message); msg && will_step_ == WillStep::Message) {
      return handle_will_message(*msg);
    }
    return violation(std::string(type_name(static_cast<std::uint8_t>(type_of(message)))) +
                     " during CONNECT");
  }
  if (const auto* m = std::get_if<Register>(&message)) return handle_register(*m);
  if (const auto* m = std::get_if<Regack>(&message)) return handle_regack(*m);
  if (const auto* m = std::get_if<Publish>(&message)) return handle_publish(*m);
  if (const auto* m = std::get_if<Puback>(&message)) return handle_puback(*m);
  if (const auto* m = std::get_if<Pubrec>(&message)) return handle_pubrec(*m);
  if (const auto* m = std::get_if<Pubrel>(&message)) return handle_pubrel(*m);
  if (const auto* m = std::get_if<Pubcomp>(&message)) return handle_pubcomp(*m);
  if (const auto* m = std::get_if<Subscribe>(&message)) return handle_subscribe(*m);
  if (const auto* m = std::get_if<Unsubscribe>(&message)) return handle_unsubscribe(*m);
  if (const auto* m = std::get_if<Pingreq>(&message)) return handle_pingreq(*m);
  if (const auto* m = std::get_if<WillTopicUpd>(&message)) return handle_will_update(*m);
  if (const auto* m = std::get_if<WillMsgUpd>(&message)) return handle_will_message_update(*m);
  violation(std::string(type_name(static_cast<std::uint8_t>(type_of(message)))) +
            " is not for a gateway");
}

// --- connect and the will handshake (§6.3) -----------------------------------------------------

void Channel::handle_connect(const Connect& connect) {
  const bool connected = client_ && client_->connected();
  if (state_ == State::Asleep || state_ == State::Awake) {
    // A sleeping client's CONNECT wakes it into the active state on the same connection (its
    // session, subscriptions and topic ids stay); only a will handshake it asks for runs.
    resume_in_place_ = true;
    spdlog::info("{} mqtt-sn client resumes from sleep with CONNECT", log_name());
  } else if (state_ == State::Active && connected) {
    // A new connection replaces this one (a rebooted device): no will, the session decides.
    spdlog::info("{} mqtt-sn client connects again", log_name());
    client_->disconnect(broker::CloseKind::Normal, "reconnected");
    client_.reset();
    outbox_.clear();
    queued_qos0_ = 0;
    sent_.clear();
    pending_register_.reset();
    registry_.clear();
    resume_in_place_ = false;
  }
  state_ = State::Connecting;
  keepalive_timer_.cancel();
  sleep_timer_.cancel();
  connect_ = connect;
  if (!connect.flags.will) return finish_connect();
  handshake_will_ = Will{};
  will_step_ = WillStep::Topic;
  transmit(WillTopicReq{});
  connect_timer_.expires_after(context_->settings.idle_timeout);
  connect_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->state_ != State::Connecting) return;
    self->close(broker::CloseKind::Abnormal, "will handshake not finished within idle_timeout",
                false);
  });
}

void Channel::handle_will_topic(const WillTopic& will_topic) {
  if (!will_topic.flags || will_topic.will_topic.empty()) {
    // An empty WILLTOPIC: the client has no will after all (§5.4.7).
    handshake_will_ = Will{};
    return finish_connect();
  }
  handshake_will_.topic = will_topic.will_topic;
  handshake_will_.qos = static_cast<std::uint8_t>(std::clamp(will_topic.flags->qos, 0, 2));
  handshake_will_.retain = will_topic.flags->retain;
  will_step_ = WillStep::Message;
  transmit(WillMsgReq{});
}

void Channel::handle_will_message(const WillMsg& will_message) {
  handshake_will_.message.assign(will_message.will_message.begin(),
                                 will_message.will_message.end());
  finish_connect();
}

void Channel::finish_connect() {
  auto self = shared_from_this();
  connect_timer_.cancel();
  will_step_ = WillStep::None;
  const Connect connect = *connect_;
  connect_.reset();
  if (connect.flags.will) {
    will_ = handshake_will_.topic.empty() ? std::nullopt : std::optional<Will>(handshake_will_);
  }
  keepalive_ = supervised(connect.duration, zone().keepalive_backoff);
  if (resume_in_place_) {
    resume_in_place_ = false;
    state_ = State::Active;
    transmit(Connack{accepted});
    arm_keepalive();
    arm_retry_timer();
    resend_unacknowledged();
    pump();
    return;
  }
  clean_session_ = connect.flags.clean_session;
  auto endpoint = endpoint_.lock();
  if (!endpoint) return close(broker::CloseKind::Normal, "gateway stopped", false);
  if (clean_session_) {
    endpoint->drop_will(client_id_);
    if (!connect.flags.will) will_.reset();
  } else if (!connect.flags.will && !will_ && context_->broker.find_session(client_id_)) {
    // A persistent session keeps its will too (§6.3).
    will_ = endpoint->stored_will(client_id_);
  }
  const auto& settings = context_->settings;
  client_.emplace(
      context_->broker, *context_->stats,
      GatewayClientOptions{"mqtt-sn", context_->listener_name, settings.zone, settings.mountpoint},
      peer_ ? peer_->host() : std::string(), peer_ ? peer_->port() : 0);
  GatewayClient::Connection connection;
  connection.client_id = client_id_;
  connection.username = settings.username;
  connection.password = settings.password;
  connection.clean_start = clean_session_;
  connection.keepalive = connect.duration;
  connection.session_expiry_seconds =
      clean_session_ ? 0 : static_cast<std::uint32_t>(zone().session_expiry_interval.count());
  if (client_->connect(std::move(connection), shared_from_this()) !=
      GatewayClient::ConnectResult::Accepted) {
    transmit(Connack{not_supported});
    return close(broker::CloseKind::Normal, "authentication failed", false);
  }
  state_ = State::Active;
  registry_.clear();
  transmit(Connack{accepted});
  if (settings.subs_resume && !clean_session_) queue_subscription_registrations();
  arm_keepalive();
  arm_retry_timer();
  pump();
}

// --- keepalive and sleeping clients (§6.11, §6.14) ---------------------------------------------

void Channel::handle_pingreq(const Pingreq& pingreq) {
  if (state_ == State::Asleep || state_ == State::Awake) {
    if (state_ == State::Asleep) {
      spdlog::debug("{} mqtt-sn client awake ({} buffered)", log_name(), outbox_.size());
    }
    // Whatever waited for it goes out now, and what it left unacknowledged before falling
    // asleep goes again; PINGRESP follows the last acknowledgement.
    state_ = State::Awake;
    arm_sleep_timer();
    resend_unacknowledged();
    pump();
    finish_wake_if_done();
    return;
  }
  if (pingreq.client_id && !pingreq.client_id->empty() && *pingreq.client_id != client_id_) {
    return violation("PINGREQ names another client id");
  }
  transmit(Pingresp{});
}

void Channel::finish_wake_if_done() {
  if (state_ != State::Awake || !outbox_.empty() || pending_register_ || !sent_.empty()) return;
  if (client_ && client_->session()) {
    const auto stats = client_->session()->stats();
    if (stats.inflight > 0 || stats.queued > 0) return;
  }
  transmit(Pingresp{});
  state_ = State::Asleep;
  arm_sleep_timer();
}

void Channel::handle_disconnect(const Disconnect& disconnect) {
  transmit(Disconnect{});
  if (disconnect.duration && *disconnect.duration > 0 && state_ != State::Connecting) {
    return go_to_sleep(*disconnect.duration);
  }
  close(broker::CloseKind::Normal, "client disconnected", false);
}

void Channel::go_to_sleep(std::uint16_t duration) {
  if (state_ == State::Active) {
    spdlog::info("{} mqtt-sn client asleep for {}s", log_name(), duration);
  }
  state_ = State::Asleep;
  sleep_duration_ = supervised(duration, zone().keepalive_backoff);
  keepalive_timer_.cancel();
  arm_sleep_timer();
}

void Channel::arm_sleep_timer() {
  sleep_timer_.expires_after(sleep_duration_);
  sleep_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || (self->state_ != State::Asleep && self->state_ != State::Awake)) return;
    self->close(broker::CloseKind::Abnormal, "sleep duration passed without a wake-up", false);
  });
}

void Channel::arm_keepalive() {
  if (keepalive_.count() <= 0) return;
  keepalive_timer_.expires_at(last_received_ + keepalive_);
  keepalive_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->state_ != State::Active) return;
    if (std::chrono::steady_clock::now() - self->last_received_ >= self->keepalive_) {
      self->close(broker::CloseKind::Abnormal, "keepalive timeout", true);
    } else {
      self->arm_keepalive();
    }
  });
}

void Channel::arm_retry_timer() {
  const auto interval = zone().retry_interval;
  if (interval.count() <= 0) return;
  retry_timer_.expires_after(interval);
  retry_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (!error && self->state_ != State::Closed) self->on_retry_timer();
  });
}

void Channel::on_retry_timer() {
  // UDP loses datagrams: what the device has not acknowledged goes again (§6.13).
  const auto now = std::chrono::steady_clock::now();
  const auto interval = zone().retry_interval;
  if (listening() && client_ && client_->session()) {
    resend_requested_at_ = now;
    client_->session()->retry_unacknowledged(now, interval);
    if (pending_register_ && now - pending_register_->sent_at >= interval) {
      pending_register_->sent_at = now;
      transmit(Register{pending_register_->topic_id, pending_register_->msg_id,
                        pending_register_->topic});
    }
  }
  arm_retry_timer();
}

void Channel::resend_unacknowledged() {
  // Resends come back through send(); those still waiting in the outbox are not duplicated.
  if (client_ && client_->session()) {
    resend_requested_at_ = std::chrono::steady_clock::now();
    client_->session()->retry_unacknowledged(resend_requested_at_, std::chrono::milliseconds(0));
  }
}

// --- closing -----------------------------------------------------------------------------------

void Channel::violation(const std::string& what) {
  context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
  close(broker::CloseKind::Abnormal, "protocol violation: " + what, true);
}

void Channel::close_by_gateway(const std::string& why) {
  close(broker::CloseKind::Abnormal, why, true);
}

void Channel::close_by_broker(std::uint8_t reason_code) {
  asio::post(executor_, [self = shared_from_this(), reason_code] {
    self->close(broker::CloseKind::Abnormal,
                "closed by the broker: " + std::string(mqtt::rc::name(reason_code)), true);
  });
}

void Channel::close(broker::CloseKind kind, const std::string& why, bool tell_device) {
  if (state_ == State::Closed) return;
  auto self = shared_from_this();
  state_ = State::Closed;
  connect_timer_.cancel();
  keepalive_timer_.cancel();
  sleep_timer_.cancel();
  retry_timer_.cancel();
  if (tell_device) transmit(Disconnect{});
  auto endpoint = endpoint_.lock();
  if (client_ && client_->connected()) {
    // The gateway keeps the will (it changes with WILLTOPICUPD/WILLMSGUPD): a lost client's
    // will is published here, as the client, before its session is released.
    if (kind != broker::CloseKind::Normal && will_ && !will_->topic.empty()) {
      spdlog::info("{} publishing the will to '{}'", log_name(), will_->topic);
      client_->publish(will_->topic, will_->message, will_->qos, will_->retain);
    }
    client_->disconnect(
        kind, why + " (mqtt-sn peer " + (peer_ ? peer_->text() : std::string("unknown")) + ")");
    if (endpoint) {
      if (!clean_session_ && will_) {
        endpoint->keep_will(client_id_, *will_);
      } else if (clean_session_) {
        endpoint->drop_will(client_id_);
      }
    }
  } else {
    spdlog::info("{} mqtt-sn connection closed: {}", log_name(), why);
  }
  client_.reset();
  outbox_.clear();
  queued_qos0_ = 0;
  sent_.clear();
  pending_register_.reset();
  if (endpoint) endpoint->forget(client_id_, this);
}

// --- SessionSink -------------------------------------------------------------------------------

void Channel::send(broker::Outbound item) {
  if (!mailbox_.push(std::move(item), weak_from_this())) return;
  asio::post(executor_, [self = shared_from_this()] {
    for (auto& taken : self->mailbox_.take_and_release()) self->on_outbound(std::move(taken));
  });
}

bool Channel::accepts(const broker::Delivery& delivery) const {
  return delivery.message->payload.size() <= kMaxDatagram - kPublishOverhead;
}

}  // namespace gatemq::gateway::mqttsn
