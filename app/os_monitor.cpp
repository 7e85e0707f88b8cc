#include "app/os_monitor.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "core/broker/watermark_alarm.hpp"

namespace gatemq::app {

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// The kB figure of one "Name:   123 kB" line of /proc/meminfo, if present.
std::optional<std::uint64_t> meminfo_bytes(std::string_view text, std::string_view name) {
  for (std::size_t start = 0; start < text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    const auto line = text.substr(start, end - start);
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':') {
      std::istringstream fields{std::string(line.substr(name.size() + 1))};
      std::uint64_t kilobytes = 0;
      if (fields >> kilobytes) return kilobytes * 1024;
      return std::nullopt;
    }
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<CpuTimes> parse_cpu_times(std::string_view proc_stat) {
  if (!proc_stat.starts_with("cpu ")) return std::nullopt;
  std::istringstream fields{std::string(proc_stat.substr(4, proc_stat.find('\n')))};
  // user nice system idle iowait irq softirq steal: guest time is already inside user.
  std::uint64_t values[8] = {};
  for (auto& value : values) {
    if (!(fields >> value)) return std::nullopt;
  }
  CpuTimes times;
  for (const auto value : values) times.total += value;
  times.busy = times.total - values[3] - values[4];  // all but idle and iowait
  return times;
}

double cpu_usage_percent(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return 0;
  return 100.0 * static_cast<double>(after.busy - before.busy) /
         static_cast<double>(after.total - before.total);
}

std::optional<MemoryInfo> parse_meminfo(std::string_view proc_meminfo) {
  const auto total = meminfo_bytes(proc_meminfo, "MemTotal");
  const auto available = meminfo_bytes(proc_meminfo, "MemAvailable");
  if (!total || !available || *total == 0) return std::nullopt;
  return MemoryInfo{*total, *available};
}

OsMonitor::OsMonitor(broker::Broker& broker, asio::io_context& context)
    : broker_(broker),
      settings_(broker.settings().os_mon),
      cpu_timer_(context),
      memory_timer_(context) {}

void OsMonitor::start() {
  last_cpu_ = parse_cpu_times(read_file("/proc/stat"));
  arm(cpu_timer_, settings_.cpu_check_interval, &OsMonitor::check_cpu);
  arm(memory_timer_, settings_.mem_check_interval, &OsMonitor::check_memory);
}

void OsMonitor::stop() {
  stopped_ = true;
  cpu_timer_.cancel();
  memory_timer_.cancel();
}

void OsMonitor::arm(asio::steady_timer& timer, std::chrono::milliseconds period,
                    void (OsMonitor::*check)()) {
  if (period.count() <= 0 || stopped_) return;  // an interval of 0 turns the check off
  timer.expires_after(period);
  timer.async_wait([this, &timer, period, check](const std::error_code& error) {
    if (error || stopped_) return;
    (this->*check)();
    arm(timer, period, check);
  });
}

void OsMonitor::check_cpu() {
  const auto now = parse_cpu_times(read_file("/proc/stat"));
  if (!now) {
    spdlog::debug("os_mon: /proc/stat has no cpu line, CPU usage not checked");
    return;
  }
  if (last_cpu_) {
    broker::apply_watermark(
        broker_.alarms(),
        {"high_cpu_usage", "CPU usage", settings_.cpu_high_watermark, settings_.cpu_low_watermark},
        cpu_usage_percent(*last_cpu_, *now));
  }
  last_cpu_ = now;
}

void OsMonitor::check_memory() {
  const auto memory = parse_meminfo(read_file("/proc/meminfo"));
  if (!memory) {
    spdlog::debug("os_mon: /proc/meminfo lacks MemTotal or MemAvailable, memory not checked");
    return;
  }
  const auto total = static_cast<double>(memory->total_bytes);
  const auto used = static_cast<double>(memory->total_bytes -
                                        std::min(memory->available_bytes, memory->total_bytes));
  auto& alarms = broker_.alarms();
  // The seed has no low watermark for memory: the alarm clears once usage is below the high one.
  broker::apply_watermark(alarms,
                          {"high_system_memory_usage", "System memory usage",
                           settings_.sysmem_high_watermark, settings_.sysmem_high_watermark},
                          100.0 * used / total);
  broker::apply_watermark(alarms,
                          {"high_process_memory_usage", "Process memory usage",
                           settings_.procmem_high_watermark, settings_.procmem_high_watermark},
                          100.0 * static_cast<double>(resident_bytes()) / total);
}

}  // namespace gatemq::app
