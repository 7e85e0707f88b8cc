#include "core/net/stream_writer.hpp"

#include <utility>

namespace gatemq::net {

StreamWriter::StreamWriter(Transport& transport, std::chrono::milliseconds send_timeout,
                           std::function<void(const std::string& why)> on_failure,
                           broker::OutboundMailbox* backlog)
    : transport_(transport),
      send_timeout_(send_timeout),
      on_failure_(std::move(on_failure)),
      timer_(transport.executor()),
      backlog_(backlog) {}

void StreamWriter::carry_backlog(std::size_t bytes) {
  if (!backlog_ || bytes == 0) return;
  if (!pending_.empty()) {
    pending_backlog_ += bytes;  // goes with the next write (some may be on the wire already)
  } else if (in_progress_) {
    writing_backlog_ += bytes;  // everything written since the last call is on the wire
  } else {
    backlog_->release(bytes);  // nothing came of it (refused, dropped)
  }
}

void StreamWriter::write(std::string_view bytes, const std::shared_ptr<void>& owner) {
  pending_.append(bytes);
  flush(owner);
}

void StreamWriter::close_when_drained(const std::shared_ptr<void>& owner) {
  close_when_drained_ = true;
  if (!in_progress_ && pending_.empty()) {
    transport_.close();
    return;
  }
  flush(owner);
}

void StreamWriter::flush(const std::shared_ptr<void>& owner) {
  if (in_progress_ || pending_.empty()) return;
  writing_.swap(pending_);
  pending_.clear();
  writing_backlog_ += std::exchange(pending_backlog_, 0);
  in_progress_ = true;
  transport_.async_write(asio::buffer(writing_),
                         [this, owner](const std::error_code& error, std::size_t) {
                           in_progress_ = false;
                           writing_.clear();
                           timer_.cancel();
                           if (backlog_) backlog_->release(std::exchange(writing_backlog_, 0));
                           if (error) {
                             on_failure_("write error: " + error.message());
                             transport_.close();
                           } else if (!pending_.empty()) {
                             flush(owner);
                           } else if (close_when_drained_) {
                             transport_.close();
                           }
                         });
  if (send_timeout_.count() <= 0) return;
  timer_.expires_after(send_timeout_);
  timer_.async_wait([this, owner](const std::error_code& error) {
    if (error || !in_progress_) return;
    on_failure_("send timeout: the peer stopped reading");
    transport_.close();
  });
}

}  // namespace gatemq::net
