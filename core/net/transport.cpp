#include "core/net/transport.hpp"

#include <asio/error.hpp>
#include <asio/post.hpp>

namespace gatemq::net {

void Transport::async_wait_readable(std::function<void(const std::error_code&)> handler) {
  asio::post(executor(),
             [handler = std::move(handler)] { handler(asio::error::operation_not_supported); });
}

std::size_t Transport::read_now(asio::mutable_buffer, std::error_code& error) {
  error = asio::error::operation_not_supported;
  return 0;
}

}  // namespace gatemq::net
