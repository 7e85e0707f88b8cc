// MQTT over WebSocket (RFC 6455) on top of another Transport (TCP or TLS): answers the HTTP
// upgrade on the listener's mqtt_path, then turns binary messages into a byte stream for the
// MQTT channel and each write into one binary frame. MQTT packets may span frames and frames may
// hold several packets: the channel's stream parser does not care.
#pragma once

#include <functional>
#include <memory>
#include <system_error>

#include "core/config/settings.hpp"
#include "core/net/transport.hpp"

namespace gatemq::net {

// Upgrade refusals (value = HTTP status) and protocol closes (value = RFC 6455 close code).
const std::error_category& websocket_category();

class WebSocketTransport final : public Transport {
 public:
  WebSocketTransport(std::unique_ptr<Transport> inner, const config::WebSocketSettings& settings);
  ~WebSocketTransport() override;

  // Reads the upgrade request and answers it: 101 and the handler gets no error, or an HTTP
  // error response and the handler gets the status in websocket_category().
  void async_accept(std::function<void(const std::error_code&)> handler);
  // The sub-protocol agreed on ("mqtt", "mqttv3.1", ...; "" when the client offered none).
  const std::string& subprotocol() const;

  asio::any_io_executor executor() override;
  void async_read_some(asio::mutable_buffer buffer, Handler handler) override;
  void async_write(asio::const_buffer buffer, Handler handler) override;
  // Sends a close frame (1000) when nothing else is being written, then closes the inner one.
  void close() override;
  std::string peer_host() const override;
  std::uint16_t peer_port() const override;
  const TlsPeer* tls_peer() const override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gatemq::net
