// What a listener hands accepted sockets to: one protocol connection (MQTT, a gateway's, ...).
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/net/transport.hpp"

namespace gatemq::net {

class Connection {
 public:
  virtual ~Connection() = default;
  // Called once, on the connection's own executor.
  virtual void start() = 0;
  virtual asio::any_io_executor executor() = 0;
  // Closes from any thread (shutdown, takeover); MQTT 5 clients learn `reason_code`.
  virtual void close_by_broker(std::uint8_t reason_code) = 0;
};

using ConnectionFactory =
    std::function<std::shared_ptr<Connection>(std::unique_ptr<Transport> transport)>;

}  // namespace gatemq::net
