#include "core/net/mqtt_channel.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <random>

#include "core/mqtt/reason_code.hpp"
#include "core/router/topic.hpp"

namespace gatemq::net {

namespace {

using namespace std::chrono_literals;
using broker::CloseKind;
namespace rc = mqtt::rc;

constexpr auto kCloseFlushTimeout = 5s;
constexpr std::uint32_t kV3ExpiryEndsWithConnection = 0;

std::string generate_client_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "gatemq-";
  auto bits = generator();
  for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(kHex[bits & 0xF]);
  return id;
}

// MQTT 5 3.3.2.3.5: a Response Topic is a topic name, so no wildcards [MQTT-3.3.2-14] (nor
// empty); the decoder has already checked its UTF-8.
bool has_invalid_response_topic(const mqtt::Properties& properties) {
  return properties.response_topic &&
         !router::is_valid_topic_name(*properties.response_topic, /*max_levels=*/0);
}

const char* version_name(mqtt::ProtocolVersion version) {
  switch (version) {
    case mqtt::ProtocolVersion::v31:
      return "3.1";
    case mqtt::ProtocolVersion::v311:
      return "3.1.1";
    case mqtt::ProtocolVersion::v5:
      return "5.0";
  }
  return "?";
}

}  // namespace

MqttChannel::MqttChannel(broker::Broker& broker, std::unique_ptr<Transport> transport,
                         std::shared_ptr<const ChannelContext> context)
    : broker_(broker),
      transport_(std::move(transport)),
      reader_(*transport_),
      context_(std::move(context)),
      zone_(context_->zone),
      timers_(transport_->executor(), [this](std::size_t deadline) { on_deadline(deadline); }) {
  client_.peer_host = transport_->peer_host();
  client_.peer_port = transport_->peer_port();
  client_.listener = context_->listener_name;
  client_.zone = context_->zone_name;
  broker_.counters().connections.fetch_add(1, std::memory_order_relaxed);
  const auto now = std::chrono::steady_clock::now();
  for (const auto& limit : context_->byte_limits) byte_buckets_.emplace_back(limit, now);
  for (const auto& limit : context_->publish_limits) publish_buckets_.emplace_back(limit, now);
}

MqttChannel::~MqttChannel() {
  broker_.counters().connections.fetch_sub(1, std::memory_order_relaxed);
}

void MqttChannel::start() {
  last_received_ = std::chrono::steady_clock::now();
  arm_idle_timer();
  read();
}

// ---------------------------------------------------------------------------------------------
// Input

void MqttChannel::read() {
  reader_.read([self = shared_from_this()](const std::error_code& error, std::string_view data) {
    self->on_read(error, data);
  });
}

void MqttChannel::on_read(const std::error_code& error, std::string_view data) {
  if (state_ == State::Closed) return;
  if (error) {
    if (state_ != State::Closing) {
      close(CloseKind::Abnormal, error == asio::error::eof ? "connection closed by peer"
                                                           : "read error: " + error.message());
    }
    return;
  }
  if (state_ == State::Closing) return;  // discard input while we close
  last_received_ = std::chrono::steady_clock::now();
  broker_.metrics().add(broker::Metric::BytesReceived, data.size());
  for (auto& bucket : byte_buckets_) {
    pause_ = std::max(pause_, bucket.take(static_cast<double>(data.size()), last_received_));
  }
  // Without a partial packet waiting, packets are decoded straight from the read buffer and only
  // an incomplete tail is copied: an idle connection then holds no input buffer at all.
  const bool buffered = input_used_ < input_.size();
  if (buffered) input_.append(data);
  const std::string_view available = buffered ? std::string_view(input_).substr(input_used_) : data;
  std::size_t consumed = 0;
  broker::PublishCongestion::Scope congestion;
  if (!process_input(available, consumed)) return;
  if (!buffered) {
    if (consumed < data.size()) {
      input_.assign(data.substr(consumed));
      input_used_ = 0;
    }
  } else if (input_used_ += consumed; input_used_ == input_.size()) {
    // Everything consumed: release the buffer.
    std::string().swap(input_);
    input_used_ = 0;
  } else if (input_used_ * 2 >= input_.size()) {
    // Compact once the consumed prefix dominates, so input_ does not grow without bound.
    input_.erase(0, input_used_);
    input_used_ = 0;
  }
  if (!congestion.entries().empty() && zone_.max_publisher_hold.count() > 0) {
    if (hold_for(congestion.entries())) return;
    // Nobody to wait for after all (caught up meanwhile): go on with what process_input left,
    // after whatever else this thread has to do.
    asio::post(transport_->executor(), [self = shared_from_this()] { self->on_read({}, {}); });
    return;
  }
  read_or_pause();
}

