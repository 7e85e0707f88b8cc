#include "gateways/lwm2m/server.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <mutex>
#include <span>
#include <stdexcept>

#include "gateways/coap/udp_sockets.hpp"
#include "gateways/lwm2m/pdu.hpp"
#include "gateways/lwm2m/registration.hpp"

namespace gatemq::gateway::lwm2m {

namespace {

using nlohmann::json;

constexpr auto kTick = std::chrono::seconds(1);
// Server sessions of devices that are not registered (a stray request) go after this; a
// registered device's session is held by its Endpoint.
constexpr unsigned kSessionTimeoutSeconds = 300;
// Request payloads over this go in Block1 blocks of this size (RFC 7959 §2.5).
constexpr std::size_t kMaxBlockPayload = 1024;

Lwm2mServer* server_of(coap_session_t* session) {
  return static_cast<Lwm2mServer*>(coap_get_app_data(coap_session_get_context(session)));
}

void on_request(coap_resource_t*, coap_session_t* session, const coap_pdu_t* request,
                const coap_string_t*, coap_pdu_t* response) {
  server_of(session)->handle(session, request, response);
}

// No exception may cross libcoap (C code): one that escapes a handler is logged and dropped.
coap_response_t on_response(coap_session_t* session, const coap_pdu_t*, const coap_pdu_t* received,
                            const coap_mid_t) {
  try {
    auto* server = server_of(session);
    return server ? server->on_response(session, received) : COAP_RESPONSE_FAIL;
  } catch (const std::exception& e) {
    spdlog::error("lwm2m gateway: handling a device response failed: {}", e.what());
    return COAP_RESPONSE_OK;
  }
}

void on_nack(coap_session_t* session, const coap_pdu_t* sent, const coap_nack_reason_t reason,
             const coap_mid_t) {
  try {
    if (auto* server = server_of(session); server && sent) server->on_nack(session, sent, reason);
  } catch (const std::exception& e) {
    spdlog::error("lwm2m gateway: handling a failed request failed: {}", e.what());
  }
}

coap_pdu_code_t method_code(Method method) {
  switch (method) {
    case Method::Get:
      return COAP_REQUEST_CODE_GET;
    case Method::Post:
      return COAP_REQUEST_CODE_POST;
    case Method::Put:
      return COAP_REQUEST_CODE_PUT;
    case Method::Delete:
      return COAP_REQUEST_CODE_DELETE;
  }
  return COAP_REQUEST_CODE_GET;
}

// RFC 7252 §4.8.2 MAX_TRANSMIT_SPAN plus the last wait, for the configured parameters.
std::chrono::milliseconds transmit_wait(const Lwm2mSettings& settings) {
  const auto rounds = (std::int64_t{1} << (settings.max_retransmit + 1)) - 1;
  return std::chrono::milliseconds(settings.ack_timeout.count() * rounds * 3 / 2);
}

}  // namespace

Lwm2mServer::Lwm2mServer(std::shared_ptr<const GatewayContext> context, asio::io_context& io)
    : context_(std::move(context)), io_(io), tick_timer_(io), random_(std::random_device{}()) {}

Lwm2mServer::~Lwm2mServer() {
  // Endpoints hold session references into the context: release them first.
  auto registrations = std::move(registrations_);
  registrations_.clear();
  for (auto& [id, endpoint] : registrations) {
    endpoint->close(broker::CloseKind::Abnormal, "gateway gone");
  }
}

void Lwm2mServer::open() {
  coap::start_libcoap();
  const auto& settings = context_->settings;
  coap_.reset(coap_new_context(nullptr));
  if (!coap_) throw std::runtime_error("lwm2m gateway: cannot create a libcoap context");
  coap_set_app_data(coap_.get(), this);
  // No libcoap block-wise mode here (unlike the CoAP gateway): in it libcoap 4.3.1 replaces the
  // token of requests it tracks (a cancelling GET Observe=1 among them), and a device must see
  // its observation's token to cancel it. Block-wise requests are refused (4.13) instead.
  coap_context_set_block_mode(coap_.get(), 0);
  coap_context_set_session_timeout(coap_.get(), kSessionTimeoutSeconds);
  coap_register_response_handler(coap_.get(), lwm2m::on_response);
  coap_register_nack_handler(coap_.get(), lwm2m::on_nack);

  if (settings.udp) {  // lwm2m.port = off: DTLS only, or nothing
    local_ = settings.bind_address + ":" + std::to_string(settings.port);
    auto address = coap::make_address("lwm2m gateway", settings.bind_address, settings.port);
    if (!coap_new_endpoint(coap_.get(), &address, COAP_PROTO_UDP)) {
      throw std::runtime_error("lwm2m gateway: cannot bind udp " + local_);
    }
    // RFC 7252 §3: other CoAP versions are dropped silently rather than answered with a RST.
    if (const auto fd = coap::find_udp_socket(settings.bind_address, settings.port);
        !fd || !coap::drop_unknown_versions(*fd)) {
      spdlog::warn("lwm2m gateway: no version filter on udp {}: unknown CoAP versions get a RST",
                   local_);
    }
  }
  if (settings.dtls) {
    // Registration and commands run the same over a DTLS session: only the endpoint differs.
    const auto& dtls = *settings.dtls;
    dtls_ = std::make_unique<coap::DtlsSetup>(coap_.get(), dtls, context_->broker.settings().psk,
                                              "lwm2m gateway");
    dtls_local_ = dtls.bind_address + ":" + std::to_string(dtls.port);
    auto dtls_address = coap::make_address("lwm2m gateway", dtls.bind_address, dtls.port);
    if (!coap_new_endpoint(coap_.get(), &dtls_address, COAP_PROTO_DTLS)) {
      throw std::runtime_error("lwm2m gateway: cannot bind dtls " + dtls_local_);
    }
  }
  const int fd = coap_context_get_coap_fd(coap_.get());
  if (fd < 0) throw std::runtime_error("lwm2m gateway: libcoap was built without epoll support");
  descriptor_.emplace(io_, ::dup(fd));

  // /rd takes Register; /rd/{id} (Update, De-register) and every other path land on the
  // unknown-resource handler and are routed there.
  coap_resource_t* rd = coap_resource_init(coap_make_str_const("rd"), 0);
  for (auto method : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_PUT, COAP_REQUEST_DELETE}) {
    coap_register_request_handler(rd, method, on_request);
  }
  coap_add_attr(rd, coap_make_str_const("rt"), coap_make_str_const("\"core.rd\""), 0);
  coap_add_resource(coap_.get(), rd);
  coap_resource_t* other = coap_resource_unknown_init2(on_request, 0);
  for (auto method : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE}) {
    coap_register_request_handler(other, method, on_request);
  }
  coap_add_resource(coap_.get(), other);
}

