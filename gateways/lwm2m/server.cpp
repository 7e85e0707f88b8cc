#include "gateways/lwm2m/server.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <mutex>
#include <stdexcept>

#include "gateways/coap/udp_sockets.hpp"
#include "gateways/lwm2m/registration.hpp"

namespace gatemq::gateway::lwm2m {

namespace {

using nlohmann::json;

constexpr auto kTick = std::chrono::seconds(1);
// Commands one device may have in flight (libcoap sends them one at a time, NSTART = 1).
constexpr std::size_t kMaxInFlight = 64;
// Server sessions of devices that are not registered (a stray request) go after this; a
// registered device's session is held by its Endpoint.
constexpr unsigned kSessionTimeoutSeconds = 300;
constexpr std::uint16_t kLinkFormat = 40;
constexpr std::uint8_t kCreated = 0x41, kDeleted = 0x42, kChanged = 0x44, kContent = 0x45;
constexpr std::uint8_t kForbidden = 0x83, kNotFound = 0x84, kMethodNotAllowed = 0x85;
constexpr std::uint8_t kUnsupportedFormat = 0x8F, kTooLarge = 0x8D;

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

void reply(coap_pdu_t* response, std::uint8_t code, std::string_view diagnostic = {}) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
  if (!diagnostic.empty()) {
    coap_add_data(response, diagnostic.size(),
                  reinterpret_cast<const std::uint8_t*>(diagnostic.data()));
  }
}

std::optional<std::uint16_t> content_format_of(const coap_pdu_t* pdu) {
  const auto values = coap::options(pdu, COAP_OPTION_CONTENT_FORMAT);
  if (values.empty()) return std::nullopt;
  return static_cast<std::uint16_t>(
      coap_decode_var_bytes(reinterpret_cast<const std::uint8_t*>(values.front().data()),
                            static_cast<unsigned>(values.front().size())));
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

// The command's msgType for logs (whatever JSON type a hostile client gave it).
std::string kind_of(const Command& command) {
  const auto found = command.echo.find("msgType");
  return found != command.echo.end() && found->is_string() ? found->get<std::string>() : "?";
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
        self->respond(*endpoint, pending.command, kGatewayTimeout);
      }
    }
    self->tick();
  });
}

std::string Lwm2mServer::description() const {
  return context_->listener_name + " on " + local_;
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
    if (self->descriptor_) {
      std::error_code ignored;
      self->descriptor_->close(ignored);
    }
    self->coap_.reset();
  });
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

void Lwm2mServer::handle(coap_session_t* session, const coap_pdu_t* pdu, coap_pdu_t* response) {
  const auto [host, port] = coap::peer_of(session);
  const auto peer = host + ":" + std::to_string(port);
  try {
    if (!coap::options(pdu, COAP_OPTION_BLOCK1).empty()) {
      context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
      return reply(response, kTooLarge, "block-wise registration is not supported");
    }
    const auto path = coap::options(pdu, COAP_OPTION_URI_PATH);
    const auto method = coap_pdu_get_code(pdu);
    if (path.size() == 1 && path[0] == "rd") {
      if (method != COAP_REQUEST_CODE_POST) return reply(response, kMethodNotAllowed);
      return register_endpoint(session, pdu, response, peer);
    }
    if (path.size() == 2 && path[0] == "rd") {
      auto endpoint = find(path[1]);
      if (!endpoint) {
        spdlog::debug("lwm2m gateway: request from {} for an unknown registration", peer);
        return reply(response, kNotFound, "unknown registration");
      }
      if (method == COAP_REQUEST_CODE_POST) return update(*endpoint, session, pdu, response);
      if (method == COAP_REQUEST_CODE_DELETE) return deregister(*endpoint, response);
      return reply(response, kMethodNotAllowed);
    }
    reply(response, kNotFound);
  } catch (const std::exception& e) {
    // No exception may cross libcoap, and no request may take the gateway down.
    spdlog::error("lwm2m request from {} failed: {}", peer, e.what());
    reply(response, 0xA0, "internal error");
  }
}

