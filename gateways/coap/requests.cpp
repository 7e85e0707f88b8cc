// The CoAP gateway's resources: what each method on each path does, and which response code
// says why not.
#include <spdlog/spdlog.h>

#include "core/router/topic.hpp"
#include "gateways/coap/coap_server.hpp"

namespace gatemq::gateway::coap {

namespace {

constexpr std::uint32_t kObserveRegister = 0;
constexpr std::uint32_t kObserveDeregister = 1;

const std::string* parameter(const Query& query, std::string_view key) {
  auto found = query.find(key);
  return found == query.end() ? nullptr : &found->second;
}

// A v5 SUBACK failure as a CoAP response code.
int subscribe_failure(std::uint8_t code) {
  switch (code) {
    case 0x87:
      return 403;  // not authorized
    case 0x8F:
    case 0x9E:
    case 0xA1:
    case 0xA2:
      return 400;  // filter invalid, or a feature the filter needs is off
    default:
      return 503;  // quota exceeded, implementation specific
  }
}

}  // namespace

void CoapServer::dispatch(Request& request, const Route& route) {
  switch (route.kind) {
    case RouteKind::MqttTopic:
    case RouteKind::PsTopic:
      topic_request(request, route);
      return;
    case RouteKind::MqttRoot:
      seed_publish(request);
      return;
    case RouteKind::Connection:
      connection_request(request);
      return;
    case RouteKind::Unknown:
      reply(request.response, 404, "unknown path");
      return;
  }
}

std::shared_ptr<CoapClient> CoapServer::connect(Request& request, const Credentials& credentials) {
  auto client = std::make_shared<CoapClient>(context_, io_, *this, peer_of(request.session).first,
                                             peer_of(request.session).second);
  if (!client->connect(credentials.client_id, credentials.username, credentials.password)) {
    reply(request.response, 401, "not authorized");
    return nullptr;
  }
  // A previous client with this id is taken over by the broker and closes itself (posted).
  clients_.insert_or_assign(credentials.client_id, client);
  return client;
}

std::shared_ptr<CoapClient> CoapServer::client_for(Request& request, const Credentials& credentials,
                                                   bool token_required) {
  if (credentials.client_id.empty()) {
    reply(request.response, 400, "missing client id");
    return nullptr;
  }
  auto found = clients_.find(credentials.client_id);
  auto existing = found == clients_.end() ? nullptr : found->second;
  if (token_required || (credentials.token && !credentials.password)) {
    if (!existing || !existing->open() || !credentials.token || existing->token().empty() ||
        existing->token() != *credentials.token) {
      context_->stats->auth_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("coap request from {} for client '{}': no connection with that token",
                   request.peer, credentials.client_id);
      reply(request.response, 401, "bad token");
      return nullptr;
    }
    existing->touch();
    return existing;
  }
  if (existing && existing->open() &&
      existing->same_credentials(credentials.username, credentials.password)) {
    existing->touch();
    return existing;
  }
  return connect(request, credentials);
}

void CoapServer::topic_request(Request& request, const Route& route) {
  const bool ps = route.kind == RouteKind::PsTopic;
  const auto method = request.method;
  if (method == COAP_REQUEST_CODE_DELETE && !ps) {
    reply(request.response, 405, "DELETE is for /ps/{topic} and /mqtt/connection");
    return;
  }
  auto client =
      client_for(request, credentials(request.query), context_->settings.connection_required);
  if (!client) return;
  switch (method) {
    case COAP_REQUEST_CODE_PUT:
    case COAP_REQUEST_CODE_POST:
      publish(request, *client, route.topic, body(request.pdu), request.query);
      return;
    case COAP_REQUEST_CODE_DELETE:
      // /ps DELETE removes the topic's retained value: an empty retained message (MQTT 3.3.1.3).
      publish(request, *client, route.topic, {}, Query{{"retain", "1"}});
      if (coap_pdu_get_code(request.response) == COAP_RESPONSE_CODE(204)) {
        reply(request.response, 202);
      }
      return;
    case COAP_REQUEST_CODE_GET: {
      const auto observe_option = observe_value(request.pdu);
      if (observe_option == kObserveRegister) {
        observe(request, *client, route.topic);
      } else if (observe_option == kObserveDeregister) {
        client->cancel(route.topic);
        reply(request.response, 205);
      } else if (ps) {
        read_retained(request, *client, route.topic);
      } else {
        reply(request.response, 205);  // a plain GET on /mqtt: the keepalive
      }
      return;
    }
    default:
      reply(request.response, 405, "method not allowed");
      return;
  }
}

void CoapServer::publish(Request& request, CoapClient& client, const std::string& topic,
                         std::string payload, const Query& parameters) {
  auto qos = context_->settings.publish_qos.resolve(request.confirmable);
  bool retain = false;
  mqtt::Properties properties;
  if (const auto* text = parameter(parameters, "qos")) {
    auto value = parse_qos(*text);
    if (!value) return reply(request.response, 400, "bad qos");
    qos = *value;
  }
  if (const auto* text = parameter(parameters, "retain")) {
    auto value = parse_flag(*text);
    if (!value) return reply(request.response, 400, "bad retain");
    retain = *value;
  }
  if (const auto* text = parameter(parameters, "expiry")) {
    try {
      std::size_t used = 0;
      const auto seconds = std::stoul(*text, &used);
      if (used != text->size() || seconds > 0xFFFFFFFFul) throw std::out_of_range("expiry");
      properties.message_expiry_interval = static_cast<std::uint32_t>(seconds);
    } catch (const std::logic_error&) {
      return reply(request.response, 400, "bad expiry");
    }
  }
  const auto& limits = context_->broker.settings().zone(context_->settings.zone).mqtt;
  if (!router::is_valid_topic_name(topic, limits.max_topic_levels)) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    return reply(request.response, 400, "bad topic");
  }
  auto& broker_client = client.broker_client();
  if (!broker_client.publish(topic, std::move(payload), qos, retain, properties)) {
    reply(request.response, 403, "not authorized");
    if (context_->broker.deny_disconnects(broker_client.info())) {
      client.close(broker::CloseKind::Abnormal,
                   "publish not authorized (acl_deny_action = disconnect)");
    }
    return;
  }
  reply(request.response, 204);
}

