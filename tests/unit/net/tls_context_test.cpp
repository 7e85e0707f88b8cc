// Cipher names, the PSK table and TlsContext's checks of what a listener configures.
#include <gtest/gtest.h>
#include <mbedtls/ssl.h>

#include <filesystem>

#include "core/net/psk_table.hpp"
#include "core/net/tls_context.hpp"

namespace gatemq::net {
namespace {

const std::filesystem::path kCerts = std::filesystem::path(GATEMQ_SOURCE_DIR) / "etc/certs";

int mbedtls_id(const char* name) {
  return mbedtls_ssl_get_ciphersuite_id(name);
}

TEST(TlsCiphers, OpenSslNamesMapToMbedTls) {
  EXPECT_EQ(ciphersuite_id("ECDHE-ECDSA-AES128-GCM-SHA256"),
            mbedtls_id("TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"));
  EXPECT_EQ(ciphersuite_id("ECDHE-RSA-AES256-SHA384"),
            mbedtls_id("TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA384"));
  EXPECT_EQ(ciphersuite_id("AES128-SHA"), mbedtls_id("TLS-RSA-WITH-AES-128-CBC-SHA"));
  EXPECT_EQ(ciphersuite_id("AES256-GCM-SHA384"), mbedtls_id("TLS-RSA-WITH-AES-256-GCM-SHA384"));
  EXPECT_EQ(ciphersuite_id("PSK-AES128-CBC-SHA"), mbedtls_id("TLS-PSK-WITH-AES-128-CBC-SHA"));
  EXPECT_EQ(ciphersuite_id("ECDHE-PSK-AES128-CBC-SHA256"),
            mbedtls_id("TLS-ECDHE-PSK-WITH-AES-128-CBC-SHA256"));
  EXPECT_EQ(ciphersuite_id("ECDHE-RSA-CHACHA20-POLY1305"),
            mbedtls_id("TLS-ECDHE-RSA-WITH-CHACHA20-POLY1305-SHA256"));
  EXPECT_NE(ciphersuite_id("ECDHE-ECDSA-AES128-GCM-SHA256"), 0);
  EXPECT_EQ(ciphersuite_id("TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"),
            mbedtls_id("TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"))
      << "mbedTLS's own names work too";
  EXPECT_EQ(ciphersuite_id("DHE-DSS-AES256-SHA"), 0) << "DSS is not in mbedTLS";
  EXPECT_EQ(ciphersuite_id("NOT-A-CIPHER"), 0);
  EXPECT_EQ(ciphersuite_id(""), 0);
}

TEST(PskTable, ParsesIdentitiesAndSecrets) {
  const auto table = PskTable::parse("# comment\n\nclient1:1234\n  client2:ab:cd  \r\n", ":",
                                     "psk.txt");
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.secret("client1"), "1234");
  EXPECT_EQ(table.secret("client2"), "ab:cd") << "the first delimiter splits";
  EXPECT_FALSE(table.secret("client3"));
  EXPECT_EQ(PskTable::parse("a;;b\n", ";;", "x").secret("a"), "b");
}

TEST(PskTable, BadLinesNameTheFileAndLine) {
  const auto error_of = [](std::string_view text) {
    try {
      PskTable::parse(text, ":", "etc/psk.txt");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("ok:1\nno delimiter\n"), "etc/psk.txt:2: expected 'identity:secret'");
  EXPECT_EQ(error_of(":secret\n"), "etc/psk.txt:1: expected 'identity:secret'");
  EXPECT_EQ(error_of("id:\n"), "etc/psk.txt:1: expected 'identity:secret'");
  EXPECT_EQ(error_of("id:" + std::string(33, 'k')), "etc/psk.txt:1: secret longer than 32 bytes");
  EXPECT_THROW(PskTable::load("/nonexistent/psk.txt", ":"), std::runtime_error);
}

config::TlsSettings test_certificates() {
  config::TlsSettings settings;
  settings.certfile = (kCerts / "cert.pem").string();
  settings.keyfile = (kCerts / "key.pem").string();
  return settings;
}

std::string error_of(const config::TlsSettings& settings,
                     std::shared_ptr<const PskTable> psk = nullptr) {
  try {
    TlsContext context(settings, std::move(psk), "ssl:test");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(TlsContext, BuildsFromTheShippedTestCertificates) {
  EXPECT_EQ(error_of(test_certificates()), "no error");
  auto verifying = test_certificates();
  verifying.cacertfile = (kCerts / "cacert.pem").string();
  verifying.verify_peer = true;
  verifying.fail_if_no_peer_cert = true;
  verifying.ciphers = {"ECDHE-ECDSA-AES128-GCM-SHA256", "DHE-DSS-AES256-SHA"};
  verifying.tls_versions = {"tlsv1.3", "tlsv1.2", "tlsv1.1"};
  EXPECT_EQ(error_of(verifying), "no error") << "unknown suites and TLS 1.3 are skipped";
}

TEST(TlsContext, ErrorsNameTheListenerAndWhatToFix) {
  auto settings = test_certificates();
  settings.certfile = "/nonexistent/cert.pem";
  EXPECT_TRUE(error_of(settings).starts_with(
      "listener ssl:test: cannot load certfile '/nonexistent/cert.pem': "))
      << error_of(settings);
  settings = test_certificates();
  settings.keyfile = (kCerts / "client-key.pem").string();
  EXPECT_TRUE(error_of(settings).starts_with(
      "listener ssl:test: certfile and keyfile do not go together"))
      << error_of(settings);
  settings = test_certificates();
  settings.verify_peer = true;
  EXPECT_EQ(error_of(settings), "listener ssl:test: verify = verify_peer needs cacertfile");
  settings = test_certificates();
  settings.ciphers = {"DHE-DSS-AES256-SHA"};
  EXPECT_EQ(error_of(settings), "listener ssl:test: ciphers names no cipher suite mbedTLS has");
  settings = test_certificates();
  settings.tls_versions = {"tlsv1.3"};
  EXPECT_EQ(error_of(settings),
            "listener ssl:test: tls_versions names no version mbedTLS 2.28 has (tlsv1.2, "
            "tlsv1.1, tlsv1)");
  EXPECT_EQ(error_of(config::TlsSettings{}),
            "listener ssl:test: a TLS listener needs certfile and keyfile (or a PSK table, "
            "psk.file.path)");
  const auto psk = std::make_shared<PskTable>(PskTable::parse("a:b\n", ":", "psk"));
  EXPECT_EQ(error_of(config::TlsSettings{}, psk), "no error") << "PSK-only listeners are fine";
}

}  // namespace
}  // namespace gatemq::net
