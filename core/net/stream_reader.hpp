// Reading a stream connection without a read buffer of its own while it is idle: over plain
// TCP it waits for readability, then reads into a per-thread scratch buffer the handler only
// borrows; over layers that buffer themselves (TLS, WebSocket) it keeps a buffer that starts at
// `chunk` and doubles, up to `max_chunk`, for bulk senders. The channel keeps only the partial
// frame it could not parse yet.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/net/transport.hpp"

namespace gatemq::net {

class StreamReader {
 public:
  // The bytes read (valid only during the call) or the error, asio::error::eof at the end.
  using Handler = std::function<void(const std::error_code&, std::string_view)>;

  // Most connections are idle or chatty with small packets: reads start small.
  static constexpr std::size_t kChunk = 4 * 1024;
  static constexpr std::size_t kMaxChunk = 64 * 1024;

  explicit StreamReader(Transport& transport) : transport_(transport) {}
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Starts one read; the handler runs once, on the transport's executor. The handler must keep
  // the reader's owner alive (capture its shared_ptr): the reader is used when it runs.
  void read(Handler handler);

 private:
  Transport& transport_;
  std::vector<char> buffer_;  // only for transports that cannot wait for readability
  bool buffer_full_ = false;  // the last read filled buffer_: a bulk sender
};

}  // namespace gatemq::net
