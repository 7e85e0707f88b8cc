#include "core/net/tcp_transport.hpp"

#include <asio/write.hpp>

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
  if (!socket_.non_blocking()) socket_.non_blocking(true, error);
  if (error) return 0;
  return socket_.read_some(buffer, error);
}

void TcpTransport::close() {
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace gatemq::net
