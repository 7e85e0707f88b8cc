// Progress line and final summary. Rates are taken over the window in which the thing actually
// happened (first to last message), so time spent connecting or draining does not dilute them.
#include "bench/report.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace gatemq::bench {

namespace {

double seconds_between(std::uint64_t from_ns, std::uint64_t to_ns) {
  return from_ns && to_ns > from_ns ? static_cast<double>(to_ns - from_ns) / 1e9 : 0.0;
}

double per_second(std::uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

// Three decimals are plenty for microseconds and milliseconds, and keep the JSON readable.
double rounded(double value) {
  return std::round(value * 1000.0) / 1000.0;
}

nlohmann::ordered_json distribution(const Histogram& histogram, double divisor) {
  auto at = [&](double percent) { return rounded(histogram.percentile(percent) / divisor); };
  return {
      {"count", histogram.count()},
      {"min", rounded(histogram.min() / divisor)},
      {"mean", rounded(histogram.mean() / divisor)},
      {"p50", at(50)},
      {"p90", at(90)},
      {"p99", at(99)},
      {"p99_9", at(99.9)},
      {"max", rounded(histogram.max() / divisor)},
  };
}

}  // namespace

Snapshot take_snapshot(std::span<const ThreadStats* const> threads) {
  Snapshot s;
  for (const auto* stats : threads) {
    const auto& c = stats->counters;
    s.connecting += c.connecting.get();
    s.connected += c.connected.get();
    s.ready += c.ready.get();
    s.failed += c.failed.get();
    s.disconnected += c.disconnected.get();
    s.errors += c.errors.get();
    s.sent += c.sent.get();
    s.acked += c.acked.get();
    s.received += c.received.get();
    s.unstamped += c.unstamped.get();
    s.finished += c.finished.get();
    s.handshakes_done += c.handshakes_done.get();
  }
  return s;
}

Progress::Progress(const Options& options, bool enabled)
    : options_(options), enabled_(enabled), terminal_(::isatty(STDERR_FILENO) == 1) {}

void Progress::update(const Snapshot& now, double elapsed, bool force) {
  if (!enabled_ || (!force && elapsed - last_time_ < 1.0) || elapsed <= last_time_) return;
  const double span = elapsed - last_time_;
  auto rate = [&](std::uint64_t current, std::uint64_t before) {
    return static_cast<double>(current - before) / span;
  };
  // A terminal gets one line rewritten in place; a log file or pipe gets one line per second.
  std::fprintf(stderr,
               "%s[%6.1fs] %s: ready %llu/%u (%.0f/s) fail %llu lost %llu | sent %llu (%.0f/s) "
               "recv %llu (%.0f/s) | err %llu%s",
               terminal_ ? "\r" : "", elapsed, mode_name(options_.mode),
               static_cast<unsigned long long>(now.ready), options_.count,
               rate(now.ready, last_.ready), static_cast<unsigned long long>(now.failed),
               static_cast<unsigned long long>(now.disconnected),
               static_cast<unsigned long long>(now.sent), rate(now.sent, last_.sent),
               static_cast<unsigned long long>(now.received), rate(now.received, last_.received),
               static_cast<unsigned long long>(now.errors), terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
  printed_ = true;
  last_ = now;
  last_time_ = elapsed;
}

void Progress::finish() {
  if (enabled_ && printed_ && terminal_) std::fputc('\n', stderr);
}

nlohmann::ordered_json summarize(const Options& options,
                                 std::span<const ThreadStats* const> threads,
                                 const RunTimes& times) {
  const auto totals = take_snapshot(threads);
  Marks marks;
  Histogram latency;
  Histogram handshake;
  for (const auto* stats : threads) {
    marks.merge(stats->marks);
    latency.merge(stats->latency);
    handshake.merge(stats->handshake);
  }
  const double connect_window = seconds_between(marks.first_connect, marks.last_ready);
  const double send_window = seconds_between(marks.first_sent, marks.last_sent);
  const double receive_window = seconds_between(marks.first_received, marks.last_received);

  nlohmann::ordered_json out;
  out["mode"] = mode_name(options.mode);
  out["target"] = options.host + ":" + std::to_string(options.port);
  out["mqtt_version"] = static_cast<int>(options.version);
  out["clients"] = options.count;
  out["threads"] = options.threads;
  out["qos"] = options.qos;
  out["payload_bytes"] = options.size;
  out["rate_per_client"] = options.rate;
  out["topic"] = options.topic;
  out["elapsed_s"] = rounded(times.elapsed);
  out["connections"] = {
      {"attempted", totals.connecting},
      {"connected", totals.connected},
      {"ready", totals.ready},
      {"failed", totals.failed},
      {"disconnected", totals.disconnected},
      {"window_s", rounded(connect_window)},
      {"rate_per_s", rounded(per_second(totals.ready, connect_window))},
      {"handshake_ms", distribution(handshake, 1e6)},
  };
  out["messages"] = {
      {"sent", totals.sent},
      {"acked", totals.acked},
      {"received", totals.received},
      {"unstamped", totals.unstamped},
      {"send_window_s", rounded(send_window)},
      {"receive_window_s", rounded(receive_window)},
      {"sent_per_s", rounded(per_second(totals.sent, send_window))},
      {"received_per_s", rounded(per_second(totals.received, receive_window))},
  };
  out["latency_us"] = distribution(latency, 1e3);
  out["errors"] = {
      {"protocol", totals.errors},
      {"failed", totals.failed},
      {"disconnected", totals.disconnected},
  };
  return out;
}

void print_text(const nlohmann::ordered_json& s) {
  const auto& c = s["connections"];
  const auto& m = s["messages"];
  const auto& l = s["latency_us"];
  const auto mode = s["mode"].get<std::string>();
  std::string protocol = "MQTT " + std::to_string(s["mqtt_version"].get<int>());
  if (mode == mode_name(Mode::SnPub)) protocol = "MQTT-SN 1.2";
  if (mode == mode_name(Mode::StompPub) || mode == mode_name(Mode::StompSub))
    protocol = "STOMP 1.2";
  std::printf("%s against %s, %s, %u clients on %u threads, %.1f s\n", mode.c_str(),
              s["target"].get<std::string>().c_str(), protocol.c_str(),
              s["clients"].get<unsigned>(), s["threads"].get<unsigned>(),
              s["elapsed_s"].get<double>());
  std::printf(
      "connections: %llu ready, %llu failed, %llu lost; %.0f/s; handshake p50 %.3f ms "
      "p99 %.3f ms\n",
      c["ready"].get<unsigned long long>(), c["failed"].get<unsigned long long>(),
      c["disconnected"].get<unsigned long long>(), c["rate_per_s"].get<double>(),
      c["handshake_ms"]["p50"].get<double>(), c["handshake_ms"]["p99"].get<double>());
  std::printf("messages: sent %llu (%.0f/s), acked %llu, received %llu (%.0f/s)\n",
              m["sent"].get<unsigned long long>(), m["sent_per_s"].get<double>(),
              m["acked"].get<unsigned long long>(), m["received"].get<unsigned long long>(),
              m["received_per_s"].get<double>());
  if (l["count"].get<unsigned long long>() > 0) {
    std::printf("latency us: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f (n=%llu)\n",
                l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(),
                l["p99_9"].get<double>(), l["max"].get<double>(),
                l["count"].get<unsigned long long>());
  }
  std::printf("errors: protocol %llu\n", s["errors"]["protocol"].get<unsigned long long>());
}

}  // namespace gatemq::bench
