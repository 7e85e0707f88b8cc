// The Registration interface (LwM2M TS §5.3) of the gateway's libcoap context: POST /rd
// (register), POST /rd/{id} (update), DELETE /rd/{id} (de-register), and what a registration
// ending leaves behind. Requests arrive whole (server_blockwise.cpp reassembles Block1).
#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "gateways/lwm2m/pdu.hpp"
#include "gateways/lwm2m/registration.hpp"
#include "gateways/lwm2m/server.hpp"

namespace gatemq::gateway::lwm2m {

using nlohmann::json;

void Lwm2mServer::handle(coap_session_t* session, const coap_pdu_t* pdu, coap_pdu_t* response) {
  const auto [host, port] = coap::peer_of(session);
  const auto peer = host + ":" + std::to_string(port);
  try {
    if (coap::options(pdu, COAP_OPTION_BLOCK1).empty()) {
      return route(session, pdu, coap::body(pdu), response, peer);
    }
    // Block-wise (RFC 7959 §2.5): the complete body is handled as if it came in one piece,
    // and a successful answer carries the last Block1 (M=0).
    auto upload = receive_upload(pdu, response, peer);
    if (!upload) return;
    route(session, pdu, upload->body, response, peer);
    if (COAP_RESPONSE_CLASS(coap_pdu_get_code(response)) == 2) {
      add_block_option(response, COAP_OPTION_BLOCK1, upload->last);
    }
  } catch (const std::exception& e) {
    // No exception may cross libcoap, and no request may take the gateway down.
    spdlog::error("lwm2m request from {} failed: {}", peer, e.what());
    reply(response, 0xA0, "internal error");
  }
}

void Lwm2mServer::route(coap_session_t* session, const coap_pdu_t* pdu, std::string_view body,
                        coap_pdu_t* response, const std::string& peer) {
  const auto path = coap::options(pdu, COAP_OPTION_URI_PATH);
  const auto method = coap_pdu_get_code(pdu);
  if (path.size() == 1 && path[0] == "rd") {
    if (method != COAP_REQUEST_CODE_POST) return reply(response, kMethodNotAllowed);
    return register_endpoint(session, pdu, body, response, peer);
  }
  if (path.size() == 2 && path[0] == "rd") {
    auto endpoint = find(path[1]);
    if (!endpoint) {
      spdlog::debug("lwm2m gateway: request from {} for an unknown registration", peer);
      return reply(response, kNotFound, "unknown registration");
    }
    if (!coap::same_protection(endpoint->session(), session)) {
      spdlog::warn(
          "{}: request from {} refused: the registration was made over DTLS{}",
          endpoint->log_name(), peer,
          coap_session_get_proto(session) == COAP_PROTO_DTLS ? " with another identity" : "");
      return reply(response, kForbidden, "registered over dtls");
    }
    if (method == COAP_REQUEST_CODE_POST) return update(*endpoint, session, pdu, body, response);
    if (method == COAP_REQUEST_CODE_DELETE) return deregister(*endpoint, response);
    return reply(response, kMethodNotAllowed);
  }
  reply(response, kNotFound);
}

void Lwm2mServer::register_endpoint(coap_session_t* session, const coap_pdu_t* pdu,
                                    std::string_view body, coap_pdu_t* response,
                                    const std::string& peer) {
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
  if (const auto format = content_format_of(pdu);
      format && *format != content_format::kLinkFormat) {
    return refuse(kUnsupportedFormat, "object links must be link format");
  }
  auto links = parse_object_links(body);
  if (!links) return refuse(kBadRequest, links.error());

  const auto& name = *query->endpoint;
  if (settings.dtls && settings.dtls->identity_is_endpoint &&
      coap_session_get_proto(session) == COAP_PROTO_DTLS) {
    // Leshan's rule, on request: a PSK identity speaks for its own endpoint name only.
    const auto* identity = coap_session_get_psk_identity(session);
    if (identity && coap::view(*identity) != name) {
      return refuse(kForbidden, "endpoint '" + name + "' is not the DTLS-PSK identity '" +
                                    std::string(coap::view(*identity)) + "'");
    }
  }
  if (auto old = by_endpoint_.find(name); old != by_endpoint_.end()) {
    // A device registering again (after a reboot) replaces its registration.
    if (auto previous = find(old->second)) {
      if (!coap::same_protection(previous->session(), session)) {
        return refuse(kForbidden, "'" + name + "' is registered over dtls");
      }
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
                                 *context_->registry->get(),
                                 settings.format_for(endpoint.registration().version));
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
                         std::string_view body, coap_pdu_t* response) {
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
  const auto payload = body;
  std::optional<ObjectLinks> links;
  if (!payload.empty()) {
    if (const auto format = content_format_of(pdu);
        format && *format != content_format::kLinkFormat) {
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

}  // namespace gatemq::gateway::lwm2m