void MqttChannel::read_or_pause() {
  if (pause_.count() <= 0) {
    read();
    return;
  }
  // Over a rate limit: stop reading until the buckets refill (the sender feels TCP backpressure).
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{} rate limited: reading again in {} ms", client_.log_name(), pause_.count());
  }
  timers_.arm_after(kPauseDeadline, pause_, shared_from_this());
  pause_ = std::chrono::milliseconds(0);
}

bool MqttChannel::process_input(std::string_view input, std::size_t& consumed) {
  while (state_ == State::AwaitingConnect || state_ == State::Connected) {
    const std::string_view available = input.substr(consumed);
    const auto frame = mqtt::next_frame(available, zone_.mqtt.max_packet_size);
    switch (frame.status) {
      case mqtt::Frame::Status::NeedMore:
        return true;
      case mqtt::Frame::Status::Malformed:
        broker_.metrics().add(broker::Metric::PacketsMalformed);
        protocol_failure(rc::kMalformedPacket, "malformed fixed header");
        return false;
      case mqtt::Frame::Status::TooLarge:
        protocol_failure(rc::kPacketTooLarge, "packet exceeds mqtt.max_packet_size");
        return false;
      case mqtt::Frame::Status::Complete:
        break;
    }
    const auto type = static_cast<mqtt::PacketType>(frame.first_byte >> 4);
    if (state_ == State::AwaitingConnect && type != mqtt::PacketType::Connect) {
      close(CloseKind::Abnormal, "first packet is not CONNECT");
      return false;
    }
    auto decoded = mqtt::decode(frame.first_byte, frame.body, version_);
    consumed += frame.consumed;
    broker_.metrics().packet_received(type);
    if (!decoded.ok()) {
      broker_.metrics().add(broker::Metric::PacketsMalformed);
      if (type == mqtt::PacketType::Connect) {
        if (auto* connect = std::get_if<mqtt::Connect>(&decoded.packet)) {
          version_ = connect->version;
        }
        refuse_connect(decoded.error.reason_code, decoded.error.message);
      } else {
        protocol_failure(decoded.error.reason_code, decoded.error.message);
      }
      return false;
    }
    handle(std::move(decoded.packet));
    // A subscriber this input feeds is behind: the rest waits in input_ until it caught up,
    // so a hold overshoots by one packet per publisher, not by a whole read.
    if (zone_.max_publisher_hold.count() > 0 && broker::PublishCongestion::reported()) {
      return state_ != State::Closed;
    }
  }
  return state_ != State::Closed;
}

