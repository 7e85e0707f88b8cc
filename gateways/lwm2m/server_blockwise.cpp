// Block-wise transfers (RFC 7959) of the LwM2M server, by hand since libcoap's block mode is
// off (see Lwm2mServer::open): Block2 answers and notifications from devices are reassembled by
// asking for each next block, Block1 registrations and updates are collected before handling,
// and big command payloads go to the device in Block1 blocks.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "gateways/lwm2m/pdu.hpp"
#include "gateways/lwm2m/server.hpp"

namespace gatemq::gateway::lwm2m {

namespace {

// A device answer (a big object, firmware-like opaque data) the gateway reassembles at most.
constexpr std::size_t kMaxAnswerSize = 1024 * 1024;
constexpr coap_option_num_t kSize1 = 60;

}  // namespace

void Lwm2mServer::receive_block(Endpoint& endpoint, Pending pending, const coap_pdu_t* received,
                                const std::string& token) {
  const auto code = static_cast<std::uint8_t>(coap_pdu_get_code(received));
  const auto fail = [&](std::uint8_t published, const std::string& why) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{}: block-wise answer to '{}' {} dropped: {}", endpoint.log_name(),
                 kind_of(pending.command), pending.command.req_path, why);
    give_up(endpoint, pending, published);
  };
  if (code != kContent) {
    // A device may refuse a later block (an observed value changed, RFC 7959 §2.4): its code.
    return fail(code, "a block was answered " + code_text(code));
  }
  const auto block2 = block_option(received, COAP_OPTION_BLOCK2);
  if (!block2) return fail(kBadGateway, "no valid Block2 option");
  if (!pending.transfer) {
    pending.transfer.emplace(BlockTransfer{Assembly(kMaxAnswerSize), token,
                                           content_format_of(received),
                                           coap::observe_value(received), false});
    const auto& command = pending.command;
    if (command.kind == CommandKind::Observe && pending.transfer->observe) {
      // The device may notify before the rest of its first answer is fetched: the token must
      // be known by then, or the notification's RST would end the observation.
      auto request = command.request;
      request.observe.reset();
      observations_.insert_or_assign(
          token, Observation{pending.registration_id, command.echo, command.req_path,
                             command.request.path, std::move(request)});
    }
  }
  auto& transfer = *pending.transfer;
  const auto expected = transfer.assembly.next_num();
  switch (transfer.assembly.add(*block2, coap::body(received))) {
    case Assembly::Result::More: {
      const Block next{transfer.assembly.next_num(), false, block2->szx};
      return request_block(endpoint, std::move(pending), next);
    }
    case Assembly::Result::Complete: {
      context_->stats->messages_up.fetch_add(1, std::memory_order_relaxed);
      const Answer answer{kContent, transfer.assembly.take(), transfer.content_format,
                          transfer.observe, transfer.first_token};
      if (!transfer.notification) return conclude(endpoint, pending, answer);
      // The observation may have been cancelled meanwhile: then nobody wants the value.
      if (const auto found = observations_.find(transfer.first_token);
          found != observations_.end()) {
        notification(endpoint, found->second, answer);
      }
      return;
    }
    case Assembly::Result::OutOfOrder:
      return fail(kBadGateway,
                  fmt::format("Block2 NUM {} where {} was asked", block2->num, expected));
    case Assembly::Result::Malformed:
      return fail(kBadGateway, fmt::format("block {} of the wrong size", block2->num));
    case Assembly::Result::TooLarge:
      return fail(kTooLarge, fmt::format("answer over {} bytes", kMaxAnswerSize));
  }
}

void Lwm2mServer::request_block(Endpoint& endpoint, Pending pending, std::optional<Block> block2,
                                std::optional<Block> block1) {
  if (!endpoint.session()) return give_up(endpoint, pending, kServiceUnavailable);
  // Later blocks are plain requests: no Observe (RFC 7959 §2.6), a fresh token each.
  auto request = pending.command.request;
  request.observe.reset();
  const auto token = new_token();
  auto pdu = make_request(endpoint, request, token, block2, block1);
  if (!pdu) return give_up(endpoint, pending, kServiceUnavailable);
  spdlog::debug("{}: block {} of {}", endpoint.log_name(), block2 ? block2->num : block1->num,
                pending.command.req_path);
  pending.deadline = command_deadline();
  pending_.insert_or_assign(token, std::move(pending));
  ++endpoint.in_flight;
  if (coap_send(endpoint.session(), pdu.release()) == COAP_INVALID_MID) {
    if (auto failed = pending_.extract(token)) {
      --endpoint.in_flight;
      give_up(endpoint, failed.mapped(), kServiceUnavailable);
    }
  }
}

