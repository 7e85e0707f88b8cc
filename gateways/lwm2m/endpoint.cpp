#include "gateways/lwm2m/endpoint.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "core/mqtt/reason_code.hpp"
#include "gateways/lwm2m/commands.hpp"

namespace gatemq::gateway::lwm2m {

namespace {

// Commands are small JSON documents; anything bigger is not one.
constexpr std::size_t kMaxCommandSize = 64 * 1024;
// Commands held for a sleeping device in queue mode.
constexpr std::size_t kMaxHeldCommands = 64;

std::pair<std::string, std::uint16_t> peer_of(coap_session_t* session) {
  return coap::peer_of(session);
}

}  // namespace

nlohmann::json registration_json(const Registration& registration) {
  return {{"ep", registration.endpoint},
          {"lt", registration.lifetime.count()},
          {"lwm2m", registration.version},
          {"b", registration.binding},
          {"alternatePath", registration.alternate_path},
          {"objectList", registration.objects}};
}

Endpoint::Endpoint(std::shared_ptr<const GatewayContext> context, asio::io_context& io,
                   EndpointOwner& owner, Registration registration, coap_session_t* session)
    : context_(std::move(context)),
      io_(io),
      owner_(owner),
      registration_(std::move(registration)),
      session_(coap::reference(session)),
      client_(context_->broker, *context_->stats,
              GatewayClientOptions{"lwm2m", context_->listener_name, context_->settings.zone,
                                   context_->settings.mountpoint},
              peer_of(session).first, peer_of(session).second),
      lifetime_timer_(io) {
  log_name_ = "lwm2m endpoint '" + registration_.endpoint + "' (" + peer() + ")";
}

std::string Endpoint::peer() const {
  const auto [host, port] = coap::peer_of(session_.get());
  return host + ":" + std::to_string(port);
}

bool Endpoint::connect() {
  GatewayClient::Connection connection;
  connection.client_id = registration_.endpoint;
  connection.endpoint = registration_.endpoint;
  connection.keepalive = static_cast<std::uint32_t>(registration_.lifetime.count());
  if (client_.connect(std::move(connection), shared_from_this()) !=
      GatewayClient::ConnectResult::Accepted) {
    return false;
  }
  const auto filter = client_.expand(context_->settings.topics.command);
  const auto granted = client_.subscribe(filter, 1);
  if (granted >= 0x80) {
    spdlog::warn("{}: subscription to its command topic '{}' refused (0x{:02x})", log_name_, filter,
                 granted);
  }
  refresh();
  return true;
}

void Endpoint::move_to(coap_session_t* session) {
  if (session == session_.get()) return;
  spdlog::info("{}: now at {}", log_name_, coap_session_str(session));
  session_ = coap::reference(session);
  log_name_ = "lwm2m endpoint '" + registration_.endpoint + "' (" + peer() + ")";
}

void Endpoint::heard_from() {
  awake_until_ = std::chrono::steady_clock::now() + context_->settings.qmode_time_window;
}

bool Endpoint::sleeping() const {
  return registration_.queue_mode && std::chrono::steady_clock::now() >= awake_until_;
}

bool Endpoint::hold(Command command) {
  if (held_.size() >= kMaxHeldCommands) return false;
  held_.push_back(std::move(command));
  return true;
}

std::deque<Command> Endpoint::take_held() {
  return std::exchange(held_, {});
}

void Endpoint::refresh() {
  refreshed_ = std::chrono::steady_clock::now();
  arm_lifetime();
}

void Endpoint::arm_lifetime() {
  lifetime_timer_.expires_at(refreshed_ + registration_.lifetime);
  lifetime_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->closed_) return;
    if (std::chrono::steady_clock::now() - self->refreshed_ < self->registration_.lifetime) {
      self->arm_lifetime();  // refreshed while this wait was queued
      return;
    }
    spdlog::info("{}: registration lifetime ({}s) expired", self->log_name_,
                 self->registration_.lifetime.count());
    self->close(broker::CloseKind::Abnormal, "lwm2m registration lifetime expired");
  });
}

void Endpoint::publish(const std::string& topic_template, const nlohmann::json& message) {
  if (!open()) return;
  client_.publish(client_.expand(topic_template), dump(message), 0, false);
}

void Endpoint::send(broker::Outbound item) {
  if (!mailbox_.push(std::move(item), weak_from_this())) return;
  asio::post(io_, [self = shared_from_this()] {
    for (auto& taken : self->mailbox_.take_and_release()) {
      if (auto* publish = std::get_if<broker::OutboundPublish>(&taken)) {
        self->deliver(std::move(*publish));
      }
    }
  });
}

bool Endpoint::accepts(const broker::Delivery& delivery) const {
  return delivery.message->payload.size() <= kMaxCommandSize;
}

void Endpoint::deliver(broker::OutboundPublish&& publish) {
  // The gateway owns a command from here (its answer or timeout is published): acknowledge it.
  if (const auto& session = client_.session(); session && publish.packet_id != 0) {
    if (publish.delivery.qos == 1) {
      session->on_puback(publish.packet_id);
    } else {
      session->on_pubrec(publish.packet_id);
      session->on_pubcomp(publish.packet_id);
    }
  }
  if (closed_) return;
  context_->stats->messages_down.fetch_add(1, std::memory_order_relaxed);
  owner_.command(registration_.id, publish.delivery.message->payload);
}

void Endpoint::close_by_broker(std::uint8_t reason_code) {
  asio::post(io_, [self = shared_from_this(), reason_code] {
    self->close(broker::CloseKind::Abnormal,
                std::string("closed by the broker: ") + std::string(mqtt::rc::name(reason_code)));
  });
}

void Endpoint::close(broker::CloseKind kind, const std::string& why) {
  if (closed_) return;
  closed_ = true;
  lifetime_timer_.cancel();
  held_.clear();
  client_.disconnect(kind, why);
  // The session reference goes now, while the libcoap context that owns it still exists.
  session_.reset();
  owner_.ended(registration_.id, this);
}

}  // namespace gatemq::gateway::lwm2m