void Lwm2mServer::start() {
  asio::post(io_, [self = shared_from_this()] {
    self->process();
    self->wait();
    self->tick();
  });
}

void Lwm2mServer::wait() {
  descriptor_->async_wait(asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](const std::error_code& error) {
                            if (error || self->stopped_) return;
                            self->process();
                            self->wait();
                          });
}

void Lwm2mServer::process() {
  if (!coap_ || stopped_) return;
  coap_io_process(coap_.get(), COAP_IO_NO_WAIT);
}

void Lwm2mServer::tick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->stopped_) return;
    self->process();
    // A device that acknowledged a request but never sent its response.
    const auto now = std::chrono::steady_clock::now();
    std::vector<Pending> expired;
    for (auto it = self->pending_.begin(); it != self->pending_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second));
        it = self->pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& pending : expired) {
      if (auto endpoint = self->find(pending.registration_id)) {
        --endpoint->in_flight;
        spdlog::warn("{}: no answer to '{}' {}", endpoint->log_name(), kind_of(pending.command),
                     pending.command.req_path);
        self->give_up(*endpoint, pending, kGatewayTimeout);
      }
    }
    self->uploads_.expire(now);
    self->tick();
  });
}

std::string Lwm2mServer::description() const {
  auto text = context_->listener_name + (local_.empty() ? " off" : " on " + local_);
  if (!dtls_local_.empty()) text += ", dtls on " + dtls_local_;
  return text;
}

