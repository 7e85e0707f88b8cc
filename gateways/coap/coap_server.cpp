#include "gateways/coap/coap_server.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <mutex>
#include <stdexcept>

#include "gateways/coap/udp_sockets.hpp"

namespace gatemq::gateway::coap {

namespace {

// libcoap's retransmissions and session expiry also wake its epoll descriptor (a timerfd in the
// set); this slower tick only backs that up, e.g. for timers set outside coap_io_process().
constexpr auto kTick = std::chrono::seconds(1);
// Server sessions without traffic (and without an observation holding them) are freed by libcoap.
constexpr unsigned kSessionTimeoutSeconds = 300;

CoapServer* server_of(coap_session_t* session) {
  return static_cast<CoapServer*>(coap_get_app_data(coap_session_get_context(session)));
}

void on_request(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
                const coap_string_t* query, coap_pdu_t* response) {
  server_of(session)->handle(resource, session, request, query, response);
}

void on_nack(coap_session_t* session, const coap_pdu_t* sent, const coap_nack_reason_t reason,
             const coap_mid_t) {
  if (auto* server = server_of(session); server && sent) server->on_nack(session, sent, reason);
}

}  // namespace

void reply(coap_pdu_t* response, int code, std::string_view diagnostic) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(code)));
  if (!diagnostic.empty()) {
    coap_add_data(response, diagnostic.size(),
                  reinterpret_cast<const std::uint8_t*>(diagnostic.data()));
  }
}

CoapServer::CoapServer(std::shared_ptr<const GatewayContext> context, asio::io_context& io)
    : context_(std::move(context)), io_(io), tick_timer_(io) {}

CoapServer::~CoapServer() {
  // Clients hold session references into the context: release them first.
  auto clients = std::move(clients_);  // closing edits the map
  clients_.clear();
  for (auto& [id, client] : clients) client->close(broker::CloseKind::Abnormal, "gateway gone");
}

void CoapServer::open() {
  start_libcoap();
  const auto& settings = context_->settings;
  coap_.reset(coap_new_context(nullptr));
  if (!coap_) throw std::runtime_error("coap gateway: cannot create a libcoap context");
  coap_set_app_data(coap_.get(), this);
  // Block-wise transfers (RFC 7959) are reassembled by libcoap: handlers see whole bodies.
  coap_context_set_block_mode(coap_.get(), COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_context_set_session_timeout(coap_.get(), kSessionTimeoutSeconds);
  coap_register_nack_handler(coap_.get(), coap::on_nack);
  if (settings.udp) local_ = bind(COAP_PROTO_UDP, settings.bind_address, settings.port);
  for (const auto& extra : settings.extra_endpoints) {
    local_ += ", " + bind(COAP_PROTO_UDP, extra.bind_address, extra.port);
  }
  const int fd = coap_context_get_coap_fd(coap_.get());
  if (fd < 0) throw std::runtime_error("coap gateway: libcoap was built without epoll support");
  // Asio closes what it owns; libcoap closes its own descriptor in coap_free_context().
  descriptor_.emplace(io_, ::dup(fd));
  if (settings.dtls) open_dtls();
  add_resources();
}

void CoapServer::open_dtls() {
  const auto& dtls = *context_->settings.dtls;
  dtls_ = std::make_unique<DtlsSetup>(coap_.get(), dtls, context_->broker.settings().psk,
                                      "coap gateway");
  dtls_local_ = bind(COAP_PROTO_DTLS, dtls.bind_address, dtls.port);
  for (const auto& extra : dtls.extra_endpoints) {
    dtls_local_ += ", " + bind(COAP_PROTO_DTLS, extra.bind_address, extra.port);
  }
}

std::string CoapServer::bind(coap_proto_t protocol, const std::string& host, std::uint16_t port) {
  const auto where = host + ":" + std::to_string(port);
  auto address = make_address("coap gateway", host, port);
  if (!coap_new_endpoint(coap_.get(), &address, protocol)) {
    throw std::runtime_error(std::string("coap gateway: cannot bind ") +
                             (protocol == COAP_PROTO_DTLS ? "dtls " : "udp ") + where);
  }
  if (protocol != COAP_PROTO_UDP) return where;
  const auto fd = find_udp_socket(host, port);
  if (!fd) {
    spdlog::warn(
        "coap gateway: cannot find libcoap's socket for udp {}: unknown CoAP versions "
        "get a RST there and CON notifications are paced by libcoap alone",
        where);
    return where;
  }
  if (!drop_unknown_versions(*fd)) {
    spdlog::warn("coap gateway: no version filter on udp {}: unknown CoAP versions get a RST",
                 where);
  }
  udp_sockets_.push_back(*fd);
  return where;
}

void CoapServer::add_resources() {
  const auto add = [this](const char* path, std::initializer_list<coap_request_t> methods,
                          const char* title) {
    coap_resource_t* resource = coap_resource_init(coap_make_str_const(path), 0);
    for (auto method : methods) coap_register_request_handler(resource, method, on_request);
    coap_add_attr(resource, coap_make_str_const("title"), coap_make_str_const(title), 0);
    coap_add_attr(resource, coap_make_str_const("ct"), coap_make_str_const("0"), 0);
    coap_add_resource(coap_.get(), resource);
  };
  add("mqtt", {COAP_REQUEST_GET, COAP_REQUEST_PUT, COAP_REQUEST_POST}, "\"MQTT publish\"");
  add("mqtt/connection", {COAP_REQUEST_POST, COAP_REQUEST_PUT, COAP_REQUEST_DELETE},
      "\"MQTT connection\"");
  // /mqtt/{topic} and /ps/{topic}: every other path lands here and is routed by the handler.
  coap_resource_t* topics = coap_resource_unknown_init2(on_request, 0);
  // FETCH, PATCH and iPATCH too, so that a known path answers them 4.05 rather than 4.04.
  for (auto method : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE, COAP_REQUEST_FETCH,
                      COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH}) {
    coap_register_request_handler(topics, method, on_request);
  }
  coap_add_resource(coap_.get(), topics);
}

