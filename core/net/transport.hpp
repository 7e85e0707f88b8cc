// A byte stream under a protocol channel. TCP now; TLS and WebSocket adapters implement the same
// interface so every stream protocol (MQTT, STOMP, the TCP gateway) gets them for free.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

namespace gatemq::net {

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
};

}  // namespace gatemq::net
