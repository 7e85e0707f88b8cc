#include "app/logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gatemq::app {

spdlog::level::level_enum log_level_named(const std::string& name) {
  // The seed's names (Erlang logger levels) onto spdlog's.
  if (name == "debug") return spdlog::level::debug;
  if (name == "info" || name == "notice") return spdlog::level::info;
  if (name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "critical" || name == "alert" || name == "emergency") return spdlog::level::critical;
  if (name == "trace") return spdlog::level::trace;
  throw std::invalid_argument("unknown log level '" + name + "'");
}

std::shared_ptr<TraceSink> setup_logging(const config::LogSettings& settings) {
  auto traces = std::make_shared<TraceSink>();
  std::vector<spdlog::sink_ptr> sinks{traces};
  if (settings.to == "console" || settings.to == "both") {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  if (settings.to == "file" || settings.to == "both") {
    const auto path = std::filesystem::path(settings.dir) / settings.file;
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          path.string(), settings.rotation_size, settings.rotation_count));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("log.dir/log.file: cannot open " + path.string() + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("gatemq", sinks.begin(), sinks.end());
  logger->set_pattern(kConsolePattern);
  traces->set_pattern(kLogPattern);
  // Start-up lines (listeners, warnings about the config) show at the seed's default level too.
  logger->set_level(std::min(log_level_named(settings.level), spdlog::level::info));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return traces;
}

void apply_log_level(const config::LogSettings& settings) {
  set_log_level(settings.level);
}

void set_log_level(const std::string& name) {
  spdlog::default_logger()->set_level(log_level_named(name));
}

}  // namespace gatemq::app
