// spdlog set-up from log.* settings: console, rotating file, or both.
#pragma once

#include "core/config/settings.hpp"

namespace gatemq::app {

// Installs the default logger. Throws std::runtime_error when the log file cannot be opened.
// Start-up messages are shown at least at info level; call apply_log_level once started.
void setup_logging(const config::LogSettings& settings);
void apply_log_level(const config::LogSettings& settings);

}  // namespace gatemq::app
