// DTLS for the CoAP gateway (coap.dtls.*, port 5684): libcoap's OpenSSL backend does the
// handshakes inside the same context as plain UDP; this sets up its certificates and answers its
// PSK identity look-ups from the shared PSK table (psk.file.path), like every TLS listener.
#pragma once

#include <coap3/coap.h>

#include <memory>
#include <string>

#include "core/net/psk_table.hpp"
#include "gateways/coap/settings.hpp"

namespace gatemq::gateway::coap {

class DtlsSetup {
 public:
  // Configures `context` (before its DTLS endpoint is made): certificates when the key and
  // certificate files are set, PSK when `psk` is not null. Throws std::runtime_error.
  DtlsSetup(coap_context_t* context, const DtlsSettings& settings,
            std::shared_ptr<const net::PskTable> psk);
  DtlsSetup(const DtlsSetup&) = delete;
  DtlsSetup& operator=(const DtlsSetup&) = delete;

 private:
  static const coap_bin_const_t* find_key(coap_bin_const_t* identity, coap_session_t* session,
                                          void* self);

  DtlsSettings settings_;  // libcoap keeps pointers to the file names
  std::shared_ptr<const net::PskTable> psk_;
  coap_bin_const_t key_{};  // the key of the last identity looked up; libcoap copies it
};

}  // namespace gatemq::gateway::coap
