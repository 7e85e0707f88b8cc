// Password hashing as configured by `password_hash` (EMQX 4.x compatible values):
// plain | md5 | sha | sha256 | sha512 | bcrypt, salted forms `salt,<alg>` (hash of salt+password)
// and `<alg>,salt` (hash of password+salt), and `pbkdf2,<mac>,<iterations>,<dklen>`.
#pragma once

#include <string>
#include <string_view>

namespace gatemq::auth {

struct HashSpec {
  enum class Algorithm { plain, md5, sha, sha256, sha512, bcrypt, pbkdf2 };
  enum class SaltPosition { none, prefix, suffix };

  Algorithm algorithm = Algorithm::plain;
  SaltPosition salt = SaltPosition::none;
  // pbkdf2 only.
  Algorithm mac = Algorithm::sha256;
  unsigned iterations = 0;
  unsigned derived_length = 0;
};

// Limits that keep a hostile configuration or stored hash from pinning a CPU for hours.
inline constexpr unsigned kMaxPbkdf2Iterations = 10'000'000;
inline constexpr unsigned kMaxPbkdf2DerivedLength = 1024;
inline constexpr unsigned kMaxBcryptCost = 18;
// Cost used when hash_password has to invent a bcrypt setting.
inline constexpr unsigned kDefaultBcryptCost = 10;

// Parses a password_hash value (surrounding blanks around each part are ignored).
// Throws std::invalid_argument describing the accepted forms on bad input.
HashSpec parse_hash_spec(std::string_view text);

// The stored form of a password:
//   plain   - the password itself (salt ignored);
//   md5/sha - lowercase hex digest of salt+password, password+salt or password;
//   pbkdf2  - lowercase hex of the derived key, `salt` being the PBKDF2 salt;
//   bcrypt  - the full crypt string; `salt` is the bcrypt setting ("$2b$10$" + 22 characters)
//             or empty for a fresh random setting with kDefaultBcryptCost.
// Throws std::invalid_argument for a bad bcrypt setting, a bcrypt password containing NUL
// (crypt would silently cut it there) or a hand-built pbkdf2 spec out of range, and
// std::runtime_error when the crypto library fails.
std::string hash_password(const HashSpec& spec, std::string_view password,
                          std::string_view salt = {});

// Compares hash_password(spec, password, salt) with `stored` in constant time (hex digests
// case-insensitively). Never throws; anything malformed simply fails.
// bcrypt: `stored` must be a "$2a$", "$2b$" or "$2y$" string. With `salt,bcrypt` and a non-empty
// `salt`, the salt is the bcrypt setting as EMQX keeps it in a separate column, and the password
// hashed with it must give `stored`; otherwise `stored` is its own setting.
bool verify_password(const HashSpec& spec, std::string_view password, std::string_view stored,
                     std::string_view salt = {});

}  // namespace gatemq::auth