void Lwm2mServer::stop() {
  asio::post(io_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->tick_timer_.cancel();
    if (self->descriptor_) self->descriptor_->cancel();
  });
}

void Lwm2mServer::close_connections() {
  asio::post(io_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->tick_timer_.cancel();
    auto registrations = self->registrations_;  // closing edits the map
    for (auto& [id, endpoint] : registrations) {
      endpoint->close(broker::CloseKind::Abnormal, "server shutting down");
    }
    self->registrations_.clear();
    self->by_endpoint_.clear();
    self->pending_.clear();
    self->observations_.clear();
    self->uploads_.clear();
    if (self->descriptor_) {
      std::error_code ignored;
      self->descriptor_->close(ignored);
    }
    self->coap_.reset();
  });
}

std::chrono::steady_clock::time_point Lwm2mServer::command_deadline() const {
  const auto& settings = context_->settings;
  return std::chrono::steady_clock::now() + transmit_wait(settings) + settings.command_timeout;
}

std::shared_ptr<Endpoint> Lwm2mServer::find(const std::string& registration_id) const {
  const auto found = registrations_.find(registration_id);
  if (found == registrations_.end() || !found->second->open()) return nullptr;
  return found->second;
}

std::string Lwm2mServer::new_token() {
  for (;;) {
    const auto value = random_();
    std::string token(reinterpret_cast<const char*>(&value), sizeof value);
    if (!pending_.contains(token) && !observations_.contains(token)) return token;
  }
}

std::string Lwm2mServer::new_registration_id() {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (;;) {
    std::string id;
    for (int i = 0; i < 10; ++i) id.push_back(kAlphabet[random_() % kAlphabet.size()]);
    if (!registrations_.contains(id)) return id;
  }
}

// --- Registration interface ----------------------------------------------------------------------

// --- Device Management and Information Reporting ---------------------------------------------

void Lwm2mServer::command(const std::string& registration_id, std::string payload) {
  auto endpoint = find(registration_id);
  if (!endpoint) return;
  try {
    handle_command(endpoint, payload);
  } catch (const std::exception& e) {
    // Runs in an Asio handler on a shared worker: nothing may escape to io_context::run().
    spdlog::error("{}: command failed: {}", endpoint->log_name(), e.what());
  }
}

void Lwm2mServer::handle_command(const std::shared_ptr<Endpoint>& endpoint,
                                 const std::string& payload) {
  auto command = parse_command(payload, *context_->registry->get(),
                               context_->settings.format_for(endpoint->registration().version));
  if (!command.ok()) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{}: command refused: {}", endpoint->log_name(), command.error);
    return respond(*endpoint, command, kBadRequest);
  }
  if (endpoint->sleeping()) {
    if (endpoint->hold(command)) {
      spdlog::debug("{}: '{}' {} held until the device wakes (queue mode)", endpoint->log_name(),
                    kind_of(command), command.req_path);
    } else {
      spdlog::warn("{}: too many commands held for a sleeping device", endpoint->log_name());
      respond(*endpoint, command, kServiceUnavailable);
    }
    return;
  }
  send(*endpoint, std::move(command));
}

void Lwm2mServer::woke_up(Endpoint& endpoint) {
  endpoint.heard_from();
  asio::post(io_, [self = shared_from_this(), id = endpoint.registration().id] {
    auto endpoint = self->find(id);
    if (!endpoint || self->stopped_) return;
    for (auto& command : endpoint->take_held()) self->send(*endpoint, std::move(command));
  });
}

