#include "app/home_directory.hpp"

namespace gatemq::app {

namespace {

bool has_default_files(const std::filesystem::path& directory) {
  std::error_code error;
  return std::filesystem::exists(directory / "etc" / "certs" / "cert.pem", error);
}

}  // namespace

std::optional<std::filesystem::path> settle_in_home_directory(const std::filesystem::path& home) {
  std::error_code error;
  const auto here = std::filesystem::current_path(error);
  if (error || has_default_files(here) || home.empty() || !has_default_files(home)) {
    return std::nullopt;
  }
  std::filesystem::current_path(home, error);
  if (error) return std::nullopt;
  return home;
}

}  // namespace gatemq::app
