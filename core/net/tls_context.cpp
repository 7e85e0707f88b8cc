#include "core/net/tls_context.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

#include "core/net/tls_session_data.hpp"

namespace gatemq::net {

namespace {

// OpenSSL's cipher part ("AES256-GCM-SHA384", "AES128-SHA") in mbedTLS spelling
// ("AES-256-GCM-SHA384", "AES-128-CBC-SHA").
std::string mbedtls_cipher_part(std::string cipher) {
  for (const auto& [from, to] : {std::pair{"AES128", "AES-128"}, std::pair{"AES256", "AES-256"},
                                 std::pair{"DES-CBC3", "3DES-EDE-CBC"}}) {
    if (cipher.starts_with(from)) cipher = to + cipher.substr(std::string_view(from).size());
  }
  if (cipher.starts_with("AES-") && cipher.compare(7, 4, "-SHA") == 0) cipher.insert(7, "-CBC");
  if (cipher == "CHACHA20-POLY1305") cipher += "-SHA256";
  return cipher;
}

std::string openssl_to_mbedtls(const std::string& name) {
  // Key exchange prefixes, longest first; no prefix means RSA key exchange.
  static constexpr std::string_view kExchanges[] = {"ECDHE-ECDSA-", "ECDHE-RSA-", "ECDHE-PSK-",
                                                    "DHE-RSA-",     "DHE-PSK-",   "RSA-PSK-",
                                                    "ECDH-ECDSA-",  "ECDH-RSA-",  "PSK-"};
  std::string exchange = "RSA";
  std::string cipher = name;
  for (auto prefix : kExchanges) {
    if (name.starts_with(prefix)) {
      exchange = std::string(prefix.substr(0, prefix.size() - 1));
      cipher = name.substr(prefix.size());
      break;
    }
  }
  return "TLS-" + exchange + "-WITH-" + mbedtls_cipher_part(cipher);
}

int minor_version(const std::string& version) {
  if (version == "tlsv1.2") return MBEDTLS_SSL_MINOR_VERSION_3;
  if (version == "tlsv1.1") return MBEDTLS_SSL_MINOR_VERSION_2;
  if (version == "tlsv1") return MBEDTLS_SSL_MINOR_VERSION_1;
  return -1;  // tlsv1.3: not in mbedTLS 2.28
}

// PSK handshakes: the table lookup for the identity the client sent.
int lookup_psk(void* table_pointer, mbedtls_ssl_context* ssl, const unsigned char* identity,
               std::size_t identity_length) {
  const auto* table = static_cast<const PskTable*>(table_pointer);
  const std::string_view name(reinterpret_cast<const char*>(identity), identity_length);
  const auto secret = table->secret(name);
  if (!secret) return -1;
  if (auto* data = TlsSessionData::of(ssl)) data->psk_identity = std::string(name);
  return mbedtls_ssl_set_hs_psk(ssl, reinterpret_cast<const unsigned char*>(secret->data()),
                                secret->size());
}

}  // namespace

std::string tls_error_text(int code) {
  char text[200];
  mbedtls_strerror(code, text, sizeof text);
  return text;
}

int ciphersuite_id(const std::string& name) {
  if (name.starts_with("TLS-")) return mbedtls_ssl_get_ciphersuite_id(name.c_str());
  return mbedtls_ssl_get_ciphersuite_id(openssl_to_mbedtls(name).c_str());
}

struct TlsContext::Impl {
  mbedtls_ssl_config config;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context random;  // thread-safe: mbedTLS is built with MBEDTLS_THREADING_C
  mbedtls_x509_crt certificate;
  mbedtls_x509_crt ca;
  mbedtls_pk_context key;
  mbedtls_ssl_cache_context cache;
  mbedtls_ssl_ticket_context tickets;
  std::vector<int> suites;  // zero-terminated; mbedTLS keeps a pointer to it