void Lwm2mServer::respond(Endpoint& endpoint, const Command& command, std::uint8_t code,
                          const std::optional<json>& content) {
  endpoint.publish(context_->settings.topics.response,
                   response_message(command.echo, command.req_path, code, content));
}

void Lwm2mServer::send(Endpoint& endpoint, Command command) {
  coap_session_t* session = endpoint.session();
  if (!session) return;
  if (endpoint.in_flight >= kMaxInFlight) {
    spdlog::warn("{}: {} commands in flight: '{}' refused", endpoint.log_name(), kMaxInFlight,
                 kind_of(command));
    return respond(endpoint, command, kServiceUnavailable);
  }
  const auto& request = command.request;
  std::string token;
  const auto path_text = request.path.to_string();
  if (command.kind == CommandKind::Observe || command.kind == CommandKind::CancelObserve) {
    // RFC 7641 §3.3.1 / §3.6: re-registering and cancelling use the observation's token.
    for (auto it = observations_.begin(); it != observations_.end(); ++it) {
      if (it->second.registration_id == endpoint.registration().id &&
          it->second.path == request.path) {
        token = it->first;
        observations_.erase(it);
        break;
      }
    }
  }
  if (token.empty() || pending_.contains(token)) token = new_token();

  // A payload over one block goes block-wise (RFC 7959 §2.5), starting with NUM 0 at 1024.
  std::optional<Block> block1;
  if (request.payload.size() > kMaxBlockPayload) block1 = Block{0, true, szx_for(kMaxBlockPayload)};
  auto pdu = make_request(endpoint, request, token, std::nullopt, block1);
  if (!pdu) {
    spdlog::warn("{}: '{}' payload of {} bytes does not fit one datagram", endpoint.log_name(),
                 kind_of(command), request.payload.size());
    return respond(endpoint, command, kTooLarge);
  }
  spdlog::debug("{}: {} {}", endpoint.log_name(), kind_of(command), path_text);
  pending_.insert_or_assign(token, Pending{endpoint.registration().id, command, command_deadline(),
                                           std::nullopt, block1});
  ++endpoint.in_flight;
  // libcoap may report a failure through the NACK handler inside coap_send().
  if (coap_send(session, pdu.release()) == COAP_INVALID_MID) {
    if (pending_.erase(token) > 0) {
      --endpoint.in_flight;
      respond(endpoint, command, kServiceUnavailable);
    }
  }
}

coap::PduPtr Lwm2mServer::make_request(Endpoint& endpoint, const DeviceRequest& request,
                                       const std::string& token, std::optional<Block> block2,
                                       std::optional<Block> block1) {
  coap::PduPtr pdu(coap_new_pdu(COAP_MESSAGE_CON, method_code(request.method), endpoint.session()));
  if (!pdu) return nullptr;
  coap_add_token(pdu.get(), token.size(), reinterpret_cast<const std::uint8_t*>(token.data()));
  // Options in ascending number: Observe (6), Uri-Path (11), Content-Format (12),
  // Uri-Query (15), Accept (17).
  if (request.observe) coap::add_uint_option(pdu.get(), COAP_OPTION_OBSERVE, *request.observe);
  const auto& alternate = endpoint.registration().alternate_path;
  std::string_view rest(alternate);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of('/');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto segment = rest.substr(0, rest.find('/'));
    coap_add_option(pdu.get(), COAP_OPTION_URI_PATH, segment.size(),
                    reinterpret_cast<const std::uint8_t*>(segment.data()));
    rest.remove_prefix(segment.size());
  }
  for (std::size_t i = 0; i < request.path.depth(); ++i) {
    const auto id = std::to_string(request.path.id(i));
    coap_add_option(pdu.get(), COAP_OPTION_URI_PATH, id.size(),
                    reinterpret_cast<const std::uint8_t*>(id.data()));
  }
  if (request.content_format) {
    coap::add_uint_option(pdu.get(), COAP_OPTION_CONTENT_FORMAT, *request.content_format);
  }
  for (const auto& item : request.query) {
    coap_add_option(pdu.get(), COAP_OPTION_URI_QUERY, item.size(),
                    reinterpret_cast<const std::uint8_t*>(item.data()));
  }
  if (request.accept) coap::add_uint_option(pdu.get(), COAP_OPTION_ACCEPT, *request.accept);
  if (block2) add_block_option(pdu.get(), COAP_OPTION_BLOCK2, *block2);  // 23, after Accept
  std::span<const std::uint8_t> payload(request.payload);
  if (block1) {
    add_block_option(pdu.get(), COAP_OPTION_BLOCK1, *block1);  // 27
    const auto offset = std::min(block1->offset(), payload.size());
    payload = payload.subspan(offset, std::min(block1->size(), payload.size() - offset));
  }
  if (!payload.empty() && !coap_add_data(pdu.get(), payload.size(), payload.data())) {
    return nullptr;
  }
  return pdu;
}

