#include "core/net/stream_reader.hpp"

#include <algorithm>
#include <asio/error.hpp>
#include <utility>

namespace gatemq::net {

void StreamReader::read(Handler handler) {
  if (transport_.can_wait_readable()) {
    transport_.async_wait_readable(
        [this, handler = std::move(handler)](const std::error_code& error) mutable {
          if (error) {
            handler(error, {});
            return;
          }
          // One scratch buffer per I/O thread: handlers of one thread never run at the same time.
          thread_local std::vector<char> scratch(kMaxChunk);
          std::error_code read_error;
          const auto bytes = transport_.read_now(asio::buffer(scratch), read_error);
          if (read_error == asio::error::would_block || read_error == asio::error::try_again) {
            read(std::move(handler));  // woken for nothing: wait again
            return;
          }
          handler(read_error, std::string_view(scratch.data(), bytes));
        });
    return;
  }
  // Resized only here, between reads, never while a read into the buffer is pending.
  if (buffer_.empty()) {
    buffer_.resize(kChunk);
  } else if (buffer_full_ && buffer_.size() < kMaxChunk) {
    buffer_.resize(std::min(kMaxChunk, buffer_.size() * 2));
  }
  buffer_full_ = false;
  transport_.async_read_some(
      asio::buffer(buffer_),
      [this, handler = std::move(handler)](const std::error_code& error, std::size_t bytes) {
        buffer_full_ = !error && bytes == buffer_.size();
        handler(error, std::string_view(buffer_.data(), bytes));
      });
}

}  // namespace gatemq::net