void MqttChannel::handle(mqtt::Packet&& packet) {
  if (auto* connect = std::get_if<mqtt::Connect>(&packet)) {
    if (state_ != State::AwaitingConnect) {
      protocol_failure(rc::kProtocolError, "second CONNECT on one connection");
      return;
    }
    handle_connect(std::move(*connect));
    return;
  }
  std::visit(
      [this](auto&& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, mqtt::Publish>) {
          handle_publish(std::move(value));
        } else if constexpr (std::is_same_v<T, mqtt::Puback>) {
          if (!session_->on_puback(value.packet_id)) {
            broker_.metrics().add(broker::Metric::PacketsPubackMissed);
            spdlog::debug("{} PUBACK for unknown packet id {}", client_.log_name(),
                          value.packet_id);
          }
        } else if constexpr (std::is_same_v<T, mqtt::Pubrec>) {
          if (value.reason_code >= 0x80) {
            // The receiver refused the message: the flow ends here (spec 4.3.3).
            session_->on_delivery_refused(value.packet_id);
          } else if (!session_->on_pubrec(value.packet_id)) {
            broker_.metrics().add(broker::Metric::PacketsPubrecMissed);
            write_packet(mqtt::Pubrel{value.packet_id, rc::kPacketIdentifierNotFound, {}});
          }
        } else if constexpr (std::is_same_v<T, mqtt::Pubrel>) {
          const bool known = session_->release_qos2(value.packet_id);
          if (!known) broker_.metrics().add(broker::Metric::PacketsPubrelMissed);
          write_packet(mqtt::Pubcomp{
              value.packet_id, known ? rc::kSuccess : rc::kPacketIdentifierNotFound, {}});
        } else if constexpr (std::is_same_v<T, mqtt::Pubcomp>) {
          if (!session_->on_pubcomp(value.packet_id)) {
            broker_.metrics().add(broker::Metric::PacketsPubcompMissed);
          }
        } else if constexpr (std::is_same_v<T, mqtt::Subscribe>) {
          handle_subscribe(std::move(value));
        } else if constexpr (std::is_same_v<T, mqtt::Unsubscribe>) {
          handle_unsubscribe(std::move(value));
        } else if constexpr (std::is_same_v<T, mqtt::Pingreq>) {
          write_packet(mqtt::Pingresp{});
        } else if constexpr (std::is_same_v<T, mqtt::Disconnect>) {
          handle_disconnect(value);
        } else if constexpr (std::is_same_v<T, mqtt::Auth>) {
          // Enhanced authentication is refused at CONNECT, so any AUTH is out of order.
          protocol_failure(rc::kProtocolError, "AUTH without an authentication method");
        } else {
          protocol_failure(rc::kProtocolError, "packet type only a server may send");
        }
      },
      std::move(packet));
}

