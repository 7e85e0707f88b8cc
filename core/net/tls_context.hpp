// The server side of one TLS listener: mbedTLS configuration built from TlsSettings (own
// certificate and key, CA for client certificates, verify mode, cipher suites, versions, PSK
// table, session cache and tickets). Read-only once built, so every I/O thread shares it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/settings.hpp"
#include "core/net/psk_table.hpp"

struct mbedtls_ssl_config;

namespace gatemq::net {

class TlsContext {
 public:
  // Throws std::runtime_error naming the listener, the key and the file for anything that cannot
  // be loaded or used. `psk` may be null (no PSK handshakes).
  TlsContext(const config::TlsSettings& settings, std::shared_ptr<const PskTable> psk,
             const std::string& listener_name);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  const mbedtls_ssl_config* config() const;
  const config::TlsSettings& settings() const { return settings_; }
  const PskTable* psk() const { return psk_.get(); }

 private:
  struct Impl;
  config::TlsSettings settings_;
  std::shared_ptr<const PskTable> psk_;
  std::unique_ptr<Impl> impl_;
};

// "ECDHE-RSA-AES128-GCM-SHA256" (OpenSSL) or "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256" (mbedTLS)
// -> mbedTLS's suite id, or 0 when mbedTLS does not have the suite.
int ciphersuite_id(const std::string& name);

// mbedTLS error code -> "X509 - The CRT/CRL/CSR format is invalid ..." for logs.
std::string tls_error_text(int code);

}  // namespace gatemq::net
