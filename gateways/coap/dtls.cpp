#include "gateways/coap/dtls.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "gateways/coap/libcoap.hpp"

namespace gatemq::gateway::coap {

DtlsSetup::DtlsSetup(coap_context_t* context, const DtlsSettings& settings,
                     const config::PskSettings& psk, std::string who)
    : settings_(settings), who_(std::move(who)) {
  if (!coap_dtls_is_supported()) {
    throw std::runtime_error(who_ + ": this libcoap has no DTLS (its DTLS port is configured)");
  }
  if (!psk.file.empty()) {
    psk_ = std::make_shared<net::PskTable>(net::PskTable::load(psk.file, psk.delimiter));
  }
  if (settings_.verify && !settings_.fail_if_no_peer_cert) {
    // libcoap's OpenSSL backend sets SSL_VERIFY_FAIL_IF_NO_PEER_CERT with every peer check.
    spdlog::warn(
        "{}: verify = verify_peer always requires a client certificate with libcoap "
        "(fail_if_no_peer_cert = false has no effect)",
        who_);
  }
  // PSK before certificates. libcoap 4.3.1 (OpenSSL) makes the SSL object that takes the first
  // handshake in whichever of coap_context_set_psk2() / coap_context_set_pki() runs first, and
  // that object keeps the PSK callback the context had then. Its client-hello callback adds PSK
  // to a handshake only when the context has a default key, which a key per identity is not:
  // certificates first left the first PSK handshake after start with no PSK cipher
  // (handshake_failure); the later ones, on SSL objects made afterwards, worked. Certificates
  // are loaded into each handshake's SSL object as it starts, so their order does not matter.
  if (psk_) {
    coap_dtls_spsk_t spsk{};
    spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    spsk.validate_id_call_back = find_key;
    spsk.id_call_back_arg = this;
    if (!coap_context_set_psk2(context, &spsk)) {
      throw std::runtime_error(who_ + ": cannot set up DTLS-PSK");
    }
  }
  if (!settings_.certfile.empty()) {
    coap_dtls_pki_t pki{};
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = settings_.verify ? 1 : 0;
    pki.check_common_ca = settings_.verify && !settings_.cacertfile.empty() ? 1 : 0;
    pki.allow_self_signed = settings_.verify ? 0 : 1;
    pki.cert_chain_validation = 1;
    pki.cert_chain_verify_depth = 3;
    pki.allow_no_crl = 1;
    pki.allow_expired_crl = 1;
    pki.pki_key.key_type = COAP_PKI_KEY_PEM;
    pki.pki_key.key.pem.public_cert = settings_.certfile.c_str();
    pki.pki_key.key.pem.private_key = settings_.keyfile.c_str();
    pki.pki_key.key.pem.ca_file =
        settings_.cacertfile.empty() ? nullptr : settings_.cacertfile.c_str();
    if (!coap_context_set_pki(context, &pki)) {
      throw std::runtime_error(who_ + ": cannot load certfile '" + settings_.certfile +
                               "' / keyfile '" + settings_.keyfile + "'");
    }
    if (!settings_.cacertfile.empty() &&
        !coap_context_set_pki_root_cas(context, settings_.cacertfile.c_str(), nullptr)) {
      throw std::runtime_error(who_ + ": cannot load cacertfile '" + settings_.cacertfile + "'");
    }
  }
}

const coap_bin_const_t* DtlsSetup::find_key(coap_bin_const_t* identity, coap_session_t* session,
                                            void* self) {
  auto& setup = *static_cast<DtlsSetup*>(self);
  const auto name = identity ? view(*identity) : std::string_view{};
  const auto secret = setup.psk_ ? setup.psk_->secret(name) : std::nullopt;
  if (!secret) {
    spdlog::warn("{}: DTLS-PSK identity '{}' from {} is unknown", setup.who_, name,
                 coap_session_str(session));
    return nullptr;
  }
  setup.key_.s = reinterpret_cast<const std::uint8_t*>(secret->data());
  setup.key_.length = secret->size();
  return &setup.key_;
}

bool same_protection(const coap_session_t* established, const coap_session_t* incoming) {
  if (coap_session_get_proto(established) != COAP_PROTO_DTLS) return true;
  if (coap_session_get_proto(incoming) != COAP_PROTO_DTLS) return false;
  const auto* before = coap_session_get_psk_identity(established);
  const auto* now = coap_session_get_psk_identity(incoming);
  if (!before || !now) return before == now;
  return view(*before) == view(*now);
}

}  // namespace gatemq::gateway::coap