  Impl() {
    mbedtls_ssl_config_init(&config);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&random);
    mbedtls_x509_crt_init(&certificate);
    mbedtls_x509_crt_init(&ca);
    mbedtls_pk_init(&key);
    mbedtls_ssl_cache_init(&cache);
    mbedtls_ssl_ticket_init(&tickets);
  }
  ~Impl() {
    mbedtls_ssl_ticket_free(&tickets);
    mbedtls_ssl_cache_free(&cache);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_crt_free(&certificate);
    mbedtls_ctr_drbg_free(&random);
    mbedtls_entropy_free(&entropy);
    mbedtls_ssl_config_free(&config);
  }
};

TlsContext::TlsContext(const config::TlsSettings& settings, std::shared_ptr<const PskTable> psk,
                       const std::string& listener_name)
    : settings_(settings), psk_(std::move(psk)), impl_(std::make_unique<Impl>()) {
  const auto fail = [&](const std::string& what, int code = 0) {
    throw std::runtime_error("listener " + listener_name + ": " + what +
                             (code ? ": " + tls_error_text(code) : std::string()));
  };
  // Relative paths resolve against the working directory; say which one when a file is missing.
  const auto file = [](const std::string& path) {
    std::error_code error;
    if (std::filesystem::path(path).is_absolute()) return "'" + path + "'";
    return "'" + path + "' (relative to " + std::filesystem::current_path(error).string() + ")";
  };
  auto& c = *impl_;
  static constexpr char kPersonalization[] = "gatemq tls";
  if (int rc = mbedtls_ctr_drbg_seed(&c.random, mbedtls_entropy_func, &c.entropy,
                                     reinterpret_cast<const unsigned char*>(kPersonalization),
                                     sizeof kPersonalization - 1)) {
    fail("cannot seed the random generator", rc);
  }
  if (int rc =
          mbedtls_ssl_config_defaults(&c.config, MBEDTLS_SSL_IS_SERVER,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) {
    fail("cannot set TLS defaults", rc);
  }
  mbedtls_ssl_conf_rng(&c.config, mbedtls_ctr_drbg_random, &c.random);

  const bool has_psk = psk_ && psk_->size() > 0;
  if (settings.certfile.empty() != settings.keyfile.empty()) {
    fail("certfile and keyfile go together; only one is set");
  }
  if (settings.certfile.empty() && !has_psk) {
    fail("a TLS listener needs certfile and keyfile (or a PSK table, psk.file.path)");
  }
  if (!settings.certfile.empty()) {
    if (int rc = mbedtls_x509_crt_parse_file(&c.certificate, settings.certfile.c_str())) {
      fail("cannot load certfile " + file(settings.certfile), rc);
    }
    if (int rc = mbedtls_pk_parse_keyfile(&c.key, settings.keyfile.c_str(), nullptr)) {
      fail("cannot load keyfile " + file(settings.keyfile), rc);
    }
    // mbedTLS would only find out in the first handshake.
    if (int rc = mbedtls_pk_check_pair(&c.certificate.pk, &c.key)) {
      fail("certfile and keyfile do not go together", rc);
    }
    if (int rc = mbedtls_ssl_conf_own_cert(&c.config, &c.certificate, &c.key)) {
      fail("certfile and keyfile do not go together", rc);
    }
  }
  if (!settings.cacertfile.empty()) {
    if (int rc = mbedtls_x509_crt_parse_file(&c.ca, settings.cacertfile.c_str())) {
      fail("cannot load cacertfile " + file(settings.cacertfile), rc);
    }
    mbedtls_ssl_conf_ca_chain(&c.config, &c.ca, nullptr);
  }
  if (settings.verify_peer) {
    if (settings.cacertfile.empty()) fail("verify = verify_peer needs cacertfile");
    // Optional: the handshake goes on without a certificate and TlsTransport decides, so a
    // missing certificate and a bad one are told apart in the log.
    mbedtls_ssl_conf_authmode(&c.config, settings.fail_if_no_peer_cert
                                             ? MBEDTLS_SSL_VERIFY_REQUIRED
                                             : MBEDTLS_SSL_VERIFY_OPTIONAL);
  } else {
    mbedtls_ssl_conf_authmode(&c.config, MBEDTLS_SSL_VERIFY_NONE);
  }
  if (!settings.dhfile.empty()) {
    spdlog::warn("listener {}: dhfile '{}' is ignored: mbedTLS negotiates ECDHE, not DHE",
                 listener_name, settings.dhfile);
  }

  int lowest = MBEDTLS_SSL_MINOR_VERSION_3, highest = -1;
  for (const auto& version : settings.tls_versions) {
    const int minor = minor_version(version);
    if (minor < 0) {
      spdlog::warn("listener {}: tls_versions: {} is not available with mbedTLS 2.28; skipped",
                   listener_name, version);
      continue;
    }
    lowest = std::min(lowest, minor);
    highest = std::max(highest, minor);
  }
  if (highest < 0) fail("tls_versions names no version mbedTLS 2.28 has (tlsv1.2, tlsv1.1, tlsv1)");
  mbedtls_ssl_conf_min_version(&c.config, MBEDTLS_SSL_MAJOR_VERSION_3, lowest);
  mbedtls_ssl_conf_max_version(&c.config, MBEDTLS_SSL_MAJOR_VERSION_3, highest);

  if (!settings.ciphers.empty() || has_psk) {
    auto add = [&](const std::vector<std::string>& names) {
      for (const auto& name : names) {
        if (const int id = ciphersuite_id(name)) {
          c.suites.push_back(id);
        } else {
          spdlog::debug("listener {}: cipher {} is not in mbedTLS; skipped", listener_name, name);
        }
      }
    };
    // PSK suites first: only clients holding a PSK offer them, and a server that picked a
    // certificate suite instead would let such a client in without checking its key.
    if (has_psk && settings.psk_ciphers.empty()) {
      for (const int* id = mbedtls_ssl_list_ciphersuites(); *id; ++id) {
        const auto* info = mbedtls_ssl_ciphersuite_from_id(*id);
        if (info && mbedtls_ssl_ciphersuite_uses_psk(info)) c.suites.push_back(*id);
      }
    } else if (has_psk) {
      add(settings.psk_ciphers);
    }
    if (settings.ciphers.empty()) {
      for (const int* id = mbedtls_ssl_list_ciphersuites(); *id; ++id) {
        const auto* info = mbedtls_ssl_ciphersuite_from_id(*id);
        if (info && !mbedtls_ssl_ciphersuite_uses_psk(info)) c.suites.push_back(*id);
      }
    }
    add(settings.ciphers);
    if (c.suites.empty()) fail("ciphers names no cipher suite mbedTLS has");
    c.suites.push_back(0);
    mbedtls_ssl_conf_ciphersuites(&c.config, c.suites.data());
  }
  if (has_psk) mbedtls_ssl_conf_psk_cb(&c.config, lookup_psk, const_cast<PskTable*>(psk_.get()));

  if (settings.reuse_sessions) {
    mbedtls_ssl_conf_session_cache(&c.config, &c.cache, mbedtls_ssl_cache_get,
                                   mbedtls_ssl_cache_set);
    if (int rc = mbedtls_ssl_ticket_setup(&c.tickets, mbedtls_ctr_drbg_random, &c.random,
                                          MBEDTLS_CIPHER_AES_256_GCM, 86400)) {
      fail("cannot set up session tickets", rc);
    }
    mbedtls_ssl_conf_session_tickets_cb(&c.config, mbedtls_ssl_ticket_write,
                                        mbedtls_ssl_ticket_parse, &c.tickets);
  }
  // mbedTLS 2.28 servers always pick by their own preference order; honor_cipher_order = off
  // cannot be had and needs no warning for the default.
}

TlsContext::~TlsContext() = default;

const mbedtls_ssl_config* TlsContext::config() const {
  return &impl_->config;
}

}  // namespace gatemq::net
