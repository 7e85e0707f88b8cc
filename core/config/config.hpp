// Loads Settings from the seed's `key = value` format and GATEMQ_* environment overrides.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/raw_entry.hpp"
#include "core/config/settings.hpp"

namespace gatemq::config {

// "gatemq.conf:12: zone.external.idle_timeout: '15x' is not a duration such as ..."
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Environment = std::map<std::string, std::string>;

// The GATEMQ_* variables of this process.
Environment process_environment();

// A configuration section owned by a module outside the core settings (a plugin): keys starting
// with `key_prefix` are collected into Settings::section_entries for that module to read and
// check, from `<plugins.etc_dir>/<name>.conf` (default: the plugins/ folder next to the main
// file; `gateway.etc_dir` is the older name of the key), then from the main file, then from the
// environment.
struct SectionSpec {
  std::string name;        // "emqx_tcp", "emqx_sn": the plugin, and its file's name
  std::string key_prefix;  // "tcp.", "mqtt.sn."
};

// Built-in defaults, then `file` (if given), then the environment: GATEMQ_<KEY> where the key is
// upper-cased and every `.` written `__` (GATEMQ_ZONE__EXTERNAL__IDLE_TIMEOUT=30s). Variables
// starting with GATEMQ_ but without `__` are not configuration (GATEMQ_BIN, ...).
// Throws ConfigError for a missing file, an unknown key or a bad value.
Settings load_settings(const std::optional<std::filesystem::path>& file,
                       const Environment& environment,
                       const std::vector<SectionSpec>& sections = {});

// The same from text already in memory; `source` names it in errors.
Settings parse_settings(std::string_view text, const std::string& source,
                        const Environment& environment,
                        const std::vector<SectionSpec>& sections = {});

}  // namespace gatemq::config
