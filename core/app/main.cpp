// gatemq [--config <file>]: the broker process.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "core/app/logging.hpp"
#include "core/app/server.hpp"
#include "core/config/config.hpp"
#include "core/gateway/gateway.hpp"

namespace {

constexpr const char* kUsage =
    "usage: gatemq [--config <file>]\n"
    "  -c, --config <file>  key = value configuration (default: built-in defaults)\n"
    "  -v, --version        print the version and exit\n"
    "  -h, --help           print this help and exit\n"
    "Any key can be overridden by an environment variable GATEMQ_<KEY>, dots written as __,\n"
    "e.g. GATEMQ_LISTENER__TCP__EXTERNAL=1884 (see docs/configuration.md).\n";

}  // namespace

int main(int argc, char** argv) {
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

  gatemq::gateway::Registry gateways;
  gatemq::gateway::register_compiled_gateways(gateways);
  std::vector<gatemq::config::SectionSpec> sections;
  for (const auto& gateway : gateways.descriptors()) {
    sections.push_back({gateway.name, gateway.key_prefix});
  }

  gatemq::config::Settings settings;
  try {
    settings =
        gatemq::config::load_settings(config_file, gatemq::config::process_environment(), sections);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gatemq: configuration error: %s\n", e.what());
    return 1;
  }
  try {
    gatemq::app::setup_logging(settings.log);
    const auto log_settings = settings.log;
    gatemq::app::Server server(std::move(settings), gateways);
    server.start();
    gatemq::app::apply_log_level(log_settings);
    server.run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
