// gatemq-bench: an MQTT (and MQTT-SN) load generator. The main thread only watches: it decides when
// every client is ready (then publishing starts, and --duration counts from there), when the run is
// over, and prints progress and the summary; the I/O threads do everything else.
#include <sys/resource.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "bench/options.hpp"
#include "bench/report.hpp"
#include "bench/worker.hpp"

namespace {

using gatemq::bench::Options;

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) {
  g_interrupted.store(true);
}

// Each connection is a descriptor: take the hard limit, and say so when it is still too low
// rather than let connects fail with EMFILE half-way.
void raise_file_limit(std::uint32_t count) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && count + 64 > limit.rlim_cur) {
    std::fprintf(stderr,
                 "gatemq-bench: warning: %u connections but only %llu file descriptors "
                 "(ulimit -n); connects past the limit will fail\n",
                 count, static_cast<unsigned long long>(limit.rlim_cur));
  }
}

asio::ip::tcp::endpoint resolve(const Options& options) {
  asio::io_context context;
  asio::ip::tcp::resolver resolver(context);
  const auto results = resolver.resolve(options.host, std::to_string(options.port));
  return results.begin()->endpoint();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// True once the run has reached its end condition.
bool run_is_over(const Options& options, const gatemq::bench::Snapshot& s, double since_ready,
                 std::uint64_t last_received_ns) {
  if (options.duration > 0 && since_ready >= options.duration) return true;
  if (s.failed + s.disconnected >= options.count) return true;  // nobody left
  if (gatemq::bench::is_publisher(options.mode) && options.limit > 0 &&
      s.finished + s.failed + s.disconnected >= options.count) {
    return true;
  }
  const bool subscriber = gatemq::bench::is_subscriber(options.mode);
  if (subscriber && options.expect > 0 && s.received >= options.expect) return true;
  if (subscriber && options.idle_exit > 0 && last_received_ns > 0) {
    const auto idle = static_cast<double>(gatemq::bench::now_ns() - last_received_ns) / 1e9;
    if (idle >= options.idle_exit) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto parsed = gatemq::bench::parse_options(argc, argv, exit_code);
  if (!parsed) return exit_code;
  const Options& options = *parsed;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  raise_file_limit(options.count);

  asio::ip::tcp::endpoint target;
  try {
    target = resolve(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gatemq-bench: cannot resolve %s: %s\n", options.host.c_str(), e.what());
    return 2;
  }

  std::vector<std::unique_ptr<gatemq::bench::Worker>> workers;
  std::vector<const gatemq::bench::ThreadStats*> stats;
  for (std::uint32_t t = 0; t < options.threads; ++t) {
    workers.push_back(std::make_unique<gatemq::bench::Worker>(options, target, t));
    stats.push_back(&workers.back()->stats());
  }

  const auto start = std::chrono::steady_clock::now();
  for (auto& worker : workers) worker->run_thread();

  gatemq::bench::Progress progress(options, !options.quiet);
  gatemq::bench::RunTimes times;
  bool ready = false;
  while (!g_interrupted.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto snapshot = gatemq::bench::take_snapshot(stats);
    const double elapsed = seconds_since(start);
    progress.update(snapshot, elapsed);
    if (!ready && snapshot.handshakes_done >= options.count) {
      ready = true;
      times.ready = elapsed;
      if (!options.ready_file.empty()) std::ofstream(options.ready_file) << "ready\n";
      for (auto& worker : workers) worker->start_publishing();
    }
    if (!ready) continue;
    std::uint64_t last_received = 0;
    for (const auto* s : stats) {
      last_received = std::max(last_received, s->last_received_live.load());
    }
    if (run_is_over(options, snapshot, elapsed - times.ready, last_received)) break;
  }

  for (auto& worker : workers) worker->stop_and_join();
  times.elapsed = seconds_since(start);
  progress.update(gatemq::bench::take_snapshot(stats), times.elapsed, true);
  progress.finish();

  const auto summary = gatemq::bench::summarize(options, stats, times);
  if (options.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    gatemq::bench::print_text(summary);
  }
  const auto& s = summary["connections"];
  return s["ready"].get<std::uint64_t>() > 0 ? 0 : 1;
}
