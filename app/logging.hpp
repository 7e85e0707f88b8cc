// spdlog set-up from log.* settings: console, rotating file, or both.
#pragma once

#include <spdlog/common.h>

#include <memory>
#include <string>

#include "app/trace_sink.hpp"
#include "core/config/settings.hpp"

namespace gatemq::app {

// Installs the default logger. Throws std::runtime_error when the log file cannot be opened.
// Start-up messages are shown at least at info level; call apply_log_level once started.
// Returns the sink that `trace` commands add their files to.
std::shared_ptr<TraceSink> setup_logging(const config::LogSettings& settings);
void apply_log_level(const config::LogSettings& settings);
// Sets the level by the seed's names (debug, info, notice, warning, error, critical, ...); throws
// std::invalid_argument for any other. Safe from any thread.
void set_log_level(const std::string& name);
// The level of one of those names; throws std::invalid_argument for any other.
spdlog::level::level_enum log_level_named(const std::string& name);

// Every log line: time, level, message (the console marks the level in colour).
inline constexpr const char* kConsolePattern = "%Y-%m-%dT%H:%M:%S.%e %^[%l]%$ %v";
inline constexpr const char* kLogPattern = "%Y-%m-%dT%H:%M:%S.%e [%l] %v";

}  // namespace gatemq::app
