// gatemq [--config <file>]: the broker process; `gatemq ctl ...` (or `gatemq-ctl ...`) talks to
// a running one.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app/home_directory.hpp"
#include "app/logging.hpp"
#include "app/server.hpp"
#include "core/config/config.hpp"
#include "core/plugin/plugin.hpp"
#include "management/ctl.hpp"

namespace {

constexpr const char* kUsage =
    "usage: gatemq [--config <file>]\n"
    "       gatemq ctl [--config <file>] <command>   (gatemq ctl help)\n"
    "  -c, --config <file>  key = value configuration (default: built-in defaults)\n"
    "  -v, --version        print the version and exit\n"
    "  -h, --help           print this help and exit\n"
    "Any key can be overridden by an environment variable GATEMQ_<KEY>, dots written as __,\n"
    "e.g. GATEMQ_LISTENER__TCP__EXTERNAL=1884 (see docs/configuration.md).\n";

// The settings from `file` (if any) and the GATEMQ_* environment, with every compiled-in
// plugin's section: at start-up, for `gatemq ctl`, and again on a hot reload.
gatemq::config::Settings read_settings(const std::optional<std::filesystem::path>& file,
                                       const gatemq::plugin::Registry& plugins) {
  return gatemq::config::load_settings(file, gatemq::config::process_environment(),
                                       plugins.sections());
}

// The same, or nullopt after saying on stderr why the file does not load.
std::optional<gatemq::config::Settings> read_settings_or_report(
    const std::optional<std::filesystem::path>& file, const gatemq::plugin::Registry& plugins,
    const char* program) {
  try {
    return read_settings(file, plugins);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: configuration error: %s\n", program, e.what());
    return std::nullopt;
  }
}

// gatemq ctl [--config <file>] ...: the node's API address and credentials come from the same
// file (and GATEMQ_* environment) the node was started with.
int run_ctl(std::vector<std::string> args) {
  std::optional<std::filesystem::path> config_file;
  if (args.size() >= 2 && (args[0] == "--config" || args[0] == "-c")) {
    config_file = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  gatemq::plugin::Registry plugins;
  gatemq::plugin::register_compiled_plugins(plugins);
  const auto settings = read_settings_or_report(config_file, plugins, "gatemq ctl");
  if (!settings) return 1;
  if (!settings->management.enabled) {
    std::fputs("gatemq ctl: the management API is off (management.listener.http = off)\n", stderr);
    return 1;
  }
  return gatemq::management::ctl::run(std::move(args),
                                      gatemq::management::ctl::target_from(settings->management),
                                      std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  // `gatemq ctl ...`, or the same program under the name gatemq-ctl (a link next to it).
  if (std::filesystem::path(argv[0]).filename() == "gatemq-ctl") {
    return run_ctl(std::vector<std::string>(argv + 1, argv + argc));
  }
  if (argc >= 2 && std::strcmp(argv[1], "ctl") == 0) {
    return run_ctl(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::optional<std::filesystem::path> config_file;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
      config_file = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config_file = arg.substr(std::strlen("--config="));
    } else if (arg == "--version" || arg == "-v") {
      std::printf("gatemq %s\n", GATEMQ_VERSION);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "gatemq: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }

  std::optional<std::filesystem::path> moved_to;
  if (!config_file) moved_to = gatemq::app::settle_in_home_directory(GATEMQ_HOME);
  gatemq::plugin::Registry plugins;
  gatemq::plugin::register_compiled_plugins(plugins);
  auto settings = read_settings_or_report(config_file, plugins, "gatemq");
  if (!settings) return 1;
  try {
    auto traces = gatemq::app::setup_logging(settings->log);
    if (moved_to) {
      spdlog::info("no --config and no etc/ here: running from {} with its default files",
                   moved_to->string());
    }
    const auto log_settings = settings->log;
    // A hot reload reads the same file and environment the node started with.
    auto reread = [config_file, &plugins] { return read_settings(config_file, plugins); };
    gatemq::app::Server server(std::move(*settings), plugins, reread, std::move(traces));
    server.start();
    gatemq::app::apply_log_level(log_settings);
    server.run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
