#include "gateways/coap/coap_client.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <random>

#include "core/mqtt/reason_code.hpp"

namespace gatemq::gateway::coap {

namespace {

// A notification goes in one datagram (no block-wise transfer for notifications): libcoap's
// default UDP MTU is 1152 bytes, less header, token and options.
constexpr std::size_t kMaxNotificationPayload = 1024;
constexpr std::uint32_t kMaxSequence = 0xFFFFFF;

}  // namespace

CoapClient::CoapClient(std::shared_ptr<const GatewayContext> context, asio::io_context& io,
                       ClientOwner& owner, std::string peer_host, std::uint16_t peer_port)
    : context_(std::move(context)),
      io_(io),
      owner_(owner),
      client_(context_->broker, *context_->stats,
              GatewayClientOptions{"coap", context_->listener_name, context_->settings.zone,
                                   context_->settings.mountpoint},
              std::move(peer_host), peer_port),
      keepalive_timer_(io) {}

bool CoapClient::connect(const std::string& client_id, const std::optional<std::string>& username,
                         const std::optional<std::string>& password) {
  GatewayClient::Connection connection;
  connection.client_id = client_id;
  connection.username = username;
  connection.password = password;
  connection.keepalive = static_cast<std::uint16_t>(std::min<std::int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(context_->settings.keepalive).count(),
      0xFFFF));
  if (client_.connect(std::move(connection), shared_from_this()) !=
      GatewayClient::ConnectResult::Accepted) {
    return false;
  }
  username_ = username;
  password_ = password;
  touch();
  arm_keepalive();
  return true;
}

bool CoapClient::same_credentials(const std::optional<std::string>& username,
                                  const std::optional<std::string>& password) const {
  return username == username_ && password == password_;
}

const std::string& CoapClient::issue_token() {
  std::random_device seed;
  std::mt19937_64 random(seed());
  static constexpr char kHex[] = "0123456789abcdef";
  token_.clear();
  for (int i = 0; i < 16; ++i) token_.push_back(kHex[random() & 0xF]);
  return token_;
}

void CoapClient::touch() {
  last_seen_ = std::chrono::steady_clock::now();
}

void CoapClient::arm_keepalive() {
  keepalive_timer_.expires_at(last_seen_ + context_->settings.keepalive);
  keepalive_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->closed_) return;
    if (std::chrono::steady_clock::now() - self->last_seen_ >= self->context_->settings.keepalive) {
      self->close(broker::CloseKind::Abnormal, "keepalive timeout (coap.keepalive)");
    } else {
      self->arm_keepalive();
    }
  });
}

std::uint32_t CoapClient::next_sequence() {
  const auto value = sequence_;
  sequence_ = sequence_ >= kMaxSequence ? 1 : sequence_ + 1;
  return value;
}

// --- observations ------------------------------------------------------------------------------

std::uint8_t CoapClient::observe(const std::string& filter, std::uint8_t qos,
                                 coap_session_t* session, std::string token) {
  auto existing = std::find_if(observations_.begin(), observations_.end(),
                               [&](const auto& entry) { return entry.second.filter == filter; });
  std::uint32_t id;
  if (existing != observations_.end()) {
    id = existing->first;  // a re-registration (RFC 7641 §4.1): same subscription, new token
  } else {
    if (observations_.size() >= context_->settings.max_observations) return 0x97;
    id = next_subscription_id_++;
  }
  const auto granted = client_.subscribe(filter, qos, id);
  if (granted >= 0x80) return granted;
  observations_.insert_or_assign(id, Observation{filter, reference(session), std::move(token)});
  spdlog::info("{} observes '{}' (QoS {}) from {}", client_.info().log_name(), filter, granted,
               coap_session_str(session));
  return granted;
}