void MqttChannel::handle_connect(mqtt::Connect&& connect) {
  timers_.cancel(kConnectDeadline);
  version_ = connect.version;
  client_.version = connect.version;
  client_.username = connect.username;
  const auto& limits = zone_.mqtt;
  if (const auto* tls = transport_->tls_peer()) {
    // A verified client certificate names the client instead of what CONNECT says.
    const auto from_certificate = [tls](const std::string& field) -> std::optional<std::string> {
      const auto& value = field == "cn" ? tls->cert_cn : field == "dn" ? tls->cert_dn : "";
      if (value.empty()) return std::nullopt;
      return value;
    };
    if (auto name = from_certificate(context_->peer_cert_as_username)) client_.username = name;
    if (auto id = from_certificate(context_->peer_cert_as_clientid)) connect.client_id = *id;
  }

  const bool assigned_id = connect.client_id.empty();
  if (assigned_id) {
    // 3.1 requires 1-23 characters; 3.1.1 allows empty ids only for clean sessions.
    if (version_ == mqtt::ProtocolVersion::v31 ||
        (version_ == mqtt::ProtocolVersion::v311 && !connect.clean_start)) {
      refuse_connect(rc::kClientIdentifierNotValid, "empty client id");
      return;
    }
    connect.client_id = generate_client_id();
  }
  client_.client_id = connect.client_id;
  client_.clean_start = connect.clean_start;
  if (connect.client_id.size() > limits.max_clientid_len) {
    refuse_connect(rc::kClientIdentifierNotValid, "client id longer than mqtt.max_clientid_len");
    return;
  }
  if (auto ban = broker_.find_ban(client_)) {
    refuse_connect(rc::kBanned, "banned by " + ban->by + " (" + ban->reason + ")");
    return;
  }
  if (connect.properties.authentication_method) {
    refuse_connect(rc::kBadAuthenticationMethod, "authentication method '" +
                                                     *connect.properties.authentication_method +
                                                     "' is not configured");
    return;
  }
  if (!broker_.authenticate(client_, connect.password)) {
    refuse_connect(connect.username ? rc::kBadUserNameOrPassword : rc::kNotAuthorized,
                   "authentication failed");
    return;
  }

  // The listener's mountpoint wins over the zone's; placeholders expand per client.
  client_.mountpoint = router::expand_placeholders(
      context_->mountpoint.empty() ? zone_.mountpoint : context_->mountpoint,
      router::PlaceholderValues{client_.client_id, client_.username.value_or(""), "",
                                client_.peer_host});

  std::optional<broker::WillMessage> will;
  if (connect.will) {
    auto& w = *connect.will;
    if (!router::is_valid_topic_name(w.topic, limits.max_topic_levels)) {
      refuse_connect(rc::kTopicNameInvalid, "invalid will topic");
      return;
    }
    if (w.qos > limits.max_qos_allowed) {
      refuse_connect(rc::kQosNotSupported, "will QoS above mqtt.max_qos_allowed");
      return;
    }
    if (w.retain && !limits.retain_available) {
      refuse_connect(rc::kRetainNotSupported, "retained will but retain is not available");
      return;
    }
    if (has_invalid_response_topic(w.properties)) {
      // A protocol error in CONNECT, answered as the decoder's are (4.13.1).
      refuse_connect(rc::kProtocolError, "will response topic with a wildcard or empty");
      return;
    }
    if (broker_.authorize(client_, broker::AclAction::Publish, w.topic)) {
      const auto delay = w.properties.will_delay_interval.value_or(0);
      will = broker::WillMessage{
          broker::make_message(with_mountpoint(w.topic), std::move(w.payload), w.qos, w.retain,
                               w.properties, client_.client_id),
          delay};
    } else {
      spdlog::warn("{} will topic '{}' not authorized; will dropped", client_.log_name(), w.topic);
    }
  }

  // Keepalive: the zone may impose its own (v5 Server Keep Alive).
  std::uint16_t keepalive = connect.keep_alive;
  const bool server_keepalive = is_v5() && zone_.server_keepalive != 0;
  if (server_keepalive) keepalive = zone_.server_keepalive;
  client_.keepalive = keepalive;
  keepalive_timeout_ = std::chrono::milliseconds(
      static_cast<std::int64_t>(keepalive * 1000.0 * zone_.keepalive_backoff * 2));

  std::uint32_t expiry = kV3ExpiryEndsWithConnection;
  if (is_v5()) {
    expiry = connect.properties.session_expiry_interval.value_or(0);
    client_max_packet_size_ = connect.properties.maximum_packet_size.value_or(0);
    client_topic_alias_max_ = connect.properties.topic_alias_maximum.value_or(0);
  } else if (!connect.clean_start) {
    expiry = static_cast<std::uint32_t>(zone_.session_expiry_interval.count());
  }
  session_expiry_was_zero_ = expiry == 0;

  broker::OpenSessionRequest request;
  request.client = client_;
  request.clean_start = connect.clean_start;
  request.session_expiry_seconds = expiry;
  request.will = std::move(will);
  request.receive_maximum = is_v5() ? connect.properties.receive_maximum.value_or(65535) : 65535;
  request.limits = broker::session_limits(zone_);

  state_ = State::Connected;
  auto opened = broker_.open_session(std::move(request), shared_from_this());
  session_ = opened.session;

  mqtt::Connack connack;
  connack.session_present = opened.session_present;
  if (is_v5()) {
    auto& props = connack.properties;
    if (assigned_id) props.assigned_client_identifier = client_.client_id;
    if (limits.max_topic_alias != 0) props.topic_alias_maximum = limits.max_topic_alias;
    if (zone_.max_awaiting_rel != 0) {
      props.receive_maximum =
          static_cast<std::uint16_t>(std::min<std::uint32_t>(zone_.max_awaiting_rel, 65535));
    }
    if (limits.max_packet_size != 0) props.maximum_packet_size = limits.max_packet_size;
    if (!limits.retain_available) props.retain_available = 0;
    if (limits.max_qos_allowed < 2) props.maximum_qos = limits.max_qos_allowed;
    if (!limits.wildcard_subscription) props.wildcard_subscription_available = 0;
    if (!limits.shared_subscription) props.shared_subscription_available = 0;
    if (server_keepalive) props.server_keep_alive = keepalive;
  }
  write_packet(connack);
  arm_keepalive_timer();
  arm_retry_timer();
  // The check spares building the log name when info lines are off (bench, busy brokers).
  if (spdlog::should_log(spdlog::level::info)) {
    spdlog::info("{} connected: MQTT {}, clean_start={}, keepalive={}s, session_present={}",
                 client_.log_name(), version_name(version_), connect.clean_start, keepalive,
                 opened.session_present);
  }
  broker_.hooks().client_connected(client_);
}