coap_response_t Lwm2mServer::on_response(coap_session_t*, const coap_pdu_t* received) {
  const auto token_view = coap::view(coap_pdu_get_token(received));
  const std::string token(token_view);
  if (auto found = pending_.find(token); found != pending_.end()) {
    auto pending = std::move(found->second);
    pending_.erase(found);
    if (auto endpoint = find(pending.registration_id)) {
      endpoint->heard_from();
      --endpoint->in_flight;
      answer(*endpoint, std::move(pending), received, token);
    }
    return COAP_RESPONSE_OK;
  }
  if (auto found = observations_.find(token); found != observations_.end()) {
    auto endpoint = find(found->second.registration_id);
    if (!endpoint) {
      observations_.erase(found);
      return COAP_RESPONSE_FAIL;
    }
    endpoint->heard_from();
    const auto sequence = coap::observe_value(received);
    const auto observation = found->second;
    // A notification without Observe (usually an error) ends the observation (RFC 7641 §3.2).
    if (!sequence) observations_.erase(found);
    const auto code = static_cast<std::uint8_t>(coap_pdu_get_code(received));
    if (const auto block2 = block_option(received, COAP_OPTION_BLOCK2);
        sequence && code == kContent && block2 && block2->more) {
      start_notification_transfer(*endpoint, token, observation, received);
      return COAP_RESPONSE_OK;
    }
    context_->stats->messages_up.fetch_add(1, std::memory_order_relaxed);
    notification(*endpoint, observation,
                 Answer{code, coap::body(received), content_format_of(received), sequence, token});
    return COAP_RESPONSE_OK;
  }
  // Unknown token: a cancelled observation's notification or a stray answer. The RST libcoap
  // sends for it tells the device to stop (RFC 7641 §3.6).
  return COAP_RESPONSE_FAIL;
}

void Lwm2mServer::answer(Endpoint& endpoint, Pending pending, const coap_pdu_t* received,
                         const std::string& token) {
  const auto code = static_cast<std::uint8_t>(coap_pdu_get_code(received));
  if (pending.sent_block && code == kContinue) {
    return send_next_block(endpoint, std::move(pending), received);
  }
  // A first answer to a GET that is a block other than a whole NUM 0 is block-wise (and checked
  // so); only GETs are repeated for the next blocks.
  const auto block2 = block_option(received, COAP_OPTION_BLOCK2);
  if (pending.transfer || (code == kContent && pending.command.request.method == Method::Get &&
                           block2 && (block2->more || block2->num != 0))) {
    return receive_block(endpoint, std::move(pending), received, token);
  }
  context_->stats->messages_up.fetch_add(1, std::memory_order_relaxed);
  conclude(endpoint, pending,
           Answer{code, coap::body(received), content_format_of(received),
                  coap::observe_value(received), token});
}