void CoapServer::read_retained(Request& request, CoapClient& client, const std::string& topic) {
  const auto& limits = context_->broker.settings().zone(context_->settings.zone).mqtt;
  if (!router::is_valid_topic_name(topic, limits.max_topic_levels)) {
    return reply(request.response, 400, "bad topic");
  }
  const auto message = client.broker_client().read_retained(topic);
  if (!message) return reply(request.response, 403, "not authorized");
  if (!*message) return reply(request.response, 404, "no retained message");
  reply(request.response, 205);
  // libcoap sends it in Block2 blocks when it does not fit one, reading the payload until the
  // last block went out: the message stays alive until it calls back (also on failure).
  auto held = std::make_unique<broker::MessagePtr>(std::move(*message));
  const auto& payload = (**held).payload;
  const auto* data = reinterpret_cast<const std::uint8_t*>(payload.data());
  const auto size = payload.size();
  coap_add_data_large_response(
      request.resource, request.session, request.pdu, request.response, request.query_string,
      COAP_MEDIATYPE_TEXT_PLAIN, -1, 0, size, data,
      [](coap_session_t*, void* app_ptr) {
        std::unique_ptr<broker::MessagePtr>(static_cast<broker::MessagePtr*>(app_ptr));
      },
      held.release());
}

void CoapServer::observe(Request& request, CoapClient& client, const std::string& filter) {
  auto qos = context_->settings.subscribe_qos.resolve(request.confirmable);
  if (const auto* text = parameter(request.query, "qos")) {
    auto value = parse_qos(*text);
    if (!value) return reply(request.response, 400, "bad qos");
    qos = *value;
  }
  const auto& limits = context_->broker.settings().zone(context_->settings.zone).mqtt;
  if (!router::is_valid_topic_filter(filter, limits.max_topic_levels)) {
    return reply(request.response, 400, "bad topic filter");
  }
  const auto token = view(coap_pdu_get_token(request.pdu));
  const auto granted = client.observe(filter, qos, request.session, std::string(token));
  if (granted >= 0x80) {
    return reply(request.response, subscribe_failure(granted), "subscribe refused");
  }
  // The Observe option in the 2.05 tells the device its registration holds (RFC 7641 §3.2).
  add_uint_option(request.response, COAP_OPTION_OBSERVE, client.next_sequence());
  reply(request.response, 205);
}

void CoapServer::seed_publish(Request& request) {
  const auto method = request.method;
  if (method == COAP_REQUEST_CODE_GET) {
    // /mqtt alone: a keepalive for the client in the query, if it is known.
    if (auto id = credentials(request.query).client_id; !id.empty()) {
      if (auto found = clients_.find(id); found != clients_.end()) found->second->touch();
    }
    return reply(request.response, 205);
  }
  // The seed's `coap-client -m put -e "qos=0&retain=0&message=payload&topic=hello"
  // coap://localhost/mqtt`: everything in a form-encoded body.
  auto form = parse_form(body(request.pdu));
  if (!form) return reply(request.response, 400, "bad form body");
  Query merged = *form;
  for (const auto& [key, value] : request.query) merged.insert_or_assign(key, value);
  const auto* topic = parameter(merged, "topic");
  if (!topic) return reply(request.response, 400, "missing topic");
  auto who = credentials(merged);
  if (who.client_id.empty()) {
    // The seed's example names no client: it publishes as a client named after its address.
    who.client_id = "coap-" + request.peer;
  }
  auto client = client_for(request, who, context_->settings.connection_required);
  if (!client) return;
  const auto* message = parameter(merged, "message");
  publish(request, *client, *topic, message ? *message : std::string(), merged);
}

void CoapServer::connection_request(Request& request) {
  Credentials who = credentials(request.query);
  if (who.client_id.empty()) return reply(request.response, 400, "missing clientid");
  if (request.method == COAP_REQUEST_CODE_POST) {
    auto client = connect(request, who);
    if (!client) return;
    const auto& token = client->issue_token();
    reply(request.response, 201);
    coap_add_data(request.response, token.size(),
                  reinterpret_cast<const std::uint8_t*>(token.data()));
    return;
  }
  if (!who.token) return reply(request.response, 400, "missing token");
  auto client = client_for(request, who, true);
  if (!client) return;
  if (request.method == COAP_REQUEST_CODE_PUT) return reply(request.response, 204);
  client->close(broker::CloseKind::Normal, "connection deleted by the device");
  reply(request.response, 202);
}

}  // namespace gatemq::gateway::coap