void MqttChannel::handle_publish(mqtt::Publish&& publish) {
  const auto& limits = zone_.mqtt;
  if (publish.qos > limits.max_qos_allowed) {
    protocol_failure(rc::kQosNotSupported, "PUBLISH QoS above mqtt.max_qos_allowed");
    return;
  }
  if (publish.retain && !limits.retain_available) {
    protocol_failure(rc::kRetainNotSupported, "retained PUBLISH but retain is not available");
    return;
  }
  if (publish.topic.empty() && !publish.properties.topic_alias) {
    // MQTT 5 3.3.2.1 calls this a protocol error (it is not a malformed topic name).
    protocol_failure(rc::kProtocolError, "empty topic name without a topic alias");
    return;
  }
  if (has_invalid_response_topic(publish.properties)) {
    protocol_failure(rc::kProtocolError, "response topic with a wildcard or empty");
    return;
  }
  if (auto alias = publish.properties.topic_alias) {
    if (*alias == 0 || *alias > limits.max_topic_alias) {
      protocol_failure(rc::kTopicAliasInvalid, "topic alias out of range");
      return;
    }
    if (publish.topic.empty()) {
      auto& inbound = aliases().inbound;
      auto known = inbound.find(*alias);
      if (known == inbound.end()) {
        protocol_failure(rc::kProtocolError, "unknown topic alias");
        return;
      }
      publish.topic = known->second;
    } else {
      aliases().inbound[*alias] = publish.topic;
    }
  }
  if (!router::is_valid_topic_name(publish.topic, limits.max_topic_levels)) {
    protocol_failure(rc::kTopicNameInvalid, "invalid topic name '" + publish.topic + "'");
    return;
  }
  const bool allowed = !publish.topic.starts_with("$SYS/") &&
                       broker_.authorize(client_, broker::AclAction::Publish, publish.topic);
  if (!allowed) {
    spdlog::info("{} not authorized to publish to '{}'", client_.log_name(), publish.topic);
    const auto code = is_v5() ? rc::kNotAuthorized : rc::kSuccess;
    if (broker_.deny_disconnects(client_)) {
      close(CloseKind::Abnormal, "publish not authorized (acl_deny_action = disconnect)",
            rc::kNotAuthorized);
      return;
    }
    if (publish.qos == 1) write_packet(mqtt::Puback{publish.packet_id, code, {}});
    if (publish.qos == 2) write_packet(mqtt::Pubrec{publish.packet_id, code, {}});
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto& bucket : publish_buckets_) pause_ = std::max(pause_, bucket.take(1, now));
  if (publish.qos == 2) {
    switch (session_->receive_qos2(publish.packet_id)) {
      case broker::Session::Qos2Receive::Duplicate:
        write_packet(mqtt::Pubrec{publish.packet_id, rc::kSuccess, {}});
        return;
      case broker::Session::Qos2Receive::Full:
        protocol_failure(rc::kReceiveMaximumExceeded, "too many QoS 2 messages awaiting PUBREL");
        return;
      case broker::Session::Qos2Receive::New:
        break;
    }
  }
  auto message =
      broker::make_message(with_mountpoint(publish.topic), std::move(publish.payload), publish.qos,
                           publish.retain, publish.properties, client_.client_id);
  const std::size_t reached = broker_.publish(message);
  const auto code = is_v5() && reached == 0 ? rc::kNoMatchingSubscribers : rc::kSuccess;
  if (publish.qos == 1) write_packet(mqtt::Puback{publish.packet_id, code, {}});
  if (publish.qos == 2) write_packet(mqtt::Pubrec{publish.packet_id, code, {}});
}