void Lwm2mServer::register_endpoint(coap_session_t* session, const coap_pdu_t* pdu,
                                    coap_pdu_t* response, const std::string& peer) {
  const auto& settings = context_->settings;
  const auto refuse = [&](std::uint8_t code, const std::string& why) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("lwm2m gateway: registration from {} refused: {}", peer, why);
    reply(response, code, why);
  };
  auto query = parse_registration_query(coap::options(pdu, COAP_OPTION_URI_QUERY));
  if (!query) return refuse(kBadRequest, query.error());
  if (!query->endpoint) return refuse(kBadRequest, "missing ep");
  const auto lifetime = std::chrono::seconds(query->lifetime.value_or(86400));
  if (lifetime < settings.lifetime_min || lifetime > settings.lifetime_max) {
    return refuse(kBadRequest, "lifetime out of range");
  }
  if (const auto format = content_format_of(pdu); format && *format != kLinkFormat) {
    return refuse(kUnsupportedFormat, "object links must be link format");
  }
  auto links = parse_object_links(coap::body(pdu));
  if (!links) return refuse(kBadRequest, links.error());

  const auto& name = *query->endpoint;
  if (auto old = by_endpoint_.find(name); old != by_endpoint_.end()) {
    // A device registering again (after a reboot) replaces its registration.
    if (auto previous = find(old->second)) {
      previous->close(broker::CloseKind::Normal, "registered again");
    }
  }
  Registration registration{new_registration_id(),
                            name,
                            lifetime,
                            query->version.value_or("1.0"),
                            query->binding.value_or("U"),
                            links->alternate_path,
                            std::move(links->objects)};
  registration.queue_mode =
      query->queue_mode || registration.binding.find('Q') != std::string::npos;
  auto endpoint = std::make_shared<Endpoint>(context_, io_, *this, registration, session);
  registrations_[registration.id] = endpoint;
  by_endpoint_[name] = registration.id;
  if (!endpoint->connect()) {
    registrations_.erase(registration.id);
    by_endpoint_.erase(name);
    spdlog::warn("lwm2m gateway: registration of '{}' from {} not authorized", name, peer);
    return reply(response, kForbidden, "not authorized");
  }
  // The gateway's own requests to this device use the configured transmission parameters.
  const auto ack = settings.ack_timeout.count();
  coap_session_set_ack_timeout(session, coap_fixed_point_t{static_cast<std::uint16_t>(ack / 1000),
                                                           static_cast<std::uint16_t>(ack % 1000)});
  coap_session_set_max_retransmit(session, settings.max_retransmit);

  endpoint->heard_from();
  reply(response, kCreated);
  coap_add_option(response, COAP_OPTION_LOCATION_PATH, 2,
                  reinterpret_cast<const std::uint8_t*>("rd"));
  coap_add_option(response, COAP_OPTION_LOCATION_PATH, registration.id.size(),
                  reinterpret_cast<const std::uint8_t*>(registration.id.data()));
  spdlog::info("{}: registered as rd/{} (lifetime {}s, lwm2m {}, binding {}, {} objects)",
               endpoint->log_name(), registration.id, lifetime.count(), registration.version,
               registration.binding, registration.objects.size());
  context_->stats->messages_up.fetch_add(1, std::memory_order_relaxed);
  endpoint->publish(settings.topics.register_,
                    json{{"msgType", "register"}, {"data", registration_json(registration)}});
  if (settings.auto_observe_all || !settings.auto_observe_paths.empty()) auto_observe(*endpoint);
}

