// data/loaded_plugins: the plugins a node loads at start-up, kept across restarts. The seed's
// format, one Erlang term per plugin: "emqx_management.\nemqx_stomp.\n"; `%` starts a comment.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gatemq::plugin {

// The names in the file, in order; nullopt when there is no file. Throws std::runtime_error
// naming the file and line when it cannot be read or holds something other than names.
std::optional<std::vector<std::string>> read_loaded_file(const std::filesystem::path& path);

// Replaces the file (written aside, then renamed, so a crash leaves the old or the new list),
// creating its directory. Throws std::runtime_error naming the file.
void write_loaded_file(const std::filesystem::path& path, const std::vector<std::string>& names);

}  // namespace gatemq::plugin
