#include "core/net/proxied_transport.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <cstring>

namespace gatemq::net {

ProxiedTransport::ProxiedTransport(std::unique_ptr<Transport> inner, std::string unread,
                                   std::optional<std::pair<std::string, std::uint16_t>> peer)
    : inner_(std::move(inner)), unread_(std::move(unread)), peer_(std::move(peer)) {}

void ProxiedTransport::async_read_some(asio::mutable_buffer buffer, Handler handler) {
  if (unread_offset_ == unread_.size()) return inner_->async_read_some(buffer, std::move(handler));
  const std::size_t count = std::min(buffer.size(), unread_.size() - unread_offset_);
  std::memcpy(buffer.data(), unread_.data() + unread_offset_, count);
  unread_offset_ += count;
  if (unread_offset_ == unread_.size()) {
    std::string().swap(unread_);  // frees the memory; the socket serves the rest
    unread_offset_ = 0;
  }
  asio::post(inner_->executor(), [handler = std::move(handler), count] { handler({}, count); });
}

}  // namespace gatemq::net
