// Small PDU helpers the LwM2M server's files share (server.cpp, server_blockwise.cpp).
#pragma once

#include <coap3/coap.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateways/coap/libcoap.hpp"
#include "gateways/lwm2m/blockwise.hpp"
#include "gateways/lwm2m/commands.hpp"

namespace gatemq::gateway::lwm2m {

inline constexpr std::uint8_t kCreated = 0x41, kDeleted = 0x42, kChanged = 0x44, kContent = 0x45;
inline constexpr std::uint8_t kContinue = 0x5F;  // 2.31 (RFC 7959 §2.9.1)
inline constexpr std::uint8_t kForbidden = 0x83, kNotFound = 0x84, kMethodNotAllowed = 0x85;
inline constexpr std::uint8_t kIncomplete = 0x88;  // 4.08 Request Entity Incomplete
inline constexpr std::uint8_t kUnsupportedFormat = 0x8F, kTooLarge = 0x8D;

inline void reply(coap_pdu_t* response, std::uint8_t code, std::string_view diagnostic = {}) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
  if (!diagnostic.empty()) {
    coap_add_data(response, diagnostic.size(),
                  reinterpret_cast<const std::uint8_t*>(diagnostic.data()));
  }
}

inline std::optional<std::uint16_t> content_format_of(const coap_pdu_t* pdu) {
  const auto values = coap::options(pdu, COAP_OPTION_CONTENT_FORMAT);
  if (values.empty()) return std::nullopt;
  return static_cast<std::uint16_t>(
      coap_decode_var_bytes(reinterpret_cast<const std::uint8_t*>(values.front().data()),
                            static_cast<unsigned>(values.front().size())));
}

// The Block1 / Block2 option of `pdu`; nullopt when absent, repeated or malformed.
inline std::optional<Block> block_option(const coap_pdu_t* pdu, coap_option_num_t number) {
  const auto values = coap::options(pdu, number);
  if (values.size() != 1) return std::nullopt;
  return parse_block(values.front());
}

inline void add_block_option(coap_pdu_t* pdu, coap_option_num_t number, const Block& block) {
  const auto value = encode_block(block);
  coap_add_option(pdu, number, value.size(), reinterpret_cast<const std::uint8_t*>(value.data()));
}

// The command's msgType for logs (whatever JSON type a hostile client gave it).
inline std::string kind_of(const Command& command) {
  const auto found = command.echo.find("msgType");
  return found != command.echo.end() && found->is_string() ? found->get<std::string>() : "?";
}

}  // namespace gatemq::gateway::lwm2m