void Lwm2mServer::conclude(Endpoint& endpoint, const Pending& pending, const Answer& answer) {
  const auto& command = pending.command;
  std::optional<json> content;
  if (answer.code == kContent &&
      (command.kind == CommandKind::Read || command.kind == CommandKind::Observe ||
       command.kind == CommandKind::CancelObserve || command.kind == CommandKind::Discover)) {
    content = decode_content(answer, command.request.path, command.kind == CommandKind::Discover);
    if (!content) {
      // A block-wise observe is known from its first block: an undecodable whole observes
      // nothing.
      if (command.kind == CommandKind::Observe) observations_.erase(answer.token);
      return respond(endpoint, command, kBadGateway);
    }
    if (command.kind == CommandKind::Observe && answer.observe) {
      auto request = command.request;
      request.observe.reset();
      observations_.insert_or_assign(
          answer.token, Observation{pending.registration_id, command.echo, command.req_path,
                                    command.request.path, std::move(request)});
    }
  }
  respond(endpoint, command, answer.code, content);
}

void Lwm2mServer::notification(Endpoint& endpoint, const Observation& observation,
                               const Answer& answer) {
  std::optional<json> content;
  if (answer.code == kContent) {
    content = decode_content(answer, observation.path, false);
    if (!content) return;  // logged; the next notification may be better
  }
  auto message = response_message(observation.echo, observation.req_path, answer.code, content);
  message["msgType"] = "notify";
  message["seqNum"] = answer.observe.value_or(0);
  endpoint.publish(context_->settings.topics.notify, message);
}

void Lwm2mServer::give_up(Endpoint& endpoint, const Pending& pending, std::uint8_t code) {
  if (pending.transfer) {
    // The rest of a notification has nobody waiting for it: the next notification will do.
    if (pending.transfer->notification) return;
    // An observe whose first answer never completed observes nothing.
    if (pending.command.kind == CommandKind::Observe) {
      observations_.erase(pending.transfer->first_token);
    }
  }
  respond(endpoint, pending.command, code);
}

std::optional<json> Lwm2mServer::decode_content(const Answer& answer, const Path& path,
                                                bool links) {
  const std::string_view payload = answer.payload;
  if (links) {
    if (payload.empty()) return json::array();
    auto list = discover_json(payload);
    if (!list)
      spdlog::warn("lwm2m gateway: discover answer for {} is not link format", path.to_string());
    return list;
  }
  const auto format = answer.content_format.value_or(content_format::kTextPlain);
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                            payload.size());
  auto values = decode(format, bytes, path, type_lookup(*context_->registry->get()));
  if (!values) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("lwm2m gateway: undecodable content (format {}) for {}: {}", format,
                 path.to_string(), values.error());
    return std::nullopt;
  }
  return content_json(*values);
}

void Lwm2mServer::on_nack(coap_session_t*, const coap_pdu_t* sent, coap_nack_reason_t reason) {
  const std::string token(coap::view(coap_pdu_get_token(sent)));
  const auto found = pending_.find(token);
  if (found == pending_.end()) return;
  auto pending = std::move(found->second);
  pending_.erase(found);
  auto endpoint = find(pending.registration_id);
  if (!endpoint) return;
  --endpoint->in_flight;
  const bool timeout = reason == COAP_NACK_TOO_MANY_RETRIES;
  spdlog::warn("{}: '{}' {} failed: {}", endpoint->log_name(), kind_of(pending.command),
               pending.command.req_path,
               timeout                   ? "no answer"
               : reason == COAP_NACK_RST ? "reset by the device"
                                         : "not sent");
  give_up(*endpoint, pending, timeout ? kGatewayTimeout : kServiceUnavailable);
}

}  // namespace gatemq::gateway::lwm2m
