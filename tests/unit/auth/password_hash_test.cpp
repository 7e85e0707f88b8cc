#include "core/auth/password_hash.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>

namespace gatemq::auth {
namespace {

using Algorithm = HashSpec::Algorithm;
using SaltPosition = HashSpec::SaltPosition;

// Vectors from coreutils (md5sum, sha*sum), Python hashlib and RFC 6070.
constexpr const char* kMd5Public = "4c9184f37cff01bcdc32dc486ec36961";
constexpr const char* kMd5Password = "5f4dcc3b5aa765d61d8327deb882cf99";
constexpr const char* kSha1Password = "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8";
constexpr const char* kSha256Password =
    "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
constexpr const char* kSha512Password =
    "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f"
    "1326af5a2ea6d103fd07c95385ffab0cacbc86";
// The bcrypt vectors come from perl's crypt(), i.e. the system libcrypt.
constexpr const char* kBcryptPublic =
    "$2b$04$abcdefghijklmnopqrstuuaNoRgelGRsJ2Tm9Zn/HHRlHib6lnzBu";
constexpr const char* kBcryptPublicSetting = "$2b$04$abcdefghijklmnopqrstuu";
constexpr const char* kBcrypt2yPassword =
    "$2y$05$0123456789ABCDEFGHIJKul4FneonyrACud5gj.yqEy2hLhCf4mz6";

TEST(ParseHashSpec, AcceptsPlainAlgorithms) {
  EXPECT_EQ(parse_hash_spec("plain").algorithm, Algorithm::plain);
  EXPECT_EQ(parse_hash_spec("md5").algorithm, Algorithm::md5);
  EXPECT_EQ(parse_hash_spec("sha").algorithm, Algorithm::sha);
  EXPECT_EQ(parse_hash_spec("sha256").algorithm, Algorithm::sha256);
  EXPECT_EQ(parse_hash_spec(" sha512 ").algorithm, Algorithm::sha512);
  const auto bcrypt = parse_hash_spec("bcrypt");
  EXPECT_EQ(bcrypt.algorithm, Algorithm::bcrypt);
  EXPECT_EQ(bcrypt.salt, SaltPosition::none);
}

TEST(ParseHashSpec, AcceptsSaltPositions) {
  const auto prefix = parse_hash_spec("salt,sha256");
  EXPECT_EQ(prefix.algorithm, Algorithm::sha256);
  EXPECT_EQ(prefix.salt, SaltPosition::prefix);
  const auto suffix = parse_hash_spec("sha256, salt");
  EXPECT_EQ(suffix.algorithm, Algorithm::sha256);
  EXPECT_EQ(suffix.salt, SaltPosition::suffix);
  const auto bcrypt = parse_hash_spec("salt,bcrypt");
  EXPECT_EQ(bcrypt.algorithm, Algorithm::bcrypt);
  EXPECT_EQ(bcrypt.salt, SaltPosition::prefix);
}

TEST(ParseHashSpec, AcceptsPbkdf2) {
  const auto spec = parse_hash_spec("pbkdf2,sha512,1000,64");
  EXPECT_EQ(spec.algorithm, Algorithm::pbkdf2);
  EXPECT_EQ(spec.mac, Algorithm::sha512);
  EXPECT_EQ(spec.iterations, 1000u);
  EXPECT_EQ(spec.derived_length, 64u);
}

TEST(ParseHashSpec, RejectsBadSpecs) {
  for (const char* bad : {"",
                          "sha3",
                          "SHA256",
                          "salt,plain",
                          "plain,salt",
                          "bcrypt,salt",
                          "salt,salt",
                          "salt",
                          "salt,sha256,salt",
                          "pbkdf2",
                          "pbkdf2,sha256,0,20",
                          "pbkdf2,sha256,1,0",
                          "pbkdf2,md4,1,20",
                          "pbkdf2,md5,1,20",
                          "pbkdf2,bcrypt,1,20",
                          "pbkdf2,sha256,-1,20",
                          "pbkdf2,sha256,1,20,1",
                          "pbkdf2,sha256,99999999999999999999,20",
                          "pbkdf2,sha256,100000000,20",
                          "pbkdf2,sha256,1,100000",
                          "pbkdf2,sha256,1x,20",
                          "md5,,",
                          ","}) {
    EXPECT_THROW(parse_hash_spec(bad), std::invalid_argument) << bad;
  }
}

TEST(ParseHashSpec, ErrorListsTheForms) {
  try {
    parse_hash_spec("sha3");
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("one of: plain, md5"), std::string::npos);
  }
}

TEST(HashPassword, Digests) {
  EXPECT_EQ(hash_password(parse_hash_spec("md5"), "public"), kMd5Public);
  EXPECT_EQ(hash_password(parse_hash_spec("md5"), "password"), kMd5Password);
  EXPECT_EQ(hash_password(parse_hash_spec("sha"), "password"), kSha1Password);
  EXPECT_EQ(hash_password(parse_hash_spec("sha256"), "password"), kSha256Password);
  EXPECT_EQ(hash_password(parse_hash_spec("sha512"), "password"), kSha512Password);
  EXPECT_EQ(hash_password(parse_hash_spec("plain"), "password", "ignored"), "password");
}

TEST(HashPassword, SaltedDigests) {
  EXPECT_EQ(hash_password(parse_hash_spec("salt,sha256"), "password", "salt"),
            "13601bda4ea78e55a07b98866d2be6be0744e3866f13c00c811cab608a28f322");
  EXPECT_EQ(hash_password(parse_hash_spec("sha256,salt"), "password", "salt"),
            "7a37b85c8918eac19a9089c0fa5a2ab4dce3f90528dcdeec108b23ddf3607b99");
  EXPECT_EQ(hash_password(parse_hash_spec("salt,md5"), "password", "salt"),
            "67a1e09bb1f83f5007dc119c14d663aa");
  EXPECT_EQ(hash_password(parse_hash_spec("sha,salt"), "password", "salt"),
            "c88e9c67041a74e0357befdff93f87dde0904214");
  // Without a salt position the salt plays no part.
  EXPECT_EQ(hash_password(parse_hash_spec("sha256"), "password", "salt"), kSha256Password);
}

TEST(HashPassword, Pbkdf2Rfc6070AndSha256) {
  EXPECT_EQ(hash_password(parse_hash_spec("pbkdf2,sha,1,20"), "password", "salt"),
            "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  EXPECT_EQ(hash_password(parse_hash_spec("pbkdf2,sha,2,20"), "password", "salt"),
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  EXPECT_EQ(hash_password(parse_hash_spec("pbkdf2,sha256,4096,32"), "password", "salt"),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  EXPECT_EQ(hash_password(parse_hash_spec("pbkdf2,sha512,2,64"), "password", "salt"),
            "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab2868a39b9f78"
            "40edce4fef5a82be67335c77a6068e04112754f27ccf4e");
}

TEST(HashPassword, BcryptWithGivenSetting) {
  EXPECT_EQ(hash_password(parse_hash_spec("bcrypt"), "public", kBcryptPublicSetting),
            kBcryptPublic);
  EXPECT_EQ(hash_password(parse_hash_spec("bcrypt"), "public", kBcryptPublic), kBcryptPublic);
}

TEST(HashPassword, BcryptFreshSettingRoundTrips) {
  const auto spec = parse_hash_spec("bcrypt");
  const auto stored = hash_password(spec, "s3cret");
  EXPECT_TRUE(stored.starts_with("$2b$10$")) << stored;
  EXPECT_EQ(stored.size(), 60u);
  EXPECT_TRUE(verify_password(spec, "s3cret", stored));
  EXPECT_FALSE(verify_password(spec, "s3cret!", stored));
  EXPECT_NE(hash_password(spec, "s3cret"), stored);  // a new random salt every time
}

TEST(HashPassword, BcryptRejectsBadInput) {
  const auto spec = parse_hash_spec("bcrypt");
  EXPECT_THROW(hash_password(spec, std::string("pub\0lic", 7), kBcryptPublicSetting),
               std::invalid_argument);
  for (const char* bad :
       {"$1$abc", "$2b$04$short", "$2b$99$abcdefghijklmnopqrstuu", "$2b$31$abcdefghijklmnopqrstuu",
        "$2x$04$abcdefghijklmnopqrstuu", "$2b$04$abcdefghijklmnopqrst!u"}) {
    EXPECT_THROW(hash_password(spec, "public", bad), std::invalid_argument) << bad;
  }
}

TEST(VerifyPassword, Digests) {
  EXPECT_TRUE(verify_password(parse_hash_spec("md5"), "public", kMd5Public));
  EXPECT_TRUE(verify_password(parse_hash_spec("sha256"), "password", kSha256Password));
  EXPECT_FALSE(verify_password(parse_hash_spec("sha256"), "Password", kSha256Password));
  EXPECT_FALSE(verify_password(parse_hash_spec("sha512"), "password", kSha256Password));
  EXPECT_FALSE(verify_password(parse_hash_spec("sha256"), "password", ""));
}

TEST(VerifyPassword, HexIsCaseInsensitive) {
  std::string upper = kSha1Password;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(verify_password(parse_hash_spec("sha"), "password", upper));
}

TEST(VerifyPassword, SaltedAndPbkdf2) {
  EXPECT_TRUE(verify_password(parse_hash_spec("salt,sha256"), "password",
                              "13601bda4ea78e55a07b98866d2be6be0744e3866f13c00c811cab608a28f322",
                              "salt"));
  EXPECT_FALSE(verify_password(parse_hash_spec("salt,sha256"), "password",
                               "13601bda4ea78e55a07b98866d2be6be0744e3866f13c00c811cab608a28f322",
                               "pepper"));
  EXPECT_TRUE(verify_password(parse_hash_spec("pbkdf2,sha,2,20"), "password",
                              "EA6C014DC72D6F8CCD1ED92ACE1D41F0D8DE8957", "salt"));
  EXPECT_FALSE(verify_password(parse_hash_spec("pbkdf2,sha,2,20"), "passwort",
                               "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957", "salt"));
}

TEST(VerifyPassword, Plain) {
  EXPECT_TRUE(verify_password(parse_hash_spec("plain"), "public", "public"));
  EXPECT_FALSE(verify_password(parse_hash_spec("plain"), "public", "Public"));
  EXPECT_FALSE(verify_password(parse_hash_spec("plain"), "public", "publi"));
  EXPECT_FALSE(verify_password(parse_hash_spec("plain"), "", "public"));
}

TEST(VerifyPassword, Bcrypt) {
  const auto spec = parse_hash_spec("bcrypt");
  EXPECT_TRUE(verify_password(spec, "public", kBcryptPublic));
  EXPECT_FALSE(verify_password(spec, "publi", kBcryptPublic));
  EXPECT_FALSE(verify_password(spec, "", kBcryptPublic));
  EXPECT_TRUE(verify_password(spec, "password", kBcrypt2yPassword));
  EXPECT_FALSE(verify_password(spec, "public", kBcrypt2yPassword));
  // A NUL would let "public\0anything" pass as "public" through crypt's C string.
  EXPECT_FALSE(verify_password(spec, std::string("public\0x", 8), kBcryptPublic));
}

TEST(VerifyPassword, SaltedBcryptUsesTheSaltColumnAsSetting) {
  const auto spec = parse_hash_spec("salt,bcrypt");
  EXPECT_TRUE(verify_password(spec, "public", kBcryptPublic, kBcryptPublicSetting));
  EXPECT_TRUE(verify_password(spec, "public", kBcryptPublic));  // no salt: stored is the setting
  EXPECT_FALSE(verify_password(spec, "public", kBcryptPublic, "$2b$04$zzzzzzzzzzzzzzzzzzzzzu"));
  EXPECT_FALSE(verify_password(spec, "public", kBcryptPublic, "not a setting"));
}

TEST(VerifyPassword, HostileStoredValuesFail) {
  const auto bcrypt = parse_hash_spec("bcrypt");
  for (const std::string& stored :
       {std::string(), std::string("*0"), std::string("$2b$"),
        std::string("$2b$31$") + std::string(53, 'a'),
        std::string("$2b$04$") + std::string(53, '\0'), std::string(100000, '$'),
        std::string(kBcryptPublic).substr(0, 59)}) {
    EXPECT_FALSE(verify_password(bcrypt, "public", stored));
  }
  HashSpec out_of_range;
  out_of_range.algorithm = Algorithm::pbkdf2;
  out_of_range.mac = Algorithm::bcrypt;
  out_of_range.iterations = 1;
  out_of_range.derived_length = 20;
  EXPECT_FALSE(verify_password(out_of_range, "password", "00"));
  EXPECT_THROW(hash_password(out_of_range, "password"), std::invalid_argument);
}

// Hostile configuration values and stored hashes: errors are fine, crashes and hangs are not.
TEST(PasswordHashFuzz, RandomInputsNeverCrash) {
  std::mt19937 random(7);
  const auto random_text = [&](std::size_t max_size, std::string_view alphabet) {
    std::string text(random() % max_size, ' ');
    for (auto& c : text) c = alphabet[random() % alphabet.size()];
    return text;
  };
  constexpr std::string_view spec_alphabet = "pbkdf2,sha51md5cryptlainx0123456789 -";
  for (int round = 0; round < 20'000; ++round) {
    try {
      parse_hash_spec(random_text(30, spec_alphabet));
    } catch (const std::invalid_argument&) {
    }
  }
  using namespace std::string_view_literals;
  constexpr auto stored_alphabet = "$2aby0419./ABCxyz*\0\xff"sv;
  for (const char* spec_text :
       {"plain", "md5", "salt,sha", "sha512,salt", "bcrypt", "salt,bcrypt", "pbkdf2,sha256,2,16"}) {
    const auto spec = parse_hash_spec(spec_text);
    for (int round = 0; round < 2'000; ++round) {
      auto stored = random_text(64, stored_alphabet);
      if (round % 3 == 0) stored = "$2b$0" + std::to_string(random() % 10) + "$" + stored;
      const auto password = random_text(8, stored_alphabet);
      const bool verified =
          verify_password(spec, password, stored, random_text(32, stored_alphabet));
      // Only plain can be hit by chance (for instance "" against "").
      EXPECT_EQ(verified, spec.algorithm == HashSpec::Algorithm::plain && password == stored);
    }
  }
}

}  // namespace
}  // namespace gatemq::auth
