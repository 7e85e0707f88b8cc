// The life cycle every kind of benchmark client shares, and its bookkeeping.
#include "bench/connection.hpp"

#include <algorithm>
#include <cstring>

#include "bench/options.hpp"
#include "bench/worker.hpp"

namespace gatemq::bench {

namespace {

constexpr std::uint64_t kPlausibleLatency = 3600ULL * 1000 * 1000 * 1000;

}  // namespace

Connection::Connection(Worker& worker, std::uint32_t index)
    : worker_(worker),
      index_(index),
      client_id_(worker.options().prefix + std::to_string(index)),
      topic_(
          expand_template(worker.options().topic, index, client_id_, worker.options().index_mod)) {}

void Connection::begin_handshake(State first) {
  auto& stats = worker_.stats();
  state_ = first;
  connect_started_ = now_ns();
  if (!stats.marks.first_connect) stats.marks.first_connect = connect_started_;
  stats.counters.connecting.add();
}

void Connection::become_ready() {
  auto& stats = worker_.stats();
  const auto now = now_ns();
  state_ = State::Ready;
  stats.counters.ready.add();
  stats.counters.handshakes_done.add();
  stats.handshake.record(now - connect_started_);
  stats.marks.last_ready = std::max(stats.marks.last_ready, now);
  worker_.handshake_finished();
}

bool Connection::handshake_overdue(std::uint64_t now) const {
  const bool handshaking =
      state_ == State::Connecting || state_ == State::WaitConnack || state_ == State::WaitTopicAck;
  return handshaking && now - connect_started_ > worker_.options().connect_timeout * 1e9;
}

void Connection::start_pacer() {
  pacer_.emplace(worker_.context(), worker_.options().rate, index_);
  pacer_->start([this](std::uint64_t due) { return publish_due(due); });
}

void Connection::note_sent(std::uint64_t now) {
  auto& stats = worker_.stats();
  stats.counters.sent.add();
  if (!stats.marks.first_sent) stats.marks.first_sent = now;
  stats.marks.last_sent = now;
}

void Connection::stamp_payload(void* payload, std::uint64_t now) const {
  std::memcpy(payload, &now, sizeof now);
}

void Connection::note_received(std::string_view payload) {
  auto& stats = worker_.stats();
  const auto now = now_ns();
  stats.counters.received.add();
  if (!stats.marks.first_received) stats.marks.first_received = now;
  stats.marks.last_received = now;
  stats.last_received_live.store(now, std::memory_order_relaxed);
  std::uint64_t stamp = 0;
  if (payload.size() >= sizeof stamp) std::memcpy(&stamp, payload.data(), sizeof stamp);
  if (stamp && stamp <= now && now - stamp < kPlausibleLatency) {
    stats.latency.record(now - stamp);
  } else {
    stats.counters.unstamped.add();
  }
}

void Connection::close(Why why) {
  if (state_ == State::Closed) return;
  const auto previous = state_;
  state_ = State::Closed;
  publishing_ = false;
  if (pacer_) pacer_->stop();
  close_transport();
  auto& counters = worker_.stats().counters;
  if (why == Why::ProtocolError) counters.errors.add();
  if (previous == State::Ready) {
    if (why != Why::Stop) counters.disconnected.add();
    return;
  }
  if (previous == State::Idle || why == Why::Stop) return;
  counters.failed.add();
  counters.handshakes_done.add();
  worker_.handshake_finished();
}

}  // namespace gatemq::bench
