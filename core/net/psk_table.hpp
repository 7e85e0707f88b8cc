// The TLS-PSK identity table (psk.file.path, the EMQ X psk_file plugin's format): one
// "identity<delimiter>secret" per line, '#' comments. Shared by every TLS and DTLS listener.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gatemq::net {

class PskTable {
 public:
  // Throws std::runtime_error naming the file and line for an unreadable file or a bad line.
  static PskTable load(const std::string& path, const std::string& delimiter);
  static PskTable parse(std::string_view text, const std::string& delimiter,
                        const std::string& source);

  // The secret's bytes as written in the file, or nullopt for an unknown identity.
  std::optional<std::string_view> secret(std::string_view identity) const;
  std::size_t size() const { return secrets_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> secrets_;
};

}  // namespace gatemq::net
