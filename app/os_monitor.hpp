// The seed's os_mon: samples CPU and memory use from /proc on the housekeeping thread and raises
// or clears the high_cpu_usage, high_system_memory_usage and high_process_memory_usage alarms.
// Each check reads a few small /proc files, nothing that can block for long.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/broker/broker.hpp"
#include "core/config/settings.hpp"

namespace gatemq::app {

// The aggregate "cpu" line of /proc/stat, in clock ticks.
struct CpuTimes {
  std::uint64_t busy = 0;
  std::uint64_t total = 0;
};

// Parses /proc/stat text; nullopt when it has no cpu line.
std::optional<CpuTimes> parse_cpu_times(std::string_view proc_stat);
// Percent of time busy between two samples; 0 when no time passed.
double cpu_usage_percent(const CpuTimes& before, const CpuTimes& after);

struct MemoryInfo {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;
};

// Parses /proc/meminfo text (MemTotal, MemAvailable); nullopt when either is missing.
std::optional<MemoryInfo> parse_meminfo(std::string_view proc_meminfo);

class OsMonitor {
 public:
  OsMonitor(broker::Broker& broker, asio::io_context& context);
  void start();
  void stop();

 private:
  void check_cpu();
  void check_memory();
  void arm(asio::steady_timer& timer, std::chrono::milliseconds period, void (OsMonitor::*check)());

  broker::Broker& broker_;
  const config::OsMonitorSettings& settings_;
  asio::steady_timer cpu_timer_;
  asio::steady_timer memory_timer_;
  std::optional<CpuTimes> last_cpu_;
  bool stopped_ = false;
};

}  // namespace gatemq::app