void Lwm2mServer::auto_observe(Endpoint& endpoint) {
  const auto& settings = context_->settings;
  const auto& paths =
      settings.auto_observe_all ? endpoint.registration().objects : settings.auto_observe_paths;
  std::vector<Command> commands;
  for (const auto& path : paths) {
    auto command = parse_command(dump(json{{"msgType", "observe"}, {"data", {{"path", path}}}}),
                                 *context_->registry);
    // Only what the device registered and the gateway can decode is observed.
    if (!command.ok()) {
      spdlog::debug("{}: no auto-observe of {}: {}", endpoint.log_name(), path, command.error);
      continue;
    }
    commands.push_back(std::move(command));
  }
  // Posted: the device gets its 2.01 before the first Observe.
  asio::post(io_, [self = shared_from_this(), id = endpoint.registration().id,
                   commands = std::move(commands)]() mutable {
    auto endpoint = self->find(id);
    if (!endpoint || self->stopped_) return;
    for (auto& command : commands) self->send(*endpoint, std::move(command));
  });
}

void Lwm2mServer::update(Endpoint& endpoint, coap_session_t* session, const coap_pdu_t* pdu,
                         coap_pdu_t* response) {
  const auto& settings = context_->settings;
  const auto refuse = [&](std::uint8_t code, const std::string& why) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{}: update refused: {}", endpoint.log_name(), why);
    reply(response, code, why);
  };
  auto query = parse_registration_query(coap::options(pdu, COAP_OPTION_URI_QUERY));
  if (!query) return refuse(kBadRequest, query.error());
  if (query->endpoint || query->version)
    return refuse(kBadRequest, "ep and lwm2m are not update parameters");
  std::optional<std::chrono::seconds> lifetime;
  if (query->lifetime) {
    lifetime = std::chrono::seconds(*query->lifetime);
    if (*lifetime < settings.lifetime_min || *lifetime > settings.lifetime_max) {
      return refuse(kBadRequest, "lifetime out of range");
    }
  }
  const auto payload = coap::body(pdu);
  std::optional<ObjectLinks> links;
  if (!payload.empty()) {
    if (const auto format = content_format_of(pdu); format && *format != kLinkFormat) {
      return refuse(kUnsupportedFormat, "object links must be link format");
    }
    auto parsed = parse_object_links(payload);
    if (!parsed) return refuse(kBadRequest, parsed.error());
    links = std::move(*parsed);
  }
  auto& registration = endpoint.registration();
  if (lifetime) registration.lifetime = *lifetime;
  if (query->binding) {
    registration.binding = *query->binding;
    registration.queue_mode =
        query->queue_mode || registration.binding.find('Q') != std::string::npos;
  }
  if (links) {
    registration.alternate_path = links->alternate_path;
    registration.objects = std::move(links->objects);
  }
  endpoint.move_to(session);
  endpoint.refresh();
  woke_up(endpoint);
  reply(response, kChanged);
  spdlog::debug("{}: registration updated", endpoint.log_name());
  context_->stats->messages_up.fetch_add(1, std::memory_order_relaxed);
  if (links || settings.update_publish_condition == UpdatePublishCondition::Always) {
    endpoint.publish(settings.topics.update,
                     json{{"msgType", "update"}, {"data", registration_json(registration)}});
  }
}

void Lwm2mServer::deregister(Endpoint& endpoint, coap_pdu_t* response) {
  reply(response, kDeleted);
  spdlog::info("{}: deregistered", endpoint.log_name());
  endpoint.close(broker::CloseKind::Normal, "lwm2m deregistration");
}

void Lwm2mServer::ended(const std::string& registration_id, const void* endpoint) {
  const auto found = registrations_.find(registration_id);
  if (found == registrations_.end() || found->second.get() != endpoint) return;
  const auto name = found->second->registration().endpoint;
  registrations_.erase(found);
  if (auto by_name = by_endpoint_.find(name);
      by_name != by_endpoint_.end() && by_name->second == registration_id) {
    by_endpoint_.erase(by_name);
  }
  drop_state_of(registration_id);
}

