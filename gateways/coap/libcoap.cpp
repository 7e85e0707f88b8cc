#include "gateways/coap/libcoap.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <stdexcept>

namespace gatemq::gateway::coap {

namespace {

void log_from_libcoap(coap_log_t level, const char* message) {
  std::string_view text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (level <= LOG_ERR) {
    spdlog::error("libcoap: {}", text);
  } else if (level <= LOG_WARNING) {
    spdlog::warn("libcoap: {}", text);
  } else {
    spdlog::debug("libcoap: {}", text);
  }
}

}  // namespace

void start_libcoap() {
  static std::once_flag started;
  std::call_once(started, [] {
    coap_startup();
    coap_set_log_handler(log_from_libcoap);
    coap_set_log_level(LOG_WARNING);
    // The TLS library's messages have their own level, off by default: without it a failed
    // DTLS handshake leaves no trace. With it, fatal alerts and handshake errors are logged
    // with the session ("... <-> 127.0.0.1:5684 DTLS: SSL3 alert write:fatal:handshake
    // failure"); close_notify and the handshake steps stay below warnings.
    coap_dtls_set_log_level(LOG_WARNING);
  });
}

coap_address_t make_address(std::string_view who, const std::string& host, std::uint16_t port) {
  coap_address_t address;
  coap_address_init(&address);
  if (inet_pton(AF_INET, host.c_str(), &address.addr.sin.sin_addr) == 1) {
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(port);
    address.size = sizeof(address.addr.sin);
  } else if (inet_pton(AF_INET6, host.c_str(), &address.addr.sin6.sin6_addr) == 1) {
    address.addr.sin6.sin6_family = AF_INET6;
    address.addr.sin6.sin6_port = htons(port);
    address.size = sizeof(address.addr.sin6);
  } else {
    throw std::runtime_error(std::string(who) + ": bad bind address '" + host + "'");
  }
  return address;
}

std::vector<std::string> options(const coap_pdu_t* pdu, coap_option_num_t number) {
  std::vector<std::string> values;
  coap_opt_filter_t filter;
  coap_option_filter_clear(&filter);
  coap_option_filter_set(&filter, number);
  coap_opt_iterator_t iterator;
  if (!coap_option_iterator_init(pdu, &iterator, &filter)) return values;
  while (const coap_opt_t* option = coap_option_next(&iterator)) {
    values.emplace_back(reinterpret_cast<const char*>(coap_opt_value(option)),
                        coap_opt_length(option));
  }
  return values;
}

std::optional<std::uint32_t> observe_value(const coap_pdu_t* pdu) {
  coap_opt_iterator_t iterator;
  const coap_opt_t* option = coap_check_option(pdu, COAP_OPTION_OBSERVE, &iterator);
  if (!option) return std::nullopt;
  return coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
}

std::string body(const coap_pdu_t* pdu) {
  std::size_t length = 0;
  std::size_t offset = 0;
  std::size_t total = 0;
  const std::uint8_t* data = nullptr;
  if (!coap_get_data_large(pdu, &length, &data, &offset, &total)) return {};
  return std::string(reinterpret_cast<const char*>(data), length);
}

void add_uint_option(coap_pdu_t* pdu, coap_option_num_t number, std::uint32_t value) {
  std::uint8_t buffer[4];
  coap_add_option(pdu, number, coap_encode_var_safe(buffer, sizeof buffer, value), buffer);
}

std::pair<std::string, std::uint16_t> peer_of(const coap_session_t* session) {
  const coap_address_t* address = coap_session_get_addr_remote(session);
  if (!address) return {"", 0};
  char text[INET6_ADDRSTRLEN] = {};
  switch (address->addr.sa.sa_family) {
    case AF_INET:
      inet_ntop(AF_INET, &address->addr.sin.sin_addr, text, sizeof text);
      return {text, ntohs(address->addr.sin.sin_port)};
    case AF_INET6:
      inet_ntop(AF_INET6, &address->addr.sin6.sin6_addr, text, sizeof text);
      return {text, ntohs(address->addr.sin6.sin6_port)};
    default:
      return {"", 0};
  }
}

}  // namespace gatemq::gateway::coap
