// TLS over another Transport (TCP, or TCP after a PROXY header), driven by mbedTLS through
// memory buffers: ciphertext is read and written with the inner transport's async calls, so no
// TLS call ever blocks an I/O thread.
#pragma once

#include <functional>
#include <memory>
#include <system_error>

#include "core/net/tls_context.hpp"
#include "core/net/transport.hpp"

namespace gatemq::net {

// Errors from mbedTLS ("tls" category; value = -mbedTLS code, message from mbedTLS).
const std::error_category& tls_category();

class TlsTransport final : public Transport {
 public:
  TlsTransport(std::shared_ptr<const TlsContext> context, std::unique_ptr<Transport> inner);
  ~TlsTransport() override;

  // Runs the server handshake, then checks the client certificate as the listener asks. The
  // handler runs on the transport's executor.
  void async_handshake(std::function<void(const std::error_code&)> handler);

  asio::any_io_executor executor() override;
  void async_read_some(asio::mutable_buffer buffer, Handler handler) override;
  void async_write(asio::const_buffer buffer, Handler handler) override;
  // Sends close_notify when nothing else is being written, then closes the inner transport.
  void close() override;
  std::string peer_host() const override;
  std::uint16_t peer_port() const override;
  const TlsPeer* tls_peer() const override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gatemq::net
