// A connection after its PROXY protocol header: reports the client address the proxy named and
// hands out the bytes read past the header before reading the socket again.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/net/transport.hpp"

namespace gatemq::net {

class ProxiedTransport final : public Transport {
 public:
  // `peer` nullopt keeps the inner transport's address (PROXY LOCAL / UNKNOWN).
  ProxiedTransport(std::unique_ptr<Transport> inner, std::string unread,
                   std::optional<std::pair<std::string, std::uint16_t>> peer);

  asio::any_io_executor executor() override { return inner_->executor(); }
  void async_read_some(asio::mutable_buffer buffer, Handler handler) override;
  void async_write(asio::const_buffer buffer, Handler handler) override {
    inner_->async_write(buffer, std::move(handler));
  }
  void close() override { inner_->close(); }
  std::string peer_host() const override { return peer_ ? peer_->first : inner_->peer_host(); }
  std::uint16_t peer_port() const override { return peer_ ? peer_->second : inner_->peer_port(); }
  const TlsPeer* tls_peer() const override { return inner_->tls_peer(); }

 private:
  std::unique_ptr<Transport> inner_;
  std::string unread_;
  std::size_t unread_offset_ = 0;
  std::optional<std::pair<std::string, std::uint16_t>> peer_;
};

}  // namespace gatemq::net
