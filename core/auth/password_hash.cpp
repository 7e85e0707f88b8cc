#include "core/auth/password_hash.hpp"

#include <crypt.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace gatemq::auth {
namespace {

using Algorithm = HashSpec::Algorithm;
using SaltPosition = HashSpec::SaltPosition;

constexpr const char* kSpecForms =
    "password_hash must be one of: plain, md5, sha, sha256, sha512, bcrypt, salt,<md5|sha|sha256|"
    "sha512|bcrypt>, <md5|sha|sha256|sha512>,salt, pbkdf2,<sha|sha256|sha512>,<iterations>,"
    "<dklen>";

[[noreturn]] void reject_spec(std::string_view text) {
  throw std::invalid_argument(std::string(kSpecForms) + " (got \"" + std::string(text) + "\")");
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto comma = text.find(',');
    parts.push_back(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) return parts;
    text.remove_prefix(comma + 1);
  }
}

std::optional<Algorithm> algorithm_named(std::string_view name) {
  if (name == "plain") return Algorithm::plain;
  if (name == "md5") return Algorithm::md5;
  if (name == "sha") return Algorithm::sha;
  if (name == "sha256") return Algorithm::sha256;
  if (name == "sha512") return Algorithm::sha512;
  if (name == "bcrypt") return Algorithm::bcrypt;
  return std::nullopt;
}

bool is_digest(Algorithm algorithm) {
  return algorithm == Algorithm::md5 || algorithm == Algorithm::sha ||
         algorithm == Algorithm::sha256 || algorithm == Algorithm::sha512;
}

// Digits only: from_chars alone would accept a leading '-' for signed types and stop early.
std::optional<unsigned> parse_count(std::string_view text, unsigned max) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value == 0 || value > max) return std::nullopt;
  return value;
}

const mbedtls_md_info_t* md_info(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::md5:
      return mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
    case Algorithm::sha:
      return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    case Algorithm::sha256:
      return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    case Algorithm::sha512:
      return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
    default:
      break;
  }
  throw std::logic_error("not a digest algorithm");
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string lowercase_hex(const unsigned char* data, std::size_t size) {
  constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(digits[data[i] >> 4]);
    hex.push_back(digits[data[i] & 0x0f]);
  }
  return hex;
}

std::string hex_digest(Algorithm algorithm, std::string_view input) {
  const auto* info = md_info(algorithm);
  if (info == nullptr) throw std::runtime_error("digest not available in mbedTLS");
  unsigned char digest[MBEDTLS_MD_MAX_SIZE];
  if (mbedtls_md(info, bytes(input), input.size(), digest) != 0) {
    throw std::runtime_error("mbedTLS digest failed");
  }
  return lowercase_hex(digest, mbedtls_md_get_size(info));
}

// Frees the context on every path out of pbkdf2_hex.
struct MdContext {
  mbedtls_md_context_t context;
  MdContext() { mbedtls_md_init(&context); }
  ~MdContext() { mbedtls_md_free(&context); }
  MdContext(const MdContext&) = delete;
  MdContext& operator=(const MdContext&) = delete;
};

std::string pbkdf2_hex(const HashSpec& spec, std::string_view password, std::string_view salt) {
  if (spec.iterations == 0 || spec.iterations > kMaxPbkdf2Iterations || spec.derived_length == 0 ||
      spec.derived_length > kMaxPbkdf2DerivedLength || !is_digest(spec.mac)) {
    throw std::invalid_argument("pbkdf2 spec out of range");
  }
  const auto* info = md_info(spec.mac);
  if (info == nullptr) throw std::runtime_error("digest not available in mbedTLS");
  MdContext hmac;
  if (mbedtls_md_setup(&hmac.context, info, /*hmac=*/1) != 0) {
    throw std::runtime_error("mbedTLS HMAC setup failed");
  }
  std::vector<unsigned char> key(spec.derived_length);
  if (mbedtls_pkcs5_pbkdf2_hmac(&hmac.context, bytes(password), password.size(), bytes(salt),
                                salt.size(), spec.iterations, spec.derived_length,
                                key.data()) != 0) {
    throw std::runtime_error("mbedTLS PBKDF2 failed");
  }
  return lowercase_hex(key.data(), key.size());
}

