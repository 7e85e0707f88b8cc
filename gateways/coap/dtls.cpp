#include "gateways/coap/dtls.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "gateways/coap/libcoap.hpp"

namespace gatemq::gateway::coap {

DtlsSetup::DtlsSetup(coap_context_t* context, const DtlsSettings& settings,
                     std::shared_ptr<const net::PskTable> psk)
    : settings_(settings), psk_(std::move(psk)) {
  if (!coap_dtls_is_supported()) {
    throw std::runtime_error("coap gateway: this libcoap has no DTLS (coap.dtls.port is set)");
  }
  if (settings_.verify && !settings_.fail_if_no_peer_cert) {
    // libcoap's OpenSSL backend sets SSL_VERIFY_FAIL_IF_NO_PEER_CERT with every peer check.
    spdlog::warn(
        "coap gateway: coap.dtls.verify = verify_peer always requires a client "
        "certificate with libcoap (coap.dtls.fail_if_no_peer_cert = false has no effect)");
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
      throw std::runtime_error("coap gateway: cannot load coap.dtls.certfile '" +
                               settings_.certfile + "' / keyfile '" + settings_.keyfile + "'");
    }
    if (!settings_.cacertfile.empty() &&
        !coap_context_set_pki_root_cas(context, settings_.cacertfile.c_str(), nullptr)) {
      throw std::runtime_error("coap gateway: cannot load coap.dtls.cacertfile '" +
                               settings_.cacertfile + "'");
    }
  }
  if (psk_) {
    coap_dtls_spsk_t spsk{};
    spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    spsk.validate_id_call_back = find_key;
    spsk.id_call_back_arg = this;
    if (!coap_context_set_psk2(context, &spsk)) {
      throw std::runtime_error("coap gateway: cannot set up DTLS-PSK");
    }
  }
}

const coap_bin_const_t* DtlsSetup::find_key(coap_bin_const_t* identity, coap_session_t* session,
                                            void* self) {
  auto& setup = *static_cast<DtlsSetup*>(self);
  const auto name = identity ? view(*identity) : std::string_view{};
  const auto secret = setup.psk_ ? setup.psk_->secret(name) : std::nullopt;
  if (!secret) {
    spdlog::warn("coap gateway: DTLS-PSK identity '{}' from {} is unknown", name,
                 coap_session_str(session));
    return nullptr;
  }
  setup.key_.s = reinterpret_cast<const std::uint8_t*>(secret->data());
  setup.key_.length = secret->size();
  return &setup.key_;
}

}  // namespace gatemq::gateway::coap
