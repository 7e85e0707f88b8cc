// The output side of a stream connection: bytes queue while one write is on the wire, a write
// that cannot progress for `send_timeout` means the peer stopped reading, and a connection can
// close once what it queued (an error frame, a receipt) has gone out. One per connection, used
// on the connection's executor only.
#pragma once

#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/broker/outbound_mailbox.hpp"
#include "core/net/transport.hpp"

namespace gatemq::net {

class StreamWriter {
 public:
  // `on_failure` runs on a write error or a send timeout, before the transport is closed.
  // `backlog`, when given, is the connection's mailbox: see carry_backlog().
  StreamWriter(Transport& transport, std::chrono::milliseconds send_timeout,
               std::function<void(const std::string& why)> on_failure,
               broker::OutboundMailbox* backlog = nullptr);

  // `owner` (the connection) is kept alive by the pending write and timer.
  void write(std::string_view bytes, const std::shared_ptr<void>& owner);
  // Closes the transport as soon as everything queued is written (at once if nothing is).
  void close_when_drained(const std::shared_ptr<void>& owner);
  bool closing() const { return close_when_drained_; }
  // `bytes` of the mailbox's backlog (OutboundMailbox::Batch) became what was written since the
  // last call: they are released to the mailbox once those writes are on the wire, so a peer
  // that reads slowly keeps counting as behind (and its QoS 0 output stays bounded).
  void carry_backlog(std::size_t bytes);

 private:
  void flush(const std::shared_ptr<void>& owner);

  Transport& transport_;
  std::chrono::milliseconds send_timeout_;
  std::function<void(const std::string&)> on_failure_;
  asio::steady_timer timer_;
  broker::OutboundMailbox* backlog_;
  std::size_t pending_backlog_ = 0;  // carried by pending_
  std::size_t writing_backlog_ = 0;  // carried by writing_
  std::string pending_;
  std::string writing_;
  bool in_progress_ = false;
  bool close_when_drained_ = false;
};

}  // namespace gatemq::net
