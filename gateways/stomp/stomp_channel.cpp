#include "gateways/stomp/stomp_channel.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <charconv>
#include <limits>
#include <random>

#include "core/mqtt/reason_code.hpp"
#include "core/router/topic.hpp"

namespace gatemq::gateway::stomp {

namespace {

// What this server offers in heart-beat negotiation: it can send, and accepts, one a second.
constexpr std::chrono::milliseconds kServerHeartbeat{1000};

// Headers that are STOMP's own; any other SEND header travels as an MQTT user property.
bool is_protocol_header(std::string_view name) {
  return name == "destination" || name == "content-length" || name == "content-type" ||
         name == "receipt" || name == "transaction";
}

std::pair<std::uint64_t, std::uint64_t> parse_heartbeat(const std::string* text) {
  if (!text) return {0, 0};
  const auto comma = text->find(',');
  if (comma == std::string::npos) return {0, 0};
  try {
    return {std::stoull(text->substr(0, comma)), std::stoull(text->substr(comma + 1))};
  } catch (const std::exception&) {
    return {0, 0};
  }
}

std::optional<Version> negotiate(const std::string* accept_version) {
  if (!accept_version) return Version::v10;
  std::optional<Version> best;
  std::string_view list = *accept_version;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto item = list.substr(0, comma);
    if (item == "1.0" && !best) best = Version::v10;
    if (item == "1.1" && (!best || *best == Version::v10)) best = Version::v11;
    if (item == "1.2") best = Version::v12;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return best;
}

std::string version_text(Version version) {
  return version == Version::v12 ? "1.2" : version == Version::v11 ? "1.1" : "1.0";
}

// A MESSAGE's id, "<broker subscription>-<sequence>": it names the subscription so that an ACK
// of a message nothing was kept for (QoS 0) still finds it (`client` mode acknowledges every
// earlier message of that subscription), and the sequence tells delivered ids from others.
struct MessageId {
  std::uint32_t subscription = 0;
  std::uint64_t sequence = 0;
};

std::string message_id_text(MessageId id) {
  return std::to_string(id.subscription) + "-" + std::to_string(id.sequence);
}

template <class Number>
bool parse_number(std::string_view text, Number& value) {
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return !text.empty() && error == std::errc{} && stop == end;
}

std::optional<MessageId> parse_message_id(std::string_view text) {
  const auto dash = text.find('-');
  MessageId id;
  if (dash == std::string_view::npos || !parse_number(text.substr(0, dash), id.subscription) ||
      !parse_number(text.substr(dash + 1), id.sequence)) {
    return std::nullopt;
  }
  return id;
}

std::string generated_client_id() {
  std::random_device device;
  return "stomp-" + std::to_string(device()) + std::to_string(device());
}

}  // namespace

StompChannel::StompChannel(std::shared_ptr<const ChannelContext> context,
                           std::unique_ptr<net::Transport> transport)
    : context_(std::move(context)),
      transport_(std::move(transport)),
      client_(context_->broker, *context_->stats,
              GatewayClientOptions{"stomp", context_->listener_name, context_->zone,
                                   context_->settings.mountpoint},
              transport_->peer_host(), transport_->peer_port()),
      reader_(*transport_),
      deadline_timer_(transport_->executor()),
      send_heartbeat_timer_(transport_->executor()),
      receive_heartbeat_timer_(transport_->executor()),
      writer_(
          *transport_, context_->send_timeout,
          [this](const std::string& why) { close(broker::CloseKind::Abnormal, why); }, &mailbox_) {}

void StompChannel::start() {
  last_received_ = std::chrono::steady_clock::now();
  deadline_timer_.expires_after(context_->settings.idle_timeout);
  deadline_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (!error && self->state_ == State::AwaitingConnect) {
      self->close(broker::CloseKind::Abnormal, "no CONNECT within the idle timeout");
    }
  });
  read();
}

void StompChannel::read() {
  reader_.read([self = shared_from_this()](const std::error_code& error, std::string_view data) {
    if (self->state_ == State::Closed) return;
    if (error) {
      self->close(broker::CloseKind::Abnormal, error == asio::error::eof
                                                   ? "connection closed by the client"
                                                   : "read error: " + error.message());
      return;
    }
    self->last_received_ = std::chrono::steady_clock::now();
    self->input_.append(data);
    self->consume_input();
  });
}

