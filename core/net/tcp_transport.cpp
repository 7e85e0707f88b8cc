#include "core/net/tcp_transport.hpp"

#include <sys/socket.h>

#include <asio/write.hpp>
#include <cerrno>

namespace gatemq::net {

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<void> lease)
    : socket_(std::move(socket)), lease_(std::move(lease)) {
  std::error_code error;
  const auto endpoint = socket_.remote_endpoint(error);
  if (!error) {
    peer_host_ = endpoint.address().to_string();
    peer_port_ = endpoint.port();
  }
}

void TcpTransport::async_read_some(asio::mutable_buffer buffer, Handler handler) {
  socket_.async_read_some(buffer, std::move(handler));
}

void TcpTransport::async_write(asio::const_buffer buffer, Handler handler) {
  asio::async_write(socket_, buffer, std::move(handler));
}

void TcpTransport::async_wait_readable(std::function<void(const std::error_code&)> handler) {
  socket_.async_wait(asio::ip::tcp::socket::wait_read, std::move(handler));
}

std::size_t TcpTransport::read_now(asio::mutable_buffer buffer, std::error_code& error) {
  // recv with MSG_DONTWAIT rather than switching the socket to non-blocking mode first: that
  // cost an ioctl per connection. The results match socket_.read_some in non-blocking mode.
  for (;;) {
    const auto received =
        ::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (received > 0) {
      error.clear();
      return static_cast<std::size_t>(received);
    }
    if (received == 0) {
      error = buffer.size() == 0 ? std::error_code() : std::error_code(asio::error::eof);
      return 0;
    }
    if (errno == EINTR) continue;
    error = std::error_code(errno, asio::error::get_system_category());
    return 0;
  }
}

void TcpTransport::close() {
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace gatemq::net