void MqttChannel::handle_subscribe(mqtt::Subscribe&& subscribe) {
  mqtt::Suback suback;
  suback.packet_id = subscribe.packet_id;
  std::optional<std::uint32_t> subscription_id;
  if (!subscribe.properties.subscription_identifiers.empty()) {
    subscription_id = subscribe.properties.subscription_identifiers.front();
  }
  bool denied = false;
  for (const auto& item : subscribe.subscriptions) {
    if (is_v5() && item.options.no_local && router::parse_shared(item.filter)) {
      // MQTT 5, 3.8.3.1: No Local on a shared subscription is a protocol error.
      protocol_failure(rc::kProtocolError, "no local on shared subscription " + item.filter);
      return;
    }
  }
  for (auto& item : subscribe.subscriptions) {
    auto code = broker_.subscribe(session_, client_, with_mountpoint(item.filter),
                                  broker::SubscriptionRecord{item.options, subscription_id});
    denied = denied || code == rc::kNotAuthorized;
    if (!is_v5() && code >= 0x80) code = rc::kUnspecifiedError;
    if (code >= 0x80) {
      spdlog::info("{} subscribe to '{}' refused: {}", client_.log_name(), item.filter,
                   rc::name(code));
    }
    suback.reason_codes.push_back(code);
  }
  write_packet(suback);
  if (denied && broker_.deny_disconnects(client_)) {
    close(CloseKind::Abnormal, "subscribe not authorized (acl_deny_action = disconnect)",
          rc::kNotAuthorized);
  }
}

void MqttChannel::handle_unsubscribe(mqtt::Unsubscribe&& unsubscribe) {
  mqtt::Unsuback unsuback;
  unsuback.packet_id = unsubscribe.packet_id;
  for (const auto& filter : unsubscribe.filters) {
    const bool existed = broker_.unsubscribe(session_, with_mountpoint(filter));
    unsuback.reason_codes.push_back(existed ? rc::kSuccess : rc::kNoSubscriptionExisted);
  }
  write_packet(unsuback);
}

void MqttChannel::handle_disconnect(const mqtt::Disconnect& disconnect) {
  if (is_v5() && disconnect.properties.session_expiry_interval) {
    const auto requested = *disconnect.properties.session_expiry_interval;
    if (session_expiry_was_zero_ && requested != 0) {
      protocol_failure(rc::kProtocolError, "session expiry set on DISCONNECT after 0 at CONNECT");
      return;
    }
    expiry_on_close_ = requested;
  }
  const bool with_will = is_v5() && disconnect.reason_code == rc::kDisconnectWithWill;
  close(with_will ? CloseKind::NormalWithWill : CloseKind::Normal, "client disconnected");
}

// ---------------------------------------------------------------------------------------------
// Closing

void MqttChannel::refuse_connect(std::uint8_t reason_code, const std::string& why) {
  spdlog::warn("{} connection refused: {} ({})", client_.log_name(), why, rc::name(reason_code));
  mqtt::Connack connack;
  connack.reason_code = reason_code;
  if (is_v5()) connack.properties.reason_string = why;
  write_packet(connack);
  close(CloseKind::Abnormal, "connection refused");
}

void MqttChannel::protocol_failure(std::uint8_t reason_code, const std::string& why) {
  close(CloseKind::Abnormal, why + " (" + std::string(rc::name(reason_code)) + ")", reason_code);
}

