// What the gateway does with libcoap's plain UDP endpoint sockets besides letting libcoap read
// them. libcoap 4.3.1 does not hand out these sockets, so they are found by their bound address.
//
// - RFC 7252 §3: a message with an unknown version MUST be silently ignored, but libcoap answers
//   every datagram it cannot parse with a RST (message id 0 when the header is unreadable). A
//   classic BPF filter makes the kernel drop datagrams whose first byte is not version 1 (and
//   empty ones) before libcoap reads them.
// - libcoap tells the application nothing when an empty ACK arrives, yet the gateway must know
//   when a CON notification is acknowledged to send the next one from its queue. The gateway
//   peeks (MSG_PEEK) at the datagram libcoap is about to read: one coap_io_process() reads at
//   most one datagram per socket, so peeking before each call sees every datagram.
//
// DTLS endpoints carry records, not CoAP headers: neither applies there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gatemq::gateway::coap {

// This process's UDP socket bound to `host`:`port` (as libcoap bound it), if found. Not owned.
std::optional<int> find_udp_socket(const std::string& host, std::uint16_t port);

// Attaches the version filter; false when the kernel refused it.
bool drop_unknown_versions(int fd);

// An empty ACK or RST waiting at the head of the socket, not consumed.
struct EmptyReply {
  std::string peer;  // "127.0.0.1:5000", as peer_of() spells it
  std::uint16_t message_id = 0;
  bool reset = false;
};
std::optional<EmptyReply> peek_empty_reply(int fd);

}  // namespace gatemq::gateway::coap
