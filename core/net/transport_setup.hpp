// The layers a listener puts between an accepted socket and its protocol, in wire order: a PROXY
// protocol header, a TLS handshake, a WebSocket upgrade. Each runs on the connection's executor
// and is bounded by its own timeout, so a client that stalls mid-handshake costs nothing.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config/settings.hpp"
#include "core/net/tls_context.hpp"
#include "core/net/transport.hpp"

namespace gatemq::net {

struct TransportLayers {
  bool proxy_protocol = false;
  std::chrono::milliseconds proxy_protocol_timeout{3000};
  std::shared_ptr<const TlsContext> tls;
  std::chrono::milliseconds tls_handshake_timeout{15000};
  std::optional<config::WebSocketSettings> websocket;
  std::chrono::milliseconds websocket_timeout{15000};

  bool any() const { return proxy_protocol || tls || websocket; }
};

// Runs the layers over `transport`; `ready` gets the finished transport. A connection that fails
// or times out is logged (listener, peer, reason) and closed; `ready` is then never called.
void set_up_transport(std::unique_ptr<Transport> transport,
                      std::shared_ptr<const TransportLayers> layers, std::string listener_name,
                      std::function<void(std::unique_ptr<Transport>)> ready);

}  // namespace gatemq::net
