// Owning handles for libcoap objects, so every context, session reference and PDU is released
// exactly once, and the few libcoap calls the gateway repeats.
#pragma once

#include <coap3/coap.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatemq::gateway::coap {

struct ContextDeleter {
  void operator()(coap_context_t* context) const { coap_free_context(context); }
};
using ContextPtr = std::unique_ptr<coap_context_t, ContextDeleter>;

// A counted reference: libcoap keeps a server session (and its retransmission state) alive
// while an observation still needs it.
struct SessionDeleter {
  void operator()(coap_session_t* session) const { coap_session_release(session); }
};
using SessionRef = std::unique_ptr<coap_session_t, SessionDeleter>;
inline SessionRef reference(coap_session_t* session) {
  return SessionRef(coap_session_reference(session));
}

struct PduDeleter {
  void operator()(coap_pdu_t* pdu) const { coap_delete_pdu(pdu); }
};
using PduPtr = std::unique_ptr<coap_pdu_t, PduDeleter>;

struct StringDeleter {
  void operator()(coap_string_t* text) const { coap_delete_string(text); }
};
using StringPtr = std::unique_ptr<coap_string_t, StringDeleter>;

inline std::string_view view(coap_bin_const_t bytes) {
  return {reinterpret_cast<const char*>(bytes.s), bytes.length};
}

// Every option `number` of `pdu`, in order, as raw bytes.
std::vector<std::string> options(const coap_pdu_t* pdu, coap_option_num_t number);
// The Observe option's value, if present.
std::optional<std::uint32_t> observe_value(const coap_pdu_t* pdu);
// The request body, reassembled by libcoap when it came block-wise.
std::string body(const coap_pdu_t* pdu);
// Adds an option whose value is an unsigned integer in its shortest form (RFC 7252 §3.2).
void add_uint_option(coap_pdu_t* pdu, coap_option_num_t number, std::uint32_t value);
// Starts libcoap once per process with its log lines going to spdlog (warnings and worse). Every
// gateway on this stack calls it before making its context.
void start_libcoap();
// A bind address for libcoap; throws std::runtime_error "<who>: bad bind address '<host>'".
coap_address_t make_address(std::string_view who, const std::string& host, std::uint16_t port);
// "127.0.0.1" and the port of a session's peer.
std::pair<std::string, std::uint16_t> peer_of(const coap_session_t* session);

}  // namespace gatemq::gateway::coap
