// The TCP plumbing of the benchmark clients. The hot paths reuse per-client buffers and the
// worker's read buffer, so a message costs no allocation here.
#include "bench/tcp_connection.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <asio/post.hpp>
#include <asio/write.hpp>

#include "bench/worker.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace gatemq::bench {

namespace {

constexpr std::size_t kFlatOutBatch = 16 * 1024;   // bytes encoded per write when flat out
constexpr std::size_t kMaxBuffered = 1024 * 1024;  // a rate-limited publisher stops queueing
constexpr int kReadsPerWake = 4;                   // then yield to the other connections

}  // namespace

TcpConnection::TcpConnection(Worker& worker, std::uint32_t index)
    : Connection(worker, index), socket_(worker.context()) {}

void TcpConnection::start() {
  begin_handshake(State::Connecting);
  asio::error_code ec;
  socket_.open(worker_.target().protocol(), ec);
  if (const auto* source = worker_.source_for(index_); source && !ec) {
    // Without this, bind() reserves a port for the address alone and 28k binds exhaust the
    // range; with it the port is picked at connect() time per 4-tuple.
    const int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    socket_.bind(asio::ip::tcp::endpoint(*source, 0), ec);
  }
  if (ec) {
    // Reported from the event loop, not from inside the worker's launch loop.
    asio::post(worker_.context(), [this] { close(Why::HandshakeFailed); });
    return;
  }
  socket_.async_connect(worker_.target(), [this](const asio::error_code& error) {
    if (state_ == State::Closed) return;
    if (error) {
      close(Why::HandshakeFailed);
      return;
    }
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    socket_.non_blocking(true, ignored);
    on_connected();
    flush();
    arm_read();
  });
}

void TcpConnection::arm_read() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [this](const asio::error_code& error) {
    if (state_ == State::Closed) return;
    if (error) {
      close(Why::Lost);
      return;
    }
    on_readable();
  });
}

void TcpConnection::on_readable() {
  // Asio registers sockets edge-triggered and a wait starts no speculative read, so the wait may
  // be re-armed only once the socket is drained: after EAGAIN or a short read (any byte arriving
  // later raises a new edge). A socket still full after kReadsPerWake reads is resumed through
  // post() instead, which lets the thread's other connections run in between.
  auto scratch = worker_.scratch();
  bool drained = false;
  for (int reads = 0; reads < kReadsPerWake && !drained; ++reads) {
    asio::error_code ec;
    const auto n = socket_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
    if (ec == asio::error::would_block) {
      drained = true;
      break;
    }
    if (ec) {
      close(Why::Lost);
      return;
    }
    consume(std::string_view(scratch.data(), n));
    if (state_ == State::Closed) return;
    drained = n < scratch.size();
  }
  flush();  // every reply this batch produced, in one write
  if (drained) {
    arm_read();
  } else {
    asio::post(worker_.context(), [this] {
      if (state_ != State::Closed) on_readable();
    });
  }
}

void TcpConnection::consume(std::string_view data) {
  // Complete frames are handled straight from the read buffer; only a partial tail is copied.
  std::string_view input = data;
  if (!in_.empty()) {
    in_.append(data);
    input = in_;
  }
  const auto used = consume_frames(input);
  if (!used) return;
  if (in_.empty()) {
    in_.assign(input.substr(*used));
  } else {
    in_.erase(0, *used);
  }
}

void TcpConnection::start_publishing() {
  const auto& options = worker_.options();
  if (!is_publisher(options.mode) || state_ != State::Ready || stopping_) return;
  publishing_ = true;
  if (options.rate > 0) {
    start_pacer();
    return;
  }
  fill();
  flush();
}

std::uint64_t TcpConnection::publish_due(std::uint64_t due) {
  const auto& options = worker_.options();
  std::uint64_t sent = 0;
  while (sent < due && can_publish() && out_.size() < kMaxBuffered) {
    publish_one();
    ++sent;
  }
  flush();
  if ((options.limit && published_ >= options.limit) || stopping_) pacer_->stop();
  return sent;
}

bool TcpConnection::can_publish() const {
  const auto& options = worker_.options();
  if (!publishing_ || stopping_ || state_ != State::Ready) return false;
  if (options.limit && published_ >= options.limit) return false;
  return window_open();
}

void TcpConnection::fill() {
  while (out_.size() < kFlatOutBatch && can_publish()) publish_one();
}

void TcpConnection::flush() {
  if (writing_now_ || out_.empty() || state_ == State::Closed) return;
  std::swap(out_, writing_);
  writing_now_ = true;
  last_sent_ = now_ns();
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](const asio::error_code& error, std::size_t) {
                      writing_now_ = false;
                      writing_.clear();
                      if (state_ == State::Closed) return;
                      if (error) {
                        close(Why::Lost);
                        return;
                      }
                      on_written();
                    });
}

void TcpConnection::on_written() {
  const auto& options = worker_.options();
  if (publishing_ && options.rate == 0) fill();
  if (!acknowledged() && options.limit && published_ >= options.limit && publishing_ &&
      !stopping_ && out_.empty()) {
    worker_.stats().counters.finished.add();
    stop();  // queues the goodbye frame and writes it
    return;
  }
  if (stopping_ && out_.empty()) {
    close(Why::Stop);  // the goodbye frame is out
    return;
  }
  flush();
}

void TcpConnection::stop() {
  if (stopping_ || state_ == State::Closed) return;
  stopping_ = true;
  if (pacer_) pacer_->stop();
  if (state_ != State::Ready) {
    close(Why::Stop);
    return;
  }
  queue_goodbye();
  flush();  // closes once written, unless a write is in flight (its completion does)
}

void TcpConnection::close_transport() {
  asio::error_code ignored;
  socket_.close(ignored);
}

}  // namespace gatemq::bench
