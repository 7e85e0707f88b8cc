// What the user sees: a live one-line progress display on stderr and the final summary (JSON or
// text) on stdout, both computed from the threads' statistics.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

#include "bench/options.hpp"
#include "bench/stats.hpp"

namespace gatemq::bench {

// Every thread's counters added up at one instant (relaxed reads: a live approximation).
struct Snapshot {
  std::uint64_t connecting = 0;
  std::uint64_t connected = 0;
  std::uint64_t ready = 0;
  std::uint64_t failed = 0;
  std::uint64_t disconnected = 0;
  std::uint64_t errors = 0;
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t received = 0;
  std::uint64_t unstamped = 0;
  std::uint64_t finished = 0;
  std::uint64_t handshakes_done = 0;
};

Snapshot take_snapshot(std::span<const ThreadStats* const> threads);

class Progress {
 public:
  Progress(const Options& options, bool enabled);
  // Prints a line when a second has passed since the last one (or now, when forced).
  void update(const Snapshot& snapshot, double elapsed_seconds, bool force = false);
  void finish();

 private:
  const Options& options_;
  bool enabled_;
  bool terminal_;
  bool printed_ = false;
  double last_time_ = 0;
  Snapshot last_{};
};

// Wall times of the run, in seconds from the start of the process's connecting.
struct RunTimes {
  double elapsed = 0;  // start to end
  double ready = 0;    // start to every handshake done (0 if never)
};

nlohmann::ordered_json summarize(const Options& options,
                                 std::span<const ThreadStats* const> threads,
                                 const RunTimes& times);

void print_text(const nlohmann::ordered_json& summary);

}  // namespace gatemq::bench