void CoapServer::start() {
  asio::post(io_, [self = shared_from_this()] {
    self->process();  // datagrams that arrived before the workers ran
    self->wait();
    self->tick();
  });
}

void CoapServer::wait() {
  descriptor_->async_wait(asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](const std::error_code& error) {
                            if (error || self->stopped_) return;
                            self->process();
                            self->wait();
                          });
}

void CoapServer::tick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->stopped_) return;
    self->process();
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, client] : self->clients_) client->expire_in_flight(now);
    self->tick();
  });
}

void CoapServer::process() {
  if (!coap_ || stopped_) return;
  // The datagram each socket holds next is the one libcoap reads now (one per socket and
  // call): an empty ACK or RST settles a CON notification (libcoap does not report those), once
  // libcoap has seen it.
  std::vector<EmptyReply> replies;
  for (const int socket : udp_sockets_) {
    if (auto reply = peek_empty_reply(socket)) replies.push_back(std::move(*reply));
  }
  coap_io_process(coap_.get(), COAP_IO_NO_WAIT);
  for (const auto& reply : replies) settle(reply.peer, reply.message_id);
  // A datagram that arrives between the peek and libcoap's read goes unseen. When libcoap has
  // nothing left to transmit or retransmit, no CON notification can still be unacknowledged.
  if (coap_ && coap_can_exit(coap_.get())) {
    for (auto& [id, client] : clients_) client->settle_all();
  }
}

std::string CoapServer::description() const {
  auto text = context_->listener_name + (local_.empty() ? " off" : " on " + local_);
  if (!dtls_local_.empty()) text += ", dtls on " + dtls_local_;
  return text;
}

void CoapServer::stop() {
  asio::post(io_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->tick_timer_.cancel();
    if (self->descriptor_) self->descriptor_->cancel();
  });
}

void CoapServer::close_connections() {
  asio::post(io_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->tick_timer_.cancel();
    auto clients = std::move(self->clients_);  // closing edits the map
    self->clients_.clear();
    for (auto& [id, client] : clients) {
      client->close(broker::CloseKind::Abnormal, "server shutting down");
    }
    if (self->descriptor_) {
      std::error_code ignored;
      self->descriptor_->close(ignored);
    }
    self->udp_sockets_.clear();  // libcoap closes them with the context
    self->coap_.reset();
  });
}

void CoapServer::forget(const std::string& client_id, const void* client) {
  auto found = clients_.find(client_id);
  if (found != clients_.end() && found->second.get() == client) clients_.erase(found);
}

void CoapServer::on_nack(coap_session_t* session, const coap_pdu_t* sent,
                         coap_nack_reason_t reason) {
  // RFC 7641 §4.5: a RST or an unacknowledged CON notification ends the observation.
  const auto [host, port] = peer_of(session);
  const auto peer = host + ":" + std::to_string(port);
  const auto message_id = static_cast<std::uint16_t>(coap_pdu_get_mid(sent));
  const bool ends_observation = reason == COAP_NACK_RST || reason == COAP_NACK_TOO_MANY_RETRIES;
  const auto token = view(coap_pdu_get_token(sent));
  auto clients = clients_;  // a copy: nothing here may close a client, but stay safe
  for (auto& [id, client] : clients) {
    if (ends_observation) client->cancel_by_token(session, token);
    client->settle(peer, message_id);  // whatever the reason, this CON is no longer in flight
  }
}

void CoapServer::settle(const std::string& peer, std::uint16_t message_id) {
  for (auto& [id, client] : clients_) client->settle(peer, message_id);
}

void CoapServer::handle(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* pdu,
                        const coap_string_t* query_string, coap_pdu_t* response) {
  const auto [host, port] = peer_of(session);
  Request request{resource,
                  query_string,
                  session,
                  pdu,
                  response,
                  coap_pdu_get_code(pdu),
                  coap_pdu_get_type(pdu) == COAP_MESSAGE_CON,
                  {},
                  host + ":" + std::to_string(port)};
  try {
    auto query = parse_query(options(pdu, COAP_OPTION_URI_QUERY));
    if (!query) {
      context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
      reply(response, 400, "bad query");
      return;
    }
    request.query = std::move(*query);
    dispatch(request, route(options(pdu, COAP_OPTION_URI_PATH)));
  } catch (const std::exception& e) {
    // Nothing a request does may take the gateway down (and no exception may cross libcoap).
    spdlog::error("coap request from {} failed: {}", request.peer, e.what());
    reply(response, 500, "internal error");
  }
}

}  // namespace gatemq::gateway::coap
