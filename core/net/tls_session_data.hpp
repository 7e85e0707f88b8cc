// Per-connection data the mbedTLS callbacks (PSK lookup) reach from an mbedtls_ssl_context: the
// context's BIO pointer points at this base of the connection's TLS state.
#pragma once

#include <mbedtls/ssl.h>

#include <string>

namespace gatemq::net {

struct TlsSessionData {
  std::string psk_identity;

  static TlsSessionData* of(mbedtls_ssl_context* ssl) {
    return static_cast<TlsSessionData*>(ssl->p_bio);
  }

 protected:
  ~TlsSessionData() = default;
};

}  // namespace gatemq::net