bool is_bcrypt_alphabet(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

// "$2a$NN$" + 22 salt characters, optionally followed by the 31-character hash. The cost is
// capped so a planted "$2b$31$..." cannot stall authentication for days.
bool is_bcrypt_setting(std::string_view text) {
  constexpr std::size_t setting_length = 29;
  constexpr std::size_t full_length = 60;
  if (text.size() != setting_length && text.size() != full_length) return false;
  if (text[0] != '$' || text[1] != '2' || text[3] != '$' || text[6] != '$') return false;
  if (text[2] != 'a' && text[2] != 'b' && text[2] != 'y') return false;
  if (text[4] < '0' || text[4] > '9' || text[5] < '0' || text[5] > '9') return false;
  const unsigned cost = static_cast<unsigned>((text[4] - '0') * 10 + (text[5] - '0'));
  if (cost < 4 || cost > kMaxBcryptCost) return false;
  for (std::size_t i = 7; i < text.size(); ++i) {
    if (!is_bcrypt_alphabet(text[i])) return false;
  }
  return true;
}

// crypt_r wants C strings: callers have already rejected embedded NULs.
std::optional<std::string> bcrypt(std::string_view password, std::string_view setting) {
  if (password.find('\0') != std::string_view::npos || !is_bcrypt_setting(setting)) {
    return std::nullopt;
  }
  auto scratch = std::make_unique<crypt_data>();  // ~32 KiB: too big for the stack
  const std::string password_text(password);
  const std::string setting_text(setting);
  const char* result = crypt_r(password_text.c_str(), setting_text.c_str(), scratch.get());
  // libxcrypt signals failure with NULL or a string starting with '*'.
  if (result == nullptr || result[0] == '*' || result[0] == '\0') return std::nullopt;
  return std::string(result);
}

std::string fresh_bcrypt_setting() {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // NULL random bytes: libxcrypt draws them from the operating system.
  if (crypt_gensalt_rn("$2b$", kDefaultBcryptCost, nullptr, 0, setting, sizeof setting) ==
      nullptr) {
    throw std::runtime_error("cannot generate a bcrypt salt");
  }
  return setting;
}

char fold_case(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Runs over the whole input whatever differs; only the lengths (public for digests) leak.
bool constant_time_equal(std::string_view a, std::string_view b, bool ignore_case) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char left = ignore_case ? fold_case(a[i]) : a[i];
    const char right = ignore_case ? fold_case(b[i]) : b[i];
    difference |= static_cast<unsigned char>(left ^ right);
  }
  return difference == 0;
}

}  // namespace

HashSpec parse_hash_spec(std::string_view text) {
  const auto parts = split_commas(text);
  HashSpec spec;
  if (parts.size() == 1) {
    const auto algorithm = algorithm_named(parts[0]);
    if (!algorithm) reject_spec(text);
    spec.algorithm = *algorithm;
    return spec;
  }
  if (parts.size() == 2) {
    if (parts[0] == "salt") {
      const auto algorithm = algorithm_named(parts[1]);
      if (!algorithm || !(is_digest(*algorithm) || *algorithm == Algorithm::bcrypt)) {
        reject_spec(text);
      }
      spec.algorithm = *algorithm;
      spec.salt = SaltPosition::prefix;
      return spec;
    }
    if (parts[1] == "salt") {
      const auto algorithm = algorithm_named(parts[0]);
      if (!algorithm || !is_digest(*algorithm)) reject_spec(text);
      spec.algorithm = *algorithm;
      spec.salt = SaltPosition::suffix;
      return spec;
    }
    reject_spec(text);
  }
  if (parts.size() == 4 && parts[0] == "pbkdf2") {
    const auto mac = algorithm_named(parts[1]);
    const auto iterations = parse_count(parts[2], kMaxPbkdf2Iterations);
    const auto derived_length = parse_count(parts[3], kMaxPbkdf2DerivedLength);
    // MD5 is not offered as a PBKDF2 MAC by EMQX either.
    if (!mac || !is_digest(*mac) || *mac == Algorithm::md5 || !iterations || !derived_length) {
      reject_spec(text);
    }
    spec.algorithm = Algorithm::pbkdf2;
    spec.mac = *mac;
    spec.iterations = *iterations;
    spec.derived_length = *derived_length;
    return spec;
  }
  reject_spec(text);
}

std::string hash_password(const HashSpec& spec, std::string_view password, std::string_view salt) {
  switch (spec.algorithm) {
    case Algorithm::plain:
      return std::string(password);
    case Algorithm::md5:
    case Algorithm::sha:
    case Algorithm::sha256:
    case Algorithm::sha512: {
      std::string input;
      if (spec.salt == SaltPosition::prefix) input.append(salt);
      input.append(password);
      if (spec.salt == SaltPosition::suffix) input.append(salt);
      return hex_digest(spec.algorithm, input);
    }
    case Algorithm::pbkdf2:
      return pbkdf2_hex(spec, password, salt);
    case Algorithm::bcrypt: {
      if (password.find('\0') != std::string_view::npos) {
        throw std::invalid_argument("bcrypt passwords cannot contain NUL bytes");
      }
      const std::string setting = salt.empty() ? fresh_bcrypt_setting() : std::string(salt);
      if (!is_bcrypt_setting(setting)) {
        throw std::invalid_argument("bcrypt salt must look like \"$2b$10$\" + 22 characters");
      }
      auto hashed = bcrypt(password, setting);
      if (!hashed) throw std::runtime_error("bcrypt hashing failed");
      return std::move(*hashed);
    }
  }
  throw std::invalid_argument("unknown password hash algorithm");
}

bool verify_password(const HashSpec& spec, std::string_view password, std::string_view stored,
                     std::string_view salt) {
  try {
    switch (spec.algorithm) {
      case Algorithm::plain:
        return constant_time_equal(password, stored, /*ignore_case=*/false);
      case Algorithm::bcrypt: {
        if (!is_bcrypt_setting(stored) || stored.size() != 60) return false;
        const bool salt_is_setting = spec.salt == SaltPosition::prefix && !salt.empty();
        const auto hashed = bcrypt(password, salt_is_setting ? salt : stored);
        return hashed && constant_time_equal(*hashed, stored, /*ignore_case=*/false);
      }
      default:
        return constant_time_equal(hash_password(spec, password, salt), stored,
                                   /*ignore_case=*/true);
    }
  } catch (const std::exception&) {
    return false;  // a spec out of range or a crypto failure never authenticates anybody
  }
}

}  // namespace gatemq::auth