void MqttChannel::close(CloseKind kind, const std::string& why,
                        std::optional<std::uint8_t> disconnect_reason) {
  if (state_ == State::Closing || state_ == State::Closed) return;
  const bool was_connected = state_ == State::Connected;
  state_ = State::Closing;
  close_kind_ = kind;
  const auto level = kind == CloseKind::Abnormal ? spdlog::level::info : spdlog::level::debug;
  if (spdlog::should_log(level)) {
    spdlog::log(level, "{} disconnected: {}", client_.log_name(), why);
  }
  if (was_connected) {
    broker_.hooks().client_disconnected(client_, kind == CloseKind::Abnormal ? why : "normal");
  }
  if (disconnect_reason && was_connected && is_v5()) {
    mqtt::Disconnect disconnect;
    disconnect.reason_code = *disconnect_reason;
    write_packet(disconnect);
  }
  if (session_) {
    // Tell the broker now, not after the flush: the will and session expiry start from here.
    broker_.close_session(session_, this, close_kind_, expiry_on_close_);
  }
  timers_.cancel(kKeepaliveDeadline);
  timers_.cancel(kConnectDeadline);
  if (!write_in_progress_ && pending_.empty()) {
    finish_close();
    return;
  }
  close_after_flush_ = true;
  timers_.arm_after(kCloseFlushDeadline, kCloseFlushTimeout, shared_from_this());
}

void MqttChannel::finish_close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  timers_.cancel_all();
  transport_->close();
}

void MqttChannel::close_by_broker(std::uint8_t reason_code) {
  asio::post(transport_->executor(), [self = shared_from_this(), reason_code] {
    self->protocol_failure(reason_code, "closed by the broker");
  });
}

// ---------------------------------------------------------------------------------------------
// Timers and topics

void MqttChannel::on_deadline(std::size_t deadline) {
  switch (deadline) {
    case kConnectDeadline:
      if (state_ == State::AwaitingConnect)
        close(CloseKind::Abnormal, "no CONNECT within zone idle_timeout");
      return;
    case kKeepaliveDeadline:
      if (state_ != State::Connected) return;
      if (std::chrono::steady_clock::now() - last_received_ >= keepalive_timeout_) {
        protocol_failure(rc::kKeepAliveTimeout, "keepalive timeout");
      } else {
        arm_keepalive_timer();
      }
      return;
    case kRetryDeadline: {
      if (state_ != State::Connected) return;
      const auto retried =
          session_->retry_unacknowledged(std::chrono::steady_clock::now(), zone_.retry_interval);
      if (retried.next_due) {
        timers_.arm(kRetryDeadline, *retried.next_due, shared_from_this());
      } else {
        arm_retry_timer();
      }
      return;
    }
    case kSendDeadline:
      if (write_in_progress_) on_send_timeout();
      return;
    case kPauseDeadline:
      if (hold_.holding()) {
        end_hold();  // max_publisher_hold passed: read again, whoever is still behind
      } else if (state_ != State::Closed && state_ != State::Closing) {
        read();
      }
      return;
    case kCloseFlushDeadline:
      finish_close();
      return;
    default:
      return;
  }
}

void MqttChannel::arm_idle_timer() {
  timers_.arm_after(kConnectDeadline, zone_.idle_timeout, shared_from_this());
}

void MqttChannel::arm_retry_timer() {
  // MQTT 5 (4.4) allows resending only on reconnect, which the session does on attach.
  if (is_v5() || zone_.retry_interval.count() <= 0) return;
  // With nothing unacknowledged, one interval ahead: whatever is sent meanwhile falls due after
  // that, when the timer is armed again for the earliest due message (kRetryDeadline). So one
  // timer serves the session and no message waits longer than its own retry_interval.
  timers_.arm_after(kRetryDeadline, zone_.retry_interval, shared_from_this());
}

void MqttChannel::arm_keepalive_timer() {
  if (keepalive_timeout_.count() <= 0) return;
  timers_.arm(kKeepaliveDeadline, last_received_ + keepalive_timeout_, shared_from_this());
}

MqttChannel::TopicAliases& MqttChannel::aliases() {
  if (!aliases_) aliases_ = std::make_unique<TopicAliases>();
  return *aliases_;
}

std::string MqttChannel::with_mountpoint(std::string_view topic) const {
  return router::apply_mountpoint(client_.mountpoint, topic);
}

std::string MqttChannel::strip_mountpoint(const std::string& topic) const {
  if (client_.mountpoint.empty()) return topic;
  return std::string(router::strip_mountpoint(client_.mountpoint, topic).value_or(topic));
}

}  // namespace gatemq::net
