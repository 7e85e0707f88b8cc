#include "core/plugin/loaded_file.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "core/config/values.hpp"

namespace gatemq::plugin {

namespace {

bool is_name(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string>> read_loaded_file(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error) && !error) return std::nullopt;
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open: " + std::strerror(errno));
  std::vector<std::string> names;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view text = line;
    text = config::values::trim(text.substr(0, text.find('%')));
    if (text.empty()) continue;
    if (!text.ends_with('.') || !is_name(config::values::trim(text.substr(0, text.size() - 1)))) {
      throw std::runtime_error(path.string() + ":" + std::to_string(number) +
                               ": not a plugin name followed by '.': " + line);
    }
    names.emplace_back(config::values::trim(text.substr(0, text.size() - 1)));
  }
  if (in.bad()) throw std::runtime_error(path.string() + ": cannot read: " + std::strerror(errno));
  return names;
}

void write_loaded_file(const std::filesystem::path& path, const std::vector<std::string>& names) {
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    throw std::runtime_error(path.string() + ": cannot create its directory: " + error.message());
  }
  auto aside = path;
  aside += ".tmp";
  {
    std::ofstream out(aside, std::ios::trunc);
    for (const auto& name : names) out << name << ".\n";
    out.flush();
    if (!out) throw std::runtime_error(aside.string() + ": cannot write: " + std::strerror(errno));
  }
  std::filesystem::rename(aside, path, error);
  if (error) throw std::runtime_error(path.string() + ": cannot replace: " + error.message());
}

}  // namespace gatemq::plugin
