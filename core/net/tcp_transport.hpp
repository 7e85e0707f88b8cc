// Plain TCP transport.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>

#include "core/net/transport.hpp"

namespace gatemq::net {

class TcpTransport final : public Transport {
 public:
  // `lease` is released with the transport: listeners use it to count their live connections.
  explicit TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<void> lease = {});

  asio::any_io_executor executor() override { return socket_.get_executor(); }
  void async_read_some(asio::mutable_buffer buffer, Handler handler) override;
  void async_write(asio::const_buffer buffer, Handler handler) override;
  void close() override;
  bool can_wait_readable() const override { return true; }
  void async_wait_readable(std::function<void(const std::error_code&)> handler) override;
  std::size_t read_now(asio::mutable_buffer buffer, std::error_code& error) override;
  std::string peer_host() const override { return peer_host_; }
  std::uint16_t peer_port() const override { return peer_port_; }

 private:
  asio::ip::tcp::socket socket_;
  std::string peer_host_;
  std::uint16_t peer_port_ = 0;
  std::shared_ptr<void> lease_;
};

}  // namespace gatemq::net
