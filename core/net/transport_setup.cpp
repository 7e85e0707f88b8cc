#include "core/net/transport_setup.hpp"

#include <spdlog/spdlog.h>

#include <asio/error.hpp>
#include <asio/steady_timer.hpp>

#include "core/net/proxied_transport.hpp"
#include "core/net/proxy_protocol.hpp"
#include "core/net/tls_transport.hpp"
#include "core/net/websocket_transport.hpp"

namespace gatemq::net {

namespace {

class Setup : public std::enable_shared_from_this<Setup> {
 public:
  Setup(std::unique_ptr<Transport> transport, std::shared_ptr<const TransportLayers> layers,
        std::string listener_name, std::function<void(std::unique_ptr<Transport>)> ready)
      : transport_(std::move(transport)),
        layers_(std::move(layers)),
        listener_name_(std::move(listener_name)),
        ready_(std::move(ready)),
        timer_(transport_->executor()),
        peer_(transport_->peer_host() + ":" + std::to_string(transport_->peer_port())) {}

  void start() {
    if (layers_->proxy_protocol) return read_proxy_header();
    start_tls();
  }

 private:
  // Starts a stage bounded by `timeout`: on expiry the connection is logged and closed, and the
  // stage's pending step then fails into fail(), which does nothing more.
  void arm(std::string_view stage, std::chrono::milliseconds timeout) {
    stage_ = stage;
    timer_.expires_after(timeout);
    timer_.async_wait(
        [self = shared_from_this(), armed = ++generation_](const std::error_code& error) {
          // A stage that finished as the timer fired has moved on: its generation is stale.
          if (error || self->done_ || armed != self->generation_) return;
          self->timed_out_ = true;
          self->fail(self->stage_, "timed out", true);
        });
  }

  void disarm() {
    ++generation_;
    timer_.cancel();
  }

  void fail(std::string_view stage, const std::string& reason, bool quiet = false) {
    if (done_) return;
    done_ = true;
    disarm();
    const auto why = timed_out_ ? std::string("timed out") : reason;
    if (quiet || timed_out_) {
      spdlog::info("listener {}: {} dropped during {}: {}", listener_name_, peer_, stage, why);
    } else {
      spdlog::warn("listener {}: {} dropped during {}: {}", listener_name_, peer_, stage, why);
    }
    transport_->close();
  }

  static bool is_disconnect(const std::error_code& error) {
    return error == asio::error::eof || error == asio::error::connection_reset ||
           error == asio::error::operation_aborted;
  }

  void read_proxy_header() {
    arm("the PROXY header", layers_->proxy_protocol_timeout);
    read_proxy_bytes();
  }

  void read_proxy_bytes() {
    const auto wanted = std::max<std::size_t>(proxy::bytes_wanted(proxy_bytes_), 1);
    chunk_.resize(wanted);
    transport_->async_read_some(
        asio::buffer(chunk_),
        [self = shared_from_this()](const std::error_code& error, std::size_t size) {
          if (error) return self->fail("the PROXY header", error.message(), is_disconnect(error));
          self->proxy_bytes_.append(self->chunk_.data(), size);
          const auto parsed = proxy::parse(self->proxy_bytes_);
          switch (parsed.state) {
            case proxy::Parse::State::incomplete:
              return self->read_proxy_bytes();
            case proxy::Parse::State::error:
              return self->fail("the PROXY header", parsed.error);
            case proxy::Parse::State::complete:
              break;
          }
          std::optional<std::pair<std::string, std::uint16_t>> client;
          if (!parsed.header.local && parsed.header.source) {
            client.emplace(parsed.header.source->host, parsed.header.source->port);
            self->peer_ =
                client->first + ":" + std::to_string(client->second) + " (via " + self->peer_ + ")";
          }
          self->disarm();
          self->transport_ = std::make_unique<ProxiedTransport>(
              std::move(self->transport_), self->proxy_bytes_.substr(parsed.consumed),
              std::move(client));
          std::string().swap(self->proxy_bytes_);
          self->start_tls();
        });
  }

  void start_tls() {
    if (!layers_->tls) return start_websocket();
    auto tls = std::make_unique<TlsTransport>(layers_->tls, std::move(transport_));
    auto& handshake = *tls;
    transport_ = std::move(tls);
    arm("the TLS handshake", layers_->tls_handshake_timeout);
    handshake.async_handshake([self = shared_from_this()](const std::error_code& error) {
      if (error) return self->fail("the TLS handshake", error.message(), is_disconnect(error));
      self->disarm();
      self->start_websocket();
    });
  }

  void start_websocket() {
    if (!layers_->websocket) return finish();
    auto websocket =
        std::make_unique<WebSocketTransport>(std::move(transport_), *layers_->websocket);
    auto& upgrade = *websocket;
    transport_ = std::move(websocket);
    arm("the WebSocket upgrade", layers_->websocket_timeout);
    upgrade.async_accept([self = shared_from_this()](const std::error_code& error) {
      if (error) {
        return self->fail("the WebSocket upgrade", error.message(), is_disconnect(error));
      }
      self->disarm();
      self->finish();
    });
  }

  void finish() {
    done_ = true;
    disarm();
    ready_(std::move(transport_));
  }

  std::unique_ptr<Transport> transport_;
  std::shared_ptr<const TransportLayers> layers_;
  std::string listener_name_;
  std::function<void(std::unique_ptr<Transport>)> ready_;
  asio::steady_timer timer_;
  std::string peer_;  // for logs: "host:port", with the proxy's address once known
  std::string proxy_bytes_;
  std::string chunk_;
  std::string_view stage_;        // the stage running now, for the timeout's log line
  std::uint64_t generation_ = 0;  // bumped by every arm() and disarm()
  bool timed_out_ = false;
  bool done_ = false;
};

}  // namespace

void set_up_transport(std::unique_ptr<Transport> transport,
                      std::shared_ptr<const TransportLayers> layers, std::string listener_name,
                      std::function<void(std::unique_ptr<Transport>)> ready) {
  std::make_shared<Setup>(std::move(transport), std::move(layers), std::move(listener_name),
                          std::move(ready))
      ->start();
}

}  // namespace gatemq::net
