#include "core/config/settings.hpp"

namespace gatemq::config {

namespace {

// The seed's default cipher list for listener.ssl.external (OpenSSL names). Suites mbedTLS does
// not implement (static ECDH, DSS, 3DES) are skipped when the TLS context is built.
std::vector<std::string> seed_ciphers() {
  return {"ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-RSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-AES256-SHA384",
          "ECDHE-RSA-AES256-SHA384",
          "ECDHE-ECDSA-DES-CBC3-SHA",
          "ECDH-ECDSA-AES256-GCM-SHA384",
          "ECDH-RSA-AES256-GCM-SHA384",
          "ECDH-ECDSA-AES256-SHA384",
          "ECDH-RSA-AES256-SHA384",
          "DHE-DSS-AES256-GCM-SHA384",
          "DHE-DSS-AES256-SHA256",
          "AES256-GCM-SHA384",
          "AES256-SHA256",
          "ECDHE-ECDSA-AES128-GCM-SHA256",
          "ECDHE-RSA-AES128-GCM-SHA256",
          "ECDHE-ECDSA-AES128-SHA256",
          "ECDHE-RSA-AES128-SHA256",
          "ECDH-ECDSA-AES128-GCM-SHA256",
          "ECDH-RSA-AES128-GCM-SHA256",
          "ECDH-ECDSA-AES128-SHA256",
          "ECDH-RSA-AES128-SHA256",
          "DHE-DSS-AES128-GCM-SHA256",
          "DHE-DSS-AES128-SHA256",
          "AES128-GCM-SHA256",
          "AES128-SHA256",
          "ECDHE-ECDSA-AES256-SHA",
          "ECDHE-RSA-AES256-SHA",
          "DHE-DSS-AES256-SHA",
          "ECDH-ECDSA-AES256-SHA",
          "ECDH-RSA-AES256-SHA",
          "AES256-SHA",
          "ECDHE-ECDSA-AES128-SHA",
          "ECDHE-RSA-AES128-SHA",
          "DHE-DSS-AES128-SHA",
          "ECDH-ECDSA-AES128-SHA",
          "ECDH-RSA-AES128-SHA",
          "AES128-SHA"};
}

TlsSettings test_certificates() {
  TlsSettings tls;
  tls.keyfile = "etc/certs/key.pem";
  tls.certfile = "etc/certs/cert.pem";
  return tls;
}

}  // namespace

ListenerSettings ssl_listener_defaults() {
  ListenerSettings listener;
  listener.kind = "ssl";
  listener.port = 8883;
  listener.acceptors = 16;
  listener.max_connections = 102400;
  listener.max_conn_rate = 500;
  listener.tls = test_certificates();
  listener.tls->ciphers = seed_ciphers();
  return listener;
}

ListenerSettings ws_listener_defaults() {
  ListenerSettings listener;
  listener.kind = "ws";
  listener.port = 8083;
  listener.acceptors = 4;
  listener.max_connections = 102400;
  listener.max_conn_rate = 1000;
  listener.websocket = WebSocketSettings{};
  return listener;
}

ListenerSettings wss_listener_defaults() {
  ListenerSettings listener;
  listener.kind = "wss";
  listener.port = 8084;
  listener.acceptors = 4;
  listener.max_connections = 16;  // the seed's default, kept: raise it for real WSS traffic
  listener.max_conn_rate = 1000;
  listener.tls = test_certificates();
  listener.websocket = WebSocketSettings{};
  return listener;
}

}  // namespace gatemq::config
