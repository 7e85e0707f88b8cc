// One I/O thread of the load generator: its own io_context, its share of the clients (index
// k goes to thread k % threads; MQTT or STOMP over TCP, or MQTT-SN over UDP), the pacing of
// their connects, a once-a-second tick for keep alive and handshake deadlines, and the statistics
// those clients record.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "bench/options.hpp"
#include "bench/stats.hpp"

namespace gatemq::bench {

class Connection;

class Worker {
 public:
  Worker(const Options& options, const asio::ip::tcp::endpoint& target, std::uint32_t thread_index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run_thread();        // starts connecting on a thread of its own
  void start_publishing();  // thread-safe: every client of the run is ready
  void stop_and_join();     // thread-safe: DISCONNECT everyone, give it a moment, stop

  ThreadStats& stats() { return stats_; }
  const ThreadStats& stats() const { return stats_; }

  // For the clients, on this worker's thread.
  asio::io_context& context() { return context_; }
  const Options& options() const { return options_; }
  const asio::ip::tcp::endpoint& target() const { return target_; }
  const asio::ip::address* source_for(std::uint32_t index) const;
  std::span<char> scratch() { return scratch_; }
  void handshake_finished();  // a client is ready or failed: the next one may start

 private:
  void launch_more();
  void arm_tick();

  // Declared first so it is destroyed last: the sockets and timers below need it.
  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  const Options& options_;
  asio::ip::tcp::endpoint target_;
  std::vector<asio::ip::address> sources_;
  ThreadStats stats_;
  std::vector<char> scratch_;  // every client reads into this, then keeps only partial packets
  asio::steady_timer launch_timer_;
  asio::steady_timer tick_timer_;
  asio::steady_timer stop_timer_;
  std::vector<std::unique_ptr<Connection>> clients_;
  double launch_rate_ = 0;  // connects per second for this thread
  std::uint32_t max_handshakes_ = 1;
  std::uint32_t launched_ = 0;
  std::uint32_t in_handshake_ = 0;
  std::uint64_t launch_origin_ = 0;
  bool launch_timer_armed_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gatemq::bench
