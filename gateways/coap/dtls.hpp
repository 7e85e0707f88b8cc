// DTLS for the libcoap gateways (CoAP on 5684, LwM2M on 5784): libcoap's OpenSSL backend does the
// handshakes inside the same context as plain UDP; this sets up its certificates and answers its
// PSK identity look-ups from the shared PSK table (psk.file.path), like every TLS listener.
#pragma once

#include <coap3/coap.h>

#include <memory>
#include <string>

#include "core/config/settings.hpp"
#include "core/net/psk_table.hpp"
#include "gateways/coap/dtls_settings.hpp"

namespace gatemq::gateway::coap {

class DtlsSetup {
 public:
  // Configures `context` (before its DTLS endpoint is made): certificates when the key and
  // certificate files are set, PSK when psk.file.path is set. `who` ("coap gateway") starts
  // every message. Throws std::runtime_error.
  DtlsSetup(coap_context_t* context, const DtlsSettings& settings, const config::PskSettings& psk,
            std::string who);
  DtlsSetup(const DtlsSetup&) = delete;
  DtlsSetup& operator=(const DtlsSetup&) = delete;

 private:
  static const coap_bin_const_t* find_key(coap_bin_const_t* identity, coap_session_t* session,
                                          void* self);

  DtlsSettings settings_;  // libcoap keeps pointers to the file names
  std::string who_;
  std::shared_ptr<const net::PskTable> psk_;
  coap_bin_const_t key_{};  // the key of the last identity looked up; libcoap copies it
};

// Whether `incoming` may act for what was set up through `established` (an LwM2M registration
// update or de-registration): anything may follow plain UDP, but what was set up over DTLS only
// over DTLS again, and with the same PSK identity when one was used. Otherwise anyone who learns
// the registration's location could move a secured device onto plain UDP or end it.
bool same_protection(const coap_session_t* established, const coap_session_t* incoming);

}  // namespace gatemq::gateway::coap