void StompChannel::consume_input() {
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

void StompChannel::on_subscriber_caught_up(std::uint32_t hold) {
  if (!hold_.caught_up(hold)) return;
  deadline_timer_.cancel();
  end_hold();
}

void StompChannel::end_hold() {
  hold_.end();  // late wake-ups of this hold are ignored
  if (state_ != State::Closed) consume_input();
}

bool StompChannel::process_input() {
  std::size_t used = 0;
  while (state_ != State::Closed && !writer_.closing()) {
    auto parsed =
        parse_frame(std::string_view(input_).substr(used), version_, context_->settings.limits);
    if (parsed.status == ParseResult::Status::NeedMore) break;
    if (parsed.status == ParseResult::Status::Invalid) {
      context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
      fail(parsed.error);
      return false;
    }
    used += parsed.consumed;
    if (parsed.status == ParseResult::Status::Complete) handle(std::move(parsed.frame));
    // A subscriber this input feeds is behind: the rest waits in input_ until it caught up.
    if (broker::PublishCongestion::reported()) break;
  }
  input_.erase(0, used);
  // A drained connection keeps no input buffer: idle devices cost little memory.
  if (input_.empty()) input_.shrink_to_fit();
  return state_ != State::Closed && !writer_.closing();
}

void StompChannel::handle(Frame&& frame) {
  const auto& command = frame.command;
  if (state_ == State::AwaitingConnect) {
    if (command != "CONNECT" && command != "STOMP") return fail("expected CONNECT", &frame);
    return handle_connect(frame);
  }
  if (command == "SEND" || command == "ACK" || command == "NACK") {
    if (const auto* transaction = frame.header("transaction")) {
      auto found = transactions_.find(*transaction);
      if (found == transactions_.end()) return fail("unknown transaction " + *transaction, &frame);
      send_receipt(frame);
      found->second.push_back(std::move(frame));
      return;
    }
    apply(frame);
    if (state_ == State::Connected) send_receipt(frame);
  } else if (command == "SUBSCRIBE") {
    handle_subscribe(frame);
  } else if (command == "UNSUBSCRIBE") {
    handle_unsubscribe(frame);
  } else if (command == "BEGIN" || command == "COMMIT" || command == "ABORT") {
    const auto* transaction = frame.header("transaction");
    if (!transaction) return fail(command + " without a transaction header", &frame);
    if (command == "BEGIN") {
      if (!transactions_.try_emplace(*transaction).second) {
        return fail("transaction " + *transaction + " already begun", &frame);
      }
    } else {
      auto found = transactions_.find(*transaction);
      if (found == transactions_.end()) return fail("unknown transaction " + *transaction, &frame);
      auto frames = std::move(found->second);
      transactions_.erase(found);
      if (command == "COMMIT") {
        for (const auto& buffered : frames) apply(buffered);
      }
    }
    if (state_ == State::Connected) send_receipt(frame);
  } else if (command == "DISCONNECT") {
    send_receipt(frame);
    close(broker::CloseKind::Normal, "client disconnected");
  } else if (command == "CONNECT" || command == "STOMP") {
    fail("already connected", &frame);
  } else {
    fail("unknown command " + command, &frame);
  }
}

void StompChannel::handle_connect(const Frame& frame) {
  deadline_timer_.cancel();
  const auto version = negotiate(frame.header("accept-version"));
  if (!version) {
    version_ = Version::v12;
    return fail("Supported protocol versions are 1.0,1.1,1.2", &frame);
  }
  version_ = *version;
  const auto& settings = context_->settings;
  const auto* login = frame.header("login");
  const auto* passcode = frame.header("passcode");
  // The plugin's own check (seed: stomp.default_user.*, stomp.allow_anonymous), then the
  // broker's hook chain like every other client.
  const bool anonymous_ok = !login && settings.allow_anonymous;
  const bool default_user = login && *login == settings.default_login && passcode &&
                            *passcode == settings.default_passcode;
  GatewayClient::Connection connection;
  const auto* client_id = frame.header("client-id");
  // A client that names itself gets a durable session, as an MQTT client with clean_session
  // false: subscriptions and unacknowledged messages survive a disconnect for the zone's
  // session_expiry_interval. Anonymous connections get a clean one.
  const bool durable = client_id && !client_id->empty();
  connection.client_id = durable ? *client_id : generated_client_id();
  if (durable) {
    connection.clean_start = false;
    const auto& zone = context_->broker.settings().zone(context_->zone);
    connection.session_expiry_seconds =
        static_cast<std::uint32_t>(zone.session_expiry_interval.count());
  }
  if (login) connection.username = *login;
  if (passcode) connection.password = *passcode;
  // Heart-beating (1.1+): what each side sends at most this far apart, as agreed. The client's
  // period is its keepalive (in whole seconds, rounded up) in the connected event and the API.
  const auto [client_send, client_wants] = parse_heartbeat(frame.header("heart-beat"));
  const auto agreed = [&](std::uint64_t client_ms) {
    return version_ == Version::v10 || client_ms == 0
               ? std::chrono::milliseconds(0)
               : std::max(kServerHeartbeat, std::chrono::milliseconds(client_ms));
  };
  const auto send_every = agreed(client_wants);
  const auto expect_every = agreed(client_send);
  connection.keepalive = static_cast<std::uint32_t>(std::min<std::int64_t>(
      (expect_every.count() + 999) / 1000, std::numeric_limits<std::uint32_t>::max()));
  if (!anonymous_ok && !default_user) {
    context_->stats->auth_failures.fetch_add(1, std::memory_order_relaxed);
    return fail("Login or passcode is wrong", &frame);
  }
  if (client_.connect(std::move(connection), shared_from_this()) !=
      GatewayClient::ConnectResult::Accepted) {
    return fail("Login or passcode is wrong", &frame);
  }
  state_ = State::Connected;
  if (const auto& session = client_.session(); durable && session) {
    for (const auto& [filter, record] : session->subscriptions()) {
      if (!record.subscription_id) continue;
      resumed_[*record.subscription_id] = filter;
      next_subscription_ = std::max(next_subscription_, *record.subscription_id + 1);
    }
  }
  Frame connected{"CONNECTED",
                  {{"version", version_text(version_)},
                   {"server", "gatemq/" GATEMQ_VERSION_TEXT},
                   {"session", client_.info().client_id}},
                  ""};
  if (version_ != Version::v10) {
    connected.headers.emplace_back("heart-beat", std::to_string(kServerHeartbeat.count()) + "," +
                                                     std::to_string(kServerHeartbeat.count()));
  }
  write_frame(connected);
  arm_heartbeats(send_every, expect_every);
}

void StompChannel::apply(const Frame& frame) {
  if (frame.command == "ACK" || frame.command == "NACK") {
    return acknowledge(frame, frame.command == "ACK");
  }
  const auto* destination = frame.header("destination");
  if (!destination || destination->empty()) return fail("SEND without a destination", &frame);
  mqtt::Properties properties;
  if (const auto* content_type = frame.header("content-type")) {
    properties.content_type = *content_type;
  }
  for (const auto& [name, value] : frame.headers) {
    if (!is_protocol_header(name)) properties.user_properties.emplace_back(name, value);
  }
  if (!client_.publish(*destination, frame.body, 0, false, properties)) {
    return fail("not allowed to send to " + *destination, &frame);
  }
}

void StompChannel::handle_subscribe(const Frame& frame) {
  const auto* id = frame.header("id");
  const auto* destination = frame.header("destination");
  if (!destination) return fail("SUBSCRIBE without a destination", &frame);
  // 1.0 made the id optional; the destination then names the subscription.
  const std::string subscription_id = id ? *id : (version_ == Version::v10 ? *destination : "");
  if (subscription_id.empty()) return fail("SUBSCRIBE without an id", &frame);
  for (const auto& [key, existing] : subscriptions_) {
    if (existing.id == subscription_id)
      return fail("duplicate subscription id " + subscription_id, &frame);
  }
  AckMode ack = AckMode::Auto;
  if (const auto* mode = frame.header("ack")) {
    if (*mode == "client") {
      ack = AckMode::Client;
    } else if (*mode == "client-individual") {
      ack = AckMode::ClientIndividual;
    } else if (*mode != "auto") {
      return fail("unknown ack mode " + *mode, &frame);
    }
  }
  const auto resumed = take_resumed(*destination);
  const auto key = resumed ? *resumed : next_subscription_++;
  // QoS 1 in the session: a message stays unacknowledged until the client ACKs it (or, with
  // ack:auto, until it is written).
  const auto granted = client_.subscribe(*destination, 1, key);
  if (granted >= 0x80) {
    return fail("cannot subscribe to " + *destination + ": " + std::string(mqtt::rc::name(granted)),
                &frame);
  }
  subscriptions_[key] = Subscription{subscription_id, *destination, ack, {}};
  send_receipt(frame);
  if (auto held = held_.find(key); held != held_.end()) {
    auto waiting = std::move(held->second);
    held_.erase(held);
    for (auto& publish : waiting) deliver(std::move(publish));
  }
}

std::optional<std::uint32_t> StompChannel::take_resumed(const std::string& destination) {
  const auto filter = router::apply_mountpoint(client_.info().mountpoint, destination);
  for (auto it = resumed_.begin(); it != resumed_.end(); ++it) {
    if (it->second == filter) {
      const auto key = it->first;
      resumed_.erase(it);
      return key;
    }
  }
  return std::nullopt;
}

void StompChannel::handle_unsubscribe(const Frame& frame) {
  const auto* id = frame.header("id");
  const auto* destination = frame.header("destination");
  for (auto it = subscriptions_.begin(); it != subscriptions_.end(); ++it) {
    if ((id && it->second.id == *id) ||
        (!id && destination && it->second.destination == *destination)) {
      client_.unsubscribe(it->second.destination);
      subscriptions_.erase(it);
      send_receipt(frame);
      return;
    }
  }
  fail("unknown subscription " + (id ? *id : destination ? *destination : std::string()), &frame);
}

void StompChannel::acknowledge(const Frame& frame, bool positive) {
  // 1.2 names the message by `id` (the MESSAGE's `ack`), 1.0 and 1.1 by `message-id`. The
  // other name is accepted too: both carry the same value, and some 1.2 clients fall back to
  // `message-id` + `subscription`.
  const auto* text = frame.header(version_ == Version::v12 ? "id" : "message-id");
  if (!text) text = frame.header(version_ == Version::v12 ? "message-id" : "id");
  if (!text) return fail(frame.command + " without a message id", &frame);
  const auto id = parse_message_id(*text);
  auto kept = id ? unacked_.find(id->sequence) : unacked_.end();
  const bool delivered = id && id->subscription > 0 && id->subscription < next_subscription_ &&
                         id->sequence < next_message_ &&
                         (kept == unacked_.end() || kept->second.subscription == id->subscription);
  if (!delivered) return fail(frame.command + " of message " + *text + ", never delivered", &frame);
  if (!positive) {
    // NACK: a kept message is not consumed: send it again, still unacknowledged. A QoS 0 one
    // (or one already acknowledged) has nothing to send again.
    if (kept != unacked_.end()) write_frame(kept->second.message);
    return;
  }
  auto subscription = subscriptions_.find(id->subscription);
  if (subscription != subscriptions_.end() && subscription->second.ack == AckMode::Client) {
    // `client` mode: the ACK covers every earlier message of that subscription too.
    auto& pending = subscription->second.unacked;
    while (!pending.empty() && pending.front() <= id->sequence) {
      complete(pending.front());
      pending.pop_front();
    }
  } else if (kept != unacked_.end()) {
    if (subscription != subscriptions_.end())
      std::erase(subscription->second.unacked, id->sequence);
    complete(id->sequence);
  }
}

void StompChannel::complete(std::uint64_t sequence) {
  auto entry = unacked_.find(sequence);
  if (entry == unacked_.end()) return;
  if (const auto& session = client_.session()) session->on_puback(entry->second.packet_id);
  unacked_.erase(entry);
}

void StompChannel::send(broker::Outbound item) {
  if (!mailbox_.push(std::move(item), weak_from_this())) return;
  asio::post(transport_->executor(), [self = shared_from_this()] {
    auto batch = self->mailbox_.take();
    for (auto& taken : batch.items) {
      if (auto* publish = std::get_if<broker::OutboundPublish>(&taken)) {
        self->deliver(std::move(*publish));
      }
    }
    self->writer_.carry_backlog(batch.bytes);
  });
}

void StompChannel::deliver(broker::OutboundPublish&& publish) {
  if (state_ != State::Connected) return;
  const auto& delivery = publish.delivery;
  const auto& message = *delivery.message;
  auto subscription = delivery.subscription_id ? subscriptions_.find(*delivery.subscription_id)
                                               : subscriptions_.end();
  const auto& session = client_.session();
  if (subscription == subscriptions_.end() && delivery.subscription_id &&
      resumed_.contains(*delivery.subscription_id)) {
    held_[*delivery.subscription_id].push_back(std::move(publish));
    return;
  }
  if (subscription == subscriptions_.end()) {
    // Unsubscribed meanwhile: nothing to deliver to, but the session must not wait for it.
    if (publish.packet_id != 0 && session) session->on_delivery_refused(publish.packet_id);
    return;
  }
  const auto sequence = next_message_++;
  const auto message_id = message_id_text({subscription->first, sequence});
  Frame frame{"MESSAGE",
              {{"subscription", subscription->second.id},
               {"message-id", message_id},
               {"destination", std::string(client_.device_topic(message.topic))}},
              message.payload};
  if (message.properties.content_type) {
    frame.headers.emplace_back("content-type", *message.properties.content_type);
  }
  for (const auto& [name, value] : message.properties.user_properties) {
    frame.headers.emplace_back(name, value);
  }
  // 1.2 requires `ack` on every MESSAGE of a client-acknowledged subscription, whatever its
  // QoS: the client ACKs each one (a QoS 0 one's ACK completes nothing in the session).
  const bool client_ack = subscription->second.ack != AckMode::Auto;
  if (client_ack && version_ == Version::v12) frame.headers.emplace_back("ack", message_id);
  write_frame(frame);
  context_->stats->messages_down.fetch_add(1, std::memory_order_relaxed);
  if (publish.packet_id == 0 || !session) return;
  if (client_ack) {
    subscription->second.unacked.push_back(sequence);
    unacked_[sequence] = Unacked{subscription->first, publish.packet_id, std::move(frame)};
  } else {
    session->on_puback(publish.packet_id);
  }
}

void StompChannel::send_receipt(const Frame& frame) {
  if (const auto* receipt = frame.header("receipt")) {
    write_frame(Frame{"RECEIPT", {{"receipt-id", *receipt}}, ""});
  }
}

void StompChannel::fail(const std::string& message, const Frame* cause) {
  spdlog::info("{} stomp error: {}", client_.info().log_name(), message);
  Frame error{"ERROR", {{"message", message}}, ""};
  if (cause) {
    if (const auto* receipt = cause->header("receipt")) {
      error.headers.emplace_back("receipt-id", *receipt);
    }
  }
  write_frame(error);
  close(broker::CloseKind::Abnormal, message);
}

void StompChannel::write_frame(const Frame& frame) {
  write_raw(encode_frame(frame, version_));
}

void StompChannel::write_raw(std::string bytes) {
  if (state_ == State::Closed) return;
  last_sent_ = std::chrono::steady_clock::now();
  writer_.write(bytes, shared_from_this());
}

void StompChannel::arm_heartbeats(std::chrono::milliseconds send_every,
                                  std::chrono::milliseconds expect_every) {
  send_every_ = send_every;
  expect_every_ = expect_every;
  if (send_every_.count() > 0) schedule_send_heartbeat();
  if (expect_every_.count() > 0) schedule_receive_check();
}

void StompChannel::schedule_send_heartbeat() {
  send_heartbeat_timer_.expires_at(last_sent_ + send_every_);
  send_heartbeat_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->state_ != State::Connected) return;
    if (std::chrono::steady_clock::now() - self->last_sent_ >= self->send_every_) {
      self->write_raw("\n");
    }
    self->schedule_send_heartbeat();
  });
}

