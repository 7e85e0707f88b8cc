// A byte stream under a protocol channel: TCP, or TLS / WebSocket / PROXY-protocol layers that
// wrap another Transport, so every stream protocol (MQTT, STOMP, the TCP gateway) gets them all.
// Calls come from one thread at a time (the connection's I/O worker); at most one read and one
// write are in flight.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

namespace gatemq::net {

// How long a layer's goodbye (TLS close_notify, WebSocket close frame) may take to write before
// the socket is closed anyway: a peer that stopped reading must not keep a connection alive.
inline constexpr std::chrono::seconds kCloseGrace{2};

// What a TLS handshake learned about the peer (peer_cert_as_username, PSK identity, logs).
struct TlsPeer {
  std::string cert_cn;  // subject CN of a verified client certificate, "" without one
  std::string cert_dn;  // the whole subject, "C=SE, O=gatemq, CN=client1"
  std::string psk_identity;
};

class Transport {
 public:
  using Handler = std::function<void(const std::error_code&, std::size_t)>;
  virtual ~Transport() = default;

  virtual asio::any_io_executor executor() = 0;
  virtual void async_read_some(asio::mutable_buffer buffer, Handler handler) = 0;
  // Writes the whole buffer; the caller keeps it alive until the handler runs.
  virtual void async_write(asio::const_buffer buffer, Handler handler) = 0;
  virtual void close() = 0;
  virtual std::string peer_host() const = 0;
  virtual std::uint16_t peer_port() const = 0;
  // Set once a TLS layer below (or this one) finished its handshake; null over plain TCP.
  virtual const TlsPeer* tls_peer() const { return nullptr; }

  // Readiness-style reading, for transports that can: wait until data (or EOF) is there, then
  // take it with read_now() into a buffer the caller only borrows for the call. An idle
  // connection then holds no read buffer at all. Layers that buffer themselves (TLS,
  // WebSocket) do not offer it and keep using async_read_some.
  virtual bool can_wait_readable() const { return false; }
  virtual void async_wait_readable(std::function<void(const std::error_code&)> handler);
  // Reads what is there without blocking: 0 bytes with asio::error::would_block when nothing.
  virtual std::size_t read_now(asio::mutable_buffer buffer, std::error_code& error);
};

}  // namespace gatemq::net
