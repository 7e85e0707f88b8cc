// Connect pacing, the once-a-second tick, and start/stop of one I/O thread.
#include "bench/worker.hpp"

#include <asio/post.hpp>
#include <chrono>

#include "bench/client.hpp"
#include "bench/sn_client.hpp"
#include "bench/stomp_client.hpp"

namespace gatemq::bench {

namespace {

constexpr std::size_t kScratchSize = 64 * 1024;
// Time the DISCONNECTs get to go out at the end before the loop is stopped regardless.
constexpr auto kStopGrace = std::chrono::milliseconds(300);

}  // namespace

Worker::Worker(const Options& options, const asio::ip::tcp::endpoint& target,
               std::uint32_t thread_index)
    : work_(asio::make_work_guard(context_)),
      options_(options),
      target_(target),
      scratch_(kScratchSize),
      launch_timer_(context_),
      tick_timer_(context_),
      stop_timer_(context_) {
  for (const auto& text : options.source_addresses) {
    sources_.push_back(asio::ip::make_address(text));
  }
  for (std::uint32_t k = thread_index; k < options.count; k += options.threads) {
    const auto index = options.start_number + k;
    if (options.mode == Mode::SnPub) {
      clients_.push_back(std::make_unique<SnClient>(*this, index));
    } else if (is_stomp(options.mode)) {
      clients_.push_back(std::make_unique<StompClient>(*this, index));
    } else {
      clients_.push_back(std::make_unique<Client>(*this, index));
    }
  }
  const auto threads = static_cast<double>(options.threads);
  launch_rate_ = options.conn_rate / threads;
  max_handshakes_ = std::max(1u, options.conn_inflight / options.threads);
}

Worker::~Worker() {
  context_.stop();
  if (thread_.joinable()) thread_.join();
}

const asio::ip::address* Worker::source_for(std::uint32_t index) const {
  if (sources_.empty()) return nullptr;
  return &sources_[index % sources_.size()];
}

void Worker::run_thread() {
  thread_ = std::thread([this] {
    launch_origin_ = now_ns();
    launch_more();
    arm_tick();
    context_.run();
  });
}

void Worker::launch_more() {
  while (!stopping_ && launched_ < clients_.size() && in_handshake_ < max_handshakes_) {
    if (launch_rate_ > 0) {
      const auto elapsed = static_cast<double>(now_ns() - launch_origin_);
      const auto allowed = static_cast<std::uint64_t>(elapsed * launch_rate_ / 1e9) + 1;
      if (launched_ >= allowed) {
        if (launch_timer_armed_) return;
        const auto due =
            launch_origin_ + static_cast<std::uint64_t>(launched_ * 1e9 / launch_rate_);
        launch_timer_.expires_at(Clock::time_point(std::chrono::nanoseconds(due)));
        launch_timer_armed_ = true;
        launch_timer_.async_wait([this](const asio::error_code& error) {
          launch_timer_armed_ = false;
          if (!error) launch_more();
        });
        return;
      }
    }
    ++in_handshake_;
    clients_[launched_++]->start();
  }
}

void Worker::handshake_finished() {
  if (in_handshake_ > 0) --in_handshake_;
  launch_more();
}

void Worker::arm_tick() {
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](const asio::error_code& error) {
    if (error || stopping_) return;
    const auto now = now_ns();
    for (auto& client : clients_) client->tick(now);
    arm_tick();
  });
}

void Worker::start_publishing() {
  asio::post(context_, [this] {
    for (auto& client : clients_) client->start_publishing();
  });
}

void Worker::stop_and_join() {
  asio::post(context_, [this] {
    stopping_ = true;
    launch_timer_.cancel();
    tick_timer_.cancel();
    for (auto& client : clients_) client->stop();
    stop_timer_.expires_after(kStopGrace);
    stop_timer_.async_wait([this](const asio::error_code&) { context_.stop(); });
  });
  if (thread_.joinable()) thread_.join();
}

}  // namespace gatemq::bench
