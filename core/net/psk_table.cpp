#include "core/net/psk_table.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/config/values.hpp"

namespace gatemq::net {

PskTable PskTable::load(const std::string& path, const std::string& delimiter) {
  std::ifstream input(path, std::ios::binary);
  if (!input) throw std::runtime_error("psk.file.path: cannot open '" + path + "'");
  std::ostringstream text;
  text << input.rdbuf();
  return parse(text.str(), delimiter, path);
}

PskTable PskTable::parse(std::string_view text, const std::string& delimiter,
                         const std::string& source) {
  PskTable table;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    auto line = config::values::trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const auto split = line.find(delimiter);
    const auto where = source + ":" + std::to_string(line_number);
    if (split == std::string_view::npos || split == 0 || split + delimiter.size() == line.size()) {
      throw std::runtime_error(where + ": expected 'identity" + delimiter + "secret'");
    }
    // mbedTLS as built by Debian takes keys up to 32 bytes (MBEDTLS_PSK_MAX_LEN).
    const auto identity = line.substr(0, split);
    const auto secret = line.substr(split + delimiter.size());
    if (identity.size() > 128) throw std::runtime_error(where + ": identity longer than 128 bytes");
    if (secret.size() > 32) throw std::runtime_error(where + ": secret longer than 32 bytes");
    table.secrets_.insert_or_assign(std::string(identity), std::string(secret));
  }
  return table;
}

std::optional<std::string_view> PskTable::secret(std::string_view identity) const {
  const auto found = secrets_.find(identity);
  if (found == secrets_.end()) return std::nullopt;
  return found->second;
}

}  // namespace gatemq::net