void Lwm2mServer::send_next_block(Endpoint& endpoint, Pending pending, const coap_pdu_t* received) {
  const auto sent = *pending.sent_block;
  const auto echoed = block_option(received, COAP_OPTION_BLOCK1);
  // 2.31 continues the block just sent; the device may ask for smaller blocks from now on.
  if (!echoed || echoed->num != sent.num || echoed->szx > sent.szx || !sent.more) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{}: '{}' {}: 2.31 Continue without the Block1 of block {}", endpoint.log_name(),
                 kind_of(pending.command), pending.command.req_path, sent.num);
    return give_up(endpoint, pending, kBadGateway);
  }
  const auto taken = sent.offset() + sent.size();
  const Block next{static_cast<std::uint32_t>(taken >> (4 + echoed->szx)),
                   taken + echoed->size() < pending.command.request.payload.size(), echoed->szx};
  pending.sent_block = next;
  request_block(endpoint, std::move(pending), std::nullopt, next);
}

void Lwm2mServer::start_notification_transfer(Endpoint& endpoint, const std::string& token,
                                              const Observation& observation,
                                              const coap_pdu_t* received) {
  // A newer notification replaces the transfer of an older one (RFC 7959 §2.6).
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto& transfer = it->second.transfer;
    if (transfer && transfer->notification && transfer->first_token == token) {
      --endpoint.in_flight;
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  if (endpoint.in_flight >= kMaxInFlight) {
    spdlog::warn("{}: {} requests in flight: block-wise notification of {} dropped",
                 endpoint.log_name(), kMaxInFlight, observation.req_path);
    return;
  }
  Command command;
  command.echo = observation.echo;
  command.req_path = observation.req_path;
  command.kind = CommandKind::Read;
  command.request = observation.request;
  // Like a command's answer, the first block is not in flight: request_block() counts the rest.
  Pending pending{observation.registration_id, std::move(command), command_deadline(),
                  BlockTransfer{Assembly(kMaxAnswerSize), token, content_format_of(received),
                                coap::observe_value(received), true}};
  receive_block(endpoint, std::move(pending), received, token);
}

std::optional<Lwm2mServer::Upload> Lwm2mServer::receive_upload(const coap_pdu_t* pdu,
                                                               coap_pdu_t* response,
                                                               const std::string& peer) {
  const auto refuse = [&](std::uint8_t code, const std::string& why) {
    context_->stats->malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("lwm2m gateway: block-wise request from {} refused: {}", peer, why);
    if (code == kTooLarge) {
      // RFC 7959 §4: Size1 in a 4.13 tells how big a body may be.
      coap::add_uint_option(response, kSize1, static_cast<std::uint32_t>(uploads_.max_body()));
    }
    reply(response, code, why);
    return std::nullopt;
  };
  // Only the registration interface takes bodies: nothing is collected for other paths.
  const auto path = coap::options(pdu, COAP_OPTION_URI_PATH);
  if (path.empty() || path.size() > 2 || path[0] != "rd") {
    reply(response, kNotFound);
    return std::nullopt;
  }
  const auto block = block_option(pdu, COAP_OPTION_BLOCK1);
  if (!block) return refuse(kBadRequest, "bad Block1 option");
  if (const auto size = coap::options(pdu, kSize1); !size.empty()) {
    const auto announced =
        coap_decode_var_bytes(reinterpret_cast<const std::uint8_t*>(size.front().data()),
                              static_cast<unsigned>(std::min<std::size_t>(size.front().size(), 4)));
    if (announced > uploads_.max_body()) return refuse(kTooLarge, "body too large");
  }
  // One upload per peer and request (method, path and query): RFC 7959 §2.5.
  std::string key = peer + ' ' + std::to_string(coap_pdu_get_code(pdu));
  for (const auto& segment : path) key += '/' + segment;
  for (const auto& item : coap::options(pdu, COAP_OPTION_URI_QUERY)) key += '?' + item;
  std::string body;
  switch (uploads_.add(key, *block, coap::body(pdu), std::chrono::steady_clock::now(), body)) {
    case Uploads::Result::Continue:
      coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(kContinue));
      add_block_option(response, COAP_OPTION_BLOCK1, *block);
      return std::nullopt;
    case Uploads::Result::Complete:
      return Upload{*block, std::move(body)};
    case Uploads::Result::Incomplete:
      return refuse(kIncomplete, fmt::format("Block1 NUM {} does not continue a body", block->num));
    case Uploads::Result::TooLarge:
      return refuse(kTooLarge, "body too large");
    case Uploads::Result::Malformed:
      return refuse(kBadRequest, "block of the wrong size");
    case Uploads::Result::Busy:
      spdlog::warn("lwm2m gateway: too many block-wise requests at once: {} refused", peer);
      reply(response, kServiceUnavailable, "too many block-wise requests");
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace gatemq::gateway::lwm2m