void StompChannel::schedule_receive_check() {
  // Twice the agreed period, as the spec suggests to allow for network latency.
  receive_heartbeat_timer_.expires_at(last_received_ + 2 * expect_every_);
  receive_heartbeat_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->state_ != State::Connected) return;
    if (std::chrono::steady_clock::now() - self->last_received_ >= 2 * self->expect_every_) {
      self->close(broker::CloseKind::Abnormal, "heart-beats from the client stopped");
      return;
    }
    self->schedule_receive_check();
  });
}

void StompChannel::close_by_broker(std::uint8_t reason_code) {
  asio::post(transport_->executor(), [self = shared_from_this(), reason_code] {
    self->close(broker::CloseKind::Abnormal,
                std::string("closed by the broker: ") + std::string(mqtt::rc::name(reason_code)));
  });
}

void StompChannel::close(broker::CloseKind kind, const std::string& why) {
  if (state_ == State::Closed) return;
  const bool was_connected = state_ == State::Connected;
  state_ = State::Closed;
  deadline_timer_.cancel();
  send_heartbeat_timer_.cancel();
  receive_heartbeat_timer_.cancel();
  if (was_connected) {
    client_.disconnect(kind, why);
  } else {
    spdlog::info("{} stomp connection closed: {}", client_.info().log_name(), why);
  }
  // An ERROR or RECEIPT goes out before the socket closes.
  writer_.close_when_drained(shared_from_this());
}

}  // namespace gatemq::gateway::stomp