void CoapClient::drop_observation(std::map<std::uint32_t, Observation>::iterator found) {
  if (client_.connected()) client_.unsubscribe(found->second.filter);
  // Nothing more for a cancelled observation: its queued notifications go too.
  const auto id = found->first;
  const auto purged =
      std::erase_if(queue_, [id](const Queued& queued) { return queued.subscription_id == id; });
  if (purged > 0) {
    context_->stats->messages_dropped.fetch_add(purged, std::memory_order_relaxed);
    spdlog::debug("{} {} queued notifications of '{}' purged", client_.info().log_name(), purged,
                  found->second.filter);
  }
  observations_.erase(found);
}

bool CoapClient::cancel(const std::string& filter) {
  auto found = std::find_if(observations_.begin(), observations_.end(),
                            [&](const auto& entry) { return entry.second.filter == filter; });
  if (found == observations_.end()) return false;
  spdlog::info("{} stops observing '{}'", client_.info().log_name(), filter);
  drop_observation(found);
  return true;
}

void CoapClient::cancel_by_token(const coap_session_t* session, std::string_view token) {
  for (auto it = observations_.begin(); it != observations_.end(); ++it) {
    if (it->second.session.get() == session && it->second.token == token) {
      spdlog::info("{} observation of '{}' cancelled by the device (RST or no ACK)",
                   client_.info().log_name(), it->second.filter);
      drop_observation(it);
      return;
    }
  }
}

// --- deliveries --------------------------------------------------------------------------------

void CoapClient::send(broker::Outbound item) {
  if (!mailbox_.push(std::move(item), weak_from_this())) return;
  asio::post(io_, [self = shared_from_this()] {
    for (auto& taken : self->mailbox_.take_and_release()) {
      // No PUBREL reaches a device: QoS 2 deliveries complete in deliver().
      if (auto* publish = std::get_if<broker::OutboundPublish>(&taken)) {
        self->deliver(std::move(*publish));
      }
    }
  });
}

bool CoapClient::accepts(const broker::Delivery& delivery) const {
  return delivery.message->payload.size() <= kMaxNotificationPayload;
}

void CoapClient::deliver(broker::OutboundPublish&& publish) {
  if (closed_) return;
  const auto& delivery = publish.delivery;
  auto found = delivery.subscription_id ? observations_.find(*delivery.subscription_id)
                                        : observations_.end();
  if (found == observations_.end()) {
    context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
  } else if (in_flight_ || !queue_.empty()) {
    // Behind the CON in flight, in order (a NON overtaking queued CONs would reorder a topic).
    enqueue(found->first, delivery);
  } else {
    notify(found->second, delivery);
  }
  // CoAP has no MQTT acknowledgements: the gateway's queue and libcoap's retransmissions own
  // the message from here.
  complete(publish);
}

