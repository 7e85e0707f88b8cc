#include "management/basic_auth.hpp"

#include <mbedtls/base64.h>

#include <cctype>
#include <vector>

namespace gatemq::management {

namespace {
// Compares without an early exit, so response times do not reveal how much of a secret matched.
bool same(std::string_view a, std::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return difference == 0;
}

Response unauthorized(ErrorCode code, const std::string& message) {
  auto response = error(401, code, message);
  response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"gatemq\"");
  return response;
}
}  // namespace

std::optional<Credentials> parse_basic_auth(std::string_view header) {
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() < kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return std::nullopt;
    }
  }
  auto encoded = header.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  std::vector<unsigned char> decoded(encoded.size());
  std::size_t length = 0;
  if (mbedtls_base64_decode(decoded.data(), decoded.size(), &length,
                            reinterpret_cast<const unsigned char*>(encoded.data()),
                            encoded.size()) != 0) {
    return std::nullopt;
  }
  const std::string text(decoded.begin(), decoded.begin() + static_cast<std::ptrdiff_t>(length));
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

std::optional<Response> check_basic_auth(std::optional<std::string_view> header,
                                         const Credentials& expected) {
  if (!header) return unauthorized(ErrorCode::EmptyCredentials, "empty username or password");
  const auto given = parse_basic_auth(*header);
  if (!given || given->id.empty()) {
    return unauthorized(ErrorCode::EmptyCredentials, "empty username or password");
  }
  const bool id_ok = same(given->id, expected.id);
  const bool secret_ok = same(given->secret, expected.secret);
  if (!id_ok || !secret_ok) {
    return unauthorized(ErrorCode::BadCredentials, "username or password error");
  }
  return std::nullopt;
}

std::string basic_auth_header(const Credentials& credentials) {
  const auto plain = credentials.id + ":" + credentials.secret;
  std::vector<unsigned char> encoded(4 * (plain.size() / 3 + 1) + 1);
  std::size_t length = 0;
  mbedtls_base64_encode(encoded.data(), encoded.size(), &length,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size());
  return "Basic " +
         std::string(encoded.begin(), encoded.begin() + static_cast<std::ptrdiff_t>(length));
}

}  // namespace gatemq::management
