// Where a node started without a configuration file finds its default files.
#pragma once

#include <filesystem>
#include <optional>

namespace gatemq::app {

// The built-in defaults name files relative to the working directory (etc/certs/*.pem,
// etc/acl.conf, log/), as EMQX's do relative to its release root. Started without --config from
// a directory that has no etc/, the node moves to `home` (the source tree it was built from)
// when that one has them, so `gatemq` works from anywhere. Returns the directory it moved to.
std::optional<std::filesystem::path> settle_in_home_directory(const std::filesystem::path& home);

}  // namespace gatemq::app