void CoapClient::enqueue(std::uint32_t subscription_id, broker::Delivery delivery) {
  const auto limit = context_->settings.max_queued_notifications;
  if (limit == 0) {
    context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (queue_.size() >= limit) {
    // The device is slower than its topics: the oldest waiting notification gives way.
    context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("{} notification queue full ({}): oldest dropped", client_.info().log_name(),
                  limit);
    queue_.pop_front();
  }
  queue_.push_back(Queued{subscription_id, std::move(delivery)});
}

void CoapClient::send_queued() {
  while (!closed_ && !in_flight_ && !queue_.empty()) {
    auto next = std::move(queue_.front());
    queue_.pop_front();
    auto found = observations_.find(next.subscription_id);
    if (found == observations_.end()) {
      context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    notify(found->second, next.delivery);
  }
}

void CoapClient::settle(const std::string& peer, std::uint16_t message_id) {
  if (!in_flight_ || in_flight_->message_id != message_id || in_flight_->peer != peer) return;
  in_flight_.reset();
  send_queued();
}

void CoapClient::settle_all() {
  if (!in_flight_) return;
  in_flight_.reset();
  send_queued();
}

void CoapClient::expire_in_flight(std::chrono::steady_clock::time_point now) {
  // RFC 7252 §4.8.2: MAX_TRANSMIT_WAIT with the default transmission parameters.
  constexpr auto kMaxTransmitWait = std::chrono::seconds(93);
  if (!in_flight_ || now - in_flight_->since < kMaxTransmitWait) return;
  in_flight_.reset();
  send_queued();
}

bool CoapClient::confirmable(const broker::Delivery& delivery) const {
  const auto type = context_->settings.notify_type;
  return type == NotifyType::Con || (type == NotifyType::Qos && delivery.qos > 0);
}

bool CoapClient::notify(const Observation& observation, const broker::Delivery& delivery) {
  const bool sent = send_notification(observation, delivery);
  auto& counter = sent ? context_->stats->messages_down : context_->stats->messages_dropped;
  counter.fetch_add(1, std::memory_order_relaxed);
  return sent;
}

bool CoapClient::send_notification(const Observation& observation,
                                   const broker::Delivery& delivery) {
  const bool con = confirmable(delivery);
  coap_session_t* session = observation.session.get();
  PduPtr pdu(
      coap_new_pdu(con ? COAP_MESSAGE_CON : COAP_MESSAGE_NON, COAP_RESPONSE_CODE_CONTENT, session));
  if (!pdu) return false;
  const auto& token = observation.token;
  const auto& payload = delivery.message->payload;
  if (!coap_add_token(pdu.get(), token.size(), reinterpret_cast<const std::uint8_t*>(token.data())))
    return false;
  add_uint_option(pdu.get(), COAP_OPTION_OBSERVE, next_sequence());
  add_uint_option(pdu.get(), COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_TEXT_PLAIN);
  if (!payload.empty() && !coap_add_data(pdu.get(), payload.size(),
                                         reinterpret_cast<const std::uint8_t*>(payload.data()))) {
    spdlog::warn("{} notification of {} bytes on '{}' does not fit one datagram: dropped",
                 client_.info().log_name(), payload.size(), delivery.message->topic);
    return false;
  }
  // libcoap retransmits a CON until it is ACKed; exhaustion and RST come back through the NACK
  // handler. Over DTLS the gateway cannot see the ACK: libcoap's NSTART = 1 queue paces those.
  // Everything about the session is read before coap_send(): libcoap may report a failure
  // through its NACK handler on the way, and that may end the observation holding the session.
  const bool tracked = con && coap_session_get_proto(session) == COAP_PROTO_UDP;
  const auto [host, port] = peer_of(session);
  const auto message_id = coap_send(session, pdu.release());
  if (message_id == COAP_INVALID_MID) return false;
  if (tracked) {
    in_flight_ = InFlight{host + ":" + std::to_string(port), static_cast<std::uint16_t>(message_id),
                          std::chrono::steady_clock::now()};
  }
  return true;
}

void CoapClient::complete(const broker::OutboundPublish& publish) {
  const auto& session = client_.session();
  if (publish.packet_id == 0 || !session) return;
  if (publish.delivery.qos == 1) {
    session->on_puback(publish.packet_id);
  } else {
    session->on_pubrec(publish.packet_id);
    session->on_pubcomp(publish.packet_id);
  }
}

// --- closing -----------------------------------------------------------------------------------

void CoapClient::close_by_broker(std::uint8_t reason_code) {
  asio::post(io_, [self = shared_from_this(), reason_code] {
    self->close(broker::CloseKind::Abnormal,
                std::string("closed by the broker: ") + std::string(mqtt::rc::name(reason_code)));
  });
}

void CoapClient::close(broker::CloseKind kind, const std::string& why) {
  if (closed_) return;
  closed_ = true;
  keepalive_timer_.cancel();
  // Session references go now, while the libcoap context that owns them still exists.
  observations_.clear();
  queue_.clear();
  in_flight_.reset();
  client_.disconnect(kind, why);
  owner_.forget(client_.info().client_id, this);
}

}  // namespace gatemq::gateway::coap
