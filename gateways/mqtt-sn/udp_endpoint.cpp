#include "gateways/mqtt-sn/udp_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <cstdio>

#include "core/router/topic.hpp"

namespace gatemq::gateway::mqttsn {

namespace {
constexpr std::size_t kMaxDatagram = 65535;
constexpr std::size_t kMaxSendQueue = 10000;  // datagrams; beyond it UDP's own loss applies
constexpr std::size_t kMaxStoredWills = 100000;
constexpr int kReceiveBuffer = 4 * 1024 * 1024;
}  // namespace

std::string Peer::text() const {
  auto text = address.address().to_string() + ":" + std::to_string(address.port());
  if (!node_id.empty()) {
    text += "/node ";
    char hex[3];
    for (const auto byte : node_id) {
      std::snprintf(hex, sizeof hex, "%02x", byte);
      text += hex;
    }
  }
  return text;
}

UdpEndpoint::UdpEndpoint(std::shared_ptr<const GatewayContext> context, asio::io_context& io)
    : context_(std::move(context)),
      io_(io),
      socket_(io),
      advertise_timer_(io),
      buffer_(kMaxDatagram + 1) {}

void UdpEndpoint::open() {
  const auto& settings = context_->settings;
  std::error_code error;
  const auto address = asio::ip::make_address(settings.bind_address, error);
  if (error) {
    throw std::runtime_error("mqtt-sn gateway: bad bind address '" + settings.bind_address + "'");
  }
  local_ = asio::ip::udp::endpoint(address, settings.port);
  const auto fail = [&](const char* step) {
    throw std::runtime_error("mqtt-sn gateway: cannot " + std::string(step) + " udp " +
                             settings.bind_address + ":" + std::to_string(settings.port) + ": " +
                             error.message());
  };
  socket_.open(local_.protocol(), error);
  if (error) fail("open");
  // No SO_REUSEADDR: on UDP it would let a second gateway share the port silently.
  socket_.bind(local_, error);
  if (error) fail("bind");
  socket_.non_blocking(true, error);
  // Bursts of datagrams wait in the kernel while the worker is busy (capped by rmem_max).
  socket_.set_option(asio::socket_base::receive_buffer_size(kReceiveBuffer), error);
  if (settings.broadcast) socket_.set_option(asio::socket_base::broadcast(true), error);
  local_ = socket_.local_endpoint(error);
}

void UdpEndpoint::start() {
  receive();
  if (context_->settings.broadcast) {
    asio::post(io_, [self = shared_from_this()] { self->advertise(); });
  }
}

std::string UdpEndpoint::description() const {
  return context_->listener_name + " on " + context_->settings.bind_address + ":" +
         std::to_string(local_.port());
}

void UdpEndpoint::stop() {
  // Stops receiving; the socket stays open so that close_connections() can still tell every
  // device DISCONNECT.
  asio::post(io_, [self = shared_from_this()] {
    self->receiving_ = false;
    self->advertise_timer_.cancel();
  });
}

void UdpEndpoint::close_connections() {
  asio::post(io_, [self = shared_from_this()] {
    self->receiving_ = false;
    self->advertise_timer_.cancel();
    auto clients = self->clients_;  // closing edits the maps
    for (auto& [id, channel] : clients) channel->close_by_gateway("server shutting down");
    self->clients_.clear();
    self->addresses_.clear();
    self->stopped_ = true;
    self->send_queue_.clear();
    std::error_code ignored;
    self->socket_.close(ignored);
  });
}

// --- receiving ---------------------------------------------------------------------------------

void UdpEndpoint::receive() {
  socket_.async_receive_from(
      asio::buffer(buffer_), sender_,
      [self = shared_from_this()](const std::error_code& error, std::size_t size) {
        if (self->stopped_ || !self->receiving_ || error == asio::error::operation_aborted) return;
        if (!error) {
          try {
            self->on_datagram(self->sender_, size);
          } catch (const std::exception& e) {
            // Nothing a datagram does may take the gateway down.
            self->context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("mqtt-sn datagram from {}:{} failed: {}",
                          self->sender_.address().to_string(), self->sender_.port(), e.what());
          }
        }
        self->receive();
      });
}

void UdpEndpoint::on_datagram(const asio::ip::udp::endpoint& sender, std::size_t size) {
  Peer peer{sender, {}};
  if (size > kMaxDatagram) return malformed(peer, "datagram longer than 65535 bytes");
  auto decoded = decode(std::span<const std::uint8_t>(buffer_.data(), size));
  if (!decoded.ok()) {
    return malformed(peer, "undecodable " + std::string(type_name(decoded.type)) + " datagram");
  }
  if (auto* encapsulated = std::get_if<Encapsulated>(&*decoded.message)) {
    // A forwarder relays a device's message (§5.5): the device is (forwarder, node id).
    peer.node_id = std::move(encapsulated->wireless_node_id);
    auto inner = decode(encapsulated->message);
    if (!inner.ok() || std::holds_alternative<Encapsulated>(*inner.message)) {
      return malformed(peer, "undecodable encapsulated message");
    }
    return dispatch(peer, std::move(*inner.message));
  }
  dispatch(peer, std::move(*decoded.message));
}

void UdpEndpoint::malformed(const Peer& peer, const std::string& why) {
  context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("mqtt-sn: {} from {} dropped", why, peer.text());
}

void UdpEndpoint::dispatch(const Peer& peer, Message&& message) {
  if (std::holds_alternative<SearchGw>(message)) {
    return transmit(peer, GwInfo{context_->settings.gateway_id, std::nullopt});
  }
  if (std::holds_alternative<Advertise>(message) || std::holds_alternative<GwInfo>(message)) {
    return;  // other gateways' discovery, or our own broadcast
  }
  if (auto* connect = std::get_if<Connect>(&message)) {
    return handle_connect(peer, std::move(*connect));
  }
  if (auto* pingreq = std::get_if<Pingreq>(&message);
      pingreq && pingreq->client_id && !pingreq->client_id->empty()) {
    return handle_wakeup(peer, std::move(*pingreq));
  }
  if (const auto* publish = std::get_if<Publish>(&message);
      publish && publish->flags.qos == -1 && !addresses_.contains(peer)) {
    return publish_without_connection(peer, *publish);
  }
  auto found = addresses_.find(peer);
  if (found == addresses_.end()) {
    // Not connected (or the gateway forgot it): DISCONNECT tells the device to CONNECT again.
    malformed(peer, std::string(type_name(static_cast<std::uint8_t>(type_of(message)))) +
                        " without a connection");
    if (!std::holds_alternative<Disconnect>(message)) transmit(peer, Disconnect{});
    return;
  }
  auto channel = found->second;
  channel->handle(std::move(message));
}

void UdpEndpoint::handle_connect(const Peer& peer, Connect&& connect) {
  const auto& zone = context_->broker.settings().zone(context_->settings.zone);
  if (connect.client_id.empty() || connect.client_id.size() > zone.mqtt.max_clientid_len) {
    spdlog::info("mqtt-sn CONNECT from {} refused: client id '{}' empty or too long", peer.text(),
                 connect.client_id);
    return transmit(peer, Connack{not_supported});
  }
  auto found = clients_.find(connect.client_id);
  std::shared_ptr<Channel> channel;
  if (found != clients_.end()) {
    channel = found->second;
  } else {
    channel = std::make_shared<Channel>(context_, weak_from_this(), io_.get_executor(),
                                        connect.client_id, peer);
    clients_.emplace(connect.client_id, channel);
  }
  bind(peer, channel);
  channel->handle(std::move(connect));
}

void UdpEndpoint::handle_wakeup(const Peer& peer, Pingreq&& pingreq) {
  auto found = clients_.find(*pingreq.client_id);
  if (found == clients_.end()) {
    malformed(peer, "PINGREQ from unknown client '" + *pingreq.client_id + "'");
    return transmit(peer, Disconnect{});
  }
  auto channel = found->second;
  bind(peer, channel);  // a sleeper may wake from a new port (NAT rebinding)
  channel->handle(std::move(pingreq));
}

void UdpEndpoint::bind(const Peer& peer, const std::shared_ptr<Channel>& channel) {
  if (auto holder = addresses_.find(peer); holder != addresses_.end()) {
    if (holder->second == channel) return;
    // The address now belongs to another client id: the old client keeps its session but is
    // unreachable until it shows up again by client id.
    spdlog::info("mqtt-sn address {} moves from client {} to client {}", peer.text(),
                 holder->second->client_id(), channel->client_id());
    holder->second->set_peer(std::nullopt);
    addresses_.erase(holder);
  }
  if (const auto& old = channel->peer(); old) {
    auto previous = addresses_.find(*old);
    if (previous != addresses_.end() && previous->second == channel) addresses_.erase(previous);
  }
  channel->set_peer(peer);
  addresses_.emplace(peer, channel);
}

void UdpEndpoint::forget(const std::string& client_id, const void* channel) {
  auto found = clients_.find(client_id);
  if (found == clients_.end() || found->second.get() != channel) return;
  if (const auto& peer = found->second->peer(); peer) {
    auto address = addresses_.find(*peer);
    if (address != addresses_.end() && address->second.get() == channel) addresses_.erase(address);
  }
  clients_.erase(found);
}

void UdpEndpoint::publish_without_connection(const Peer& peer, const Publish& publish) {
  // QoS -1 (§6.8): only predefined ids and short names, gated by mqtt.sn.enable_qos3, as the
  // gateway's identity (mqtt.sn.username) with the ACL and the mountpoint applied.
  auto& stats = *context_->stats;
  const auto& settings = context_->settings;
  std::optional<std::string> topic;
  if (publish.flags.topic_id_type == TopicIdType::predefined) {
    topic = settings.predefined->name_of(publish.topic_id);
  } else if (publish.flags.topic_id_type == TopicIdType::short_name) {
    if (auto name = short_topic_name(publish.topic_id); !name.empty()) topic = std::move(name);
  }
  if (!settings.enable_qos3 || !topic) {
    stats.messages_dropped.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("mqtt-sn QoS -1 PUBLISH from {} dropped ({})", peer.text(),
                  settings.enable_qos3 ? "unknown topic id" : "mqtt.sn.enable_qos3 is off");
    return;
  }
  broker::ClientInfo info;
  info.protocol = "mqtt-sn";
  info.listener = context_->listener_name;
  info.zone = settings.zone;
  info.username = settings.username;
  info.peer_host = peer.host();
  info.peer_port = peer.port();
  auto& broker = context_->broker;
  const auto& limits = broker.settings().zone(settings.zone).mqtt;
  if (!router::is_valid_topic_name(*topic, limits.max_topic_levels) ||
      !broker.authorize(info, broker::AclAction::Publish, *topic)) {
    stats.messages_dropped.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("mqtt-sn QoS -1 PUBLISH from {} to '{}' not authorized", peer.text(), *topic);
    return;
  }
  const auto mountpoint = router::expand_placeholders(
      settings.mountpoint,
      router::PlaceholderValues{"", info.username.value_or(""), "", info.peer_host});
  stats.messages_up.fetch_add(1, std::memory_order_relaxed);
  broker.publish(broker::make_message(router::apply_mountpoint(mountpoint, *topic),
                                      std::string(publish.data.begin(), publish.data.end()), 0,
                                      publish.flags.retain, {}, ""));
}

// --- wills of persistent sessions ---------------------------------------------------------------

void UdpEndpoint::keep_will(const std::string& client_id, const Will& will) {
  if (wills_.size() >= kMaxStoredWills) {
    std::erase_if(wills_, [this](const auto& item) {
      return context_->broker.find_session(item.first) == nullptr;
    });
  }
  if (wills_.size() < kMaxStoredWills) wills_.insert_or_assign(client_id, will);
}

std::optional<Will> UdpEndpoint::stored_will(const std::string& client_id) {
  auto found = wills_.find(client_id);
  if (found == wills_.end()) return std::nullopt;
  return found->second;
}

void UdpEndpoint::drop_will(const std::string& client_id) {
  wills_.erase(client_id);
}

// --- sending -----------------------------------------------------------------------------------

void UdpEndpoint::transmit(const Peer& peer, const Message& message) {
  if (stopped_) return;
  auto bytes = encode(message);
  if (bytes.empty()) {
    spdlog::warn("mqtt-sn: a {} for {} does not fit a datagram",
                 type_name(static_cast<std::uint8_t>(type_of(message))), peer.text());
    return;
  }
  if (!peer.node_id.empty()) {
    bytes = encode(Encapsulated{0, peer.node_id, std::move(bytes)});
    if (bytes.empty()) return;
  }
  send_datagram(peer.address, std::move(bytes));
}

void UdpEndpoint::send_datagram(const asio::ip::udp::endpoint& to,
                                std::vector<std::uint8_t> bytes) {
  if (send_queue_.empty()) {
    std::error_code error;
    socket_.send_to(asio::buffer(bytes), to, 0, error);
    if (error != asio::error::would_block && error != asio::error::try_again) {
      if (error)
        spdlog::debug("mqtt-sn: send to {}:{} failed: {}", to.address().to_string(), to.port(),
                      error.message());
      return;
    }
  }
  if (send_queue_.size() >= kMaxSendQueue) {
    context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  send_queue_.push_back(Outgoing{to, std::move(bytes)});
  flush_send_queue();
}

void UdpEndpoint::flush_send_queue() {
  if (waiting_to_write_ || stopped_) return;
  waiting_to_write_ = true;
  socket_.async_wait(
      asio::socket_base::wait_write, [self = shared_from_this()](const std::error_code& error) {
        self->waiting_to_write_ = false;
        if (error || self->stopped_) return;
        while (!self->send_queue_.empty()) {
          auto& next = self->send_queue_.front();
          std::error_code send_error;
          self->socket_.send_to(asio::buffer(next.bytes), next.to, 0, send_error);
          if (send_error == asio::error::would_block || send_error == asio::error::try_again) {
            return self->flush_send_queue();
          }
          self->send_queue_.pop_front();
        }
      });
}

void UdpEndpoint::advertise() {
  if (stopped_ || !receiving_) return;
  const auto& settings = context_->settings;
  std::error_code error;
  const auto address = asio::ip::make_address(settings.broadcast_host, error);
  if (!error) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(settings.advertise_duration);
    transmit(Peer{asio::ip::udp::endpoint(address, settings.broadcast_port), {}},
             Advertise{settings.gateway_id, static_cast<std::uint16_t>(seconds.count())});
  }
  advertise_timer_.expires_after(settings.advertise_duration);
  advertise_timer_.async_wait([self = shared_from_this()](const std::error_code& timer_error) {
    if (!timer_error) self->advertise();
  });
}

}  // namespace gatemq::gateway::mqttsn