void Lwm2mServer::drop_state_of(const std::string& registration_id) {
  // Nobody is left to publish answers to: libcoap's retransmissions of these requests run out
  // on their own, and their late answers find no token.
  std::erase_if(pending_,
                [&](const auto& entry) { return entry.second.registration_id == registration_id; });
  std::erase_if(observations_,
                [&](const auto& entry) { return entry.second.registration_id == registration_id; });
}

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
  auto command = parse_command(payload, *context_->registry);
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

  coap::PduPtr pdu(coap_new_pdu(COAP_MESSAGE_CON, method_code(request.method), session));
  if (!pdu) return respond(endpoint, command, kServiceUnavailable);
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
  if (!request.payload.empty() &&
      !coap_add_data(pdu.get(), request.payload.size(), request.payload.data())) {
    spdlog::warn("{}: '{}' payload of {} bytes does not fit one datagram", endpoint.log_name(),
                 kind_of(command), request.payload.size());
    return respond(endpoint, command, kTooLarge);
  }
  const auto& settings = context_->settings;
  const auto deadline =
      std::chrono::steady_clock::now() + transmit_wait(settings) + settings.command_timeout;
  const auto registration_id = endpoint.registration().id;
  spdlog::debug("{}: {} {}", endpoint.log_name(), kind_of(command), path_text);
  pending_.insert_or_assign(token, Pending{registration_id, command, deadline});
  ++endpoint.in_flight;
  // libcoap may report a failure through the NACK handler inside coap_send().
  if (coap_send(session, pdu.release()) == COAP_INVALID_MID) {
    if (pending_.erase(token) > 0) {
      --endpoint.in_flight;
      respond(endpoint, command, kServiceUnavailable);
    }
  }
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
    notification(*endpoint, observation, received, sequence.value_or(0));
    return COAP_RESPONSE_OK;
  }
  // Unknown token: a cancelled observation's notification or a stray answer. The RST libcoap
  // sends for it tells the device to stop (RFC 7641 §3.6).
  return COAP_RESPONSE_FAIL;
}

void Lwm2mServer::answer(Endpoint& endpoint, Pending pending, const coap_pdu_t* received,
                         const std::string& token) {
  const auto code = static_cast<std::uint8_t>(coap_pdu_get_code(received));
  auto& command = pending.command;
  context_->stats->messages_up.fetch_add(1, std::memory_order_relaxed);
  std::optional<json> content;
  if (code == kContent &&
      (command.kind == CommandKind::Read || command.kind == CommandKind::Observe ||
       command.kind == CommandKind::CancelObserve || command.kind == CommandKind::Discover)) {
    content = decode_content(received, command.request.path, command.kind == CommandKind::Discover);
    if (!content) return respond(endpoint, command, kBadGateway);
    if (command.kind == CommandKind::Observe && coap::observe_value(received)) {
      auto echo = command.echo;
      observations_.insert_or_assign(token, Observation{pending.registration_id, std::move(echo),
                                                        command.req_path, command.request.path});
    }
  }
  respond(endpoint, command, code, content);
}

void Lwm2mServer::notification(Endpoint& endpoint, const Observation& observation,
                               const coap_pdu_t* received, std::uint32_t sequence) {
  const auto code = static_cast<std::uint8_t>(coap_pdu_get_code(received));
  context_->stats->messages_up.fetch_add(1, std::memory_order_relaxed);
  std::optional<json> content;
  if (code == kContent) {
    content = decode_content(received, observation.path, false);
    if (!content) return;  // logged; the next notification may be better
  }
  auto message = response_message(observation.echo, observation.req_path, code, content);
  message["msgType"] = "notify";
  message["seqNum"] = sequence;
  endpoint.publish(context_->settings.topics.notify, message);
}

std::optional<json> Lwm2mServer::decode_content(const coap_pdu_t* received, const Path& path,
                                                bool links) {
  const auto payload = coap::body(received);
  if (links) {
    if (payload.empty()) return json::array();
    auto list = discover_json(payload);
    if (!list)
      spdlog::warn("lwm2m gateway: discover answer for {} is not link format", path.to_string());
    return list;
  }
  const auto format = content_format_of(received).value_or(content_format::kTextPlain);
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                            payload.size());
  auto values = decode(format, bytes, path, type_lookup(*context_->registry));
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
  respond(*endpoint, pending.command, timeout ? kGatewayTimeout : kServiceUnavailable);
}

}  // namespace gatemq::gateway::lwm2m
