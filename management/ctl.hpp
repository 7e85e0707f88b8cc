// `gatemq ctl <command>`: the command line that talks to a running node over its management REST
// API (management.listener.http with the default application's credentials).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/config/settings.hpp"
#include "management/basic_auth.hpp"

namespace gatemq::management::ctl {

struct Target {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  Credentials credentials{"admin", "public"};
};

// Where the node's API is, from its settings (a wildcard listen address means this host).
Target target_from(const config::ManagementSettings& settings);

// Runs one command; `args` are what follows `ctl` with options (--host, --port, --user id:secret)
// allowed first. Returns the exit status: 0 done, 1 failed (unreachable node, not found, refused),
// 2 usage error.
int run(std::vector<std::string> args, Target target, std::ostream& out, std::ostream& err);

extern const char* const kUsage;

}  // namespace gatemq::management::ctl
