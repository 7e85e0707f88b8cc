// What one I/O thread measured. Counters are written by their own thread only and read live by
// the progress display, so they are relaxed atomics bumped without a locked instruction; the
// histograms and time marks are read only after the thread has stopped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "bench/histogram.hpp"

namespace gatemq::bench {

using Clock = std::chrono::steady_clock;

// Nanoseconds on the monotonic clock, which every process on the machine shares: a subscriber
// process can subtract a publisher process's stamp.
inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

class Counter {
 public:
  // Single writer: a load and a store, not a read-modify-write, so no bus lock per message.
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

struct alignas(64) Counters {
  Counter connecting;    // connect() issued
  Counter connected;     // CONNACK success received
  Counter ready;         // connected and, for subscribers, SUBACK received
  Counter failed;        // connection or handshake failed (refused, timeout, CONNACK/SUBACK error)
  Counter disconnected;  // a ready connection lost before the end of the run
  Counter errors;        // protocol errors: undecodable or unexpected packets
  Counter sent;          // PUBLISH packets written
  Counter acked;         // QoS 1/2 publishes completed (PUBACK / PUBCOMP)
  Counter received;      // PUBLISH packets received
  Counter unstamped;     // received payloads without a plausible send stamp
  Counter finished;      // publishers that reached --limit with nothing left unacknowledged
  Counter handshakes_done;  // clients whose handshake ended, either way
};

// Time marks in now_ns() units, 0 = never happened.
struct Marks {
  std::uint64_t first_connect = 0;
  std::uint64_t last_ready = 0;
  std::uint64_t first_sent = 0;
  std::uint64_t last_sent = 0;
  std::uint64_t first_received = 0;
  std::uint64_t last_received = 0;

  void merge(const Marks& other) {
    auto earliest = [](std::uint64_t& a, std::uint64_t b) {
      if (b && (!a || b < a)) a = b;
    };
    auto latest = [](std::uint64_t& a, std::uint64_t b) {
      if (b > a) a = b;
    };
    earliest(first_connect, other.first_connect);
    latest(last_ready, other.last_ready);
    earliest(first_sent, other.first_sent);
    latest(last_sent, other.last_sent);
    earliest(first_received, other.first_received);
    latest(last_received, other.last_received);
  }
};

struct ThreadStats {
  Counters counters;
  Marks marks;
  Histogram latency;    // PUBLISH stamp to arrival, ns
  Histogram handshake;  // connect() to ready, ns
  // Live mirror of marks.last_received for --idle-exit, read by the main thread.
  std::atomic<std::uint64_t> last_received_live{0};
};

}  // namespace gatemq::bench
