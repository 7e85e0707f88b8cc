#include "core/net/tcp_listener.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "core/net/psk_table.hpp"
#include "core/net/tcp_transport.hpp"

namespace gatemq::net {

TcpListener::TcpListener(broker::Broker& broker, config::ListenerSettings settings,
                         std::string kind, ConnectionFactory factory)
    : broker_(broker),
      settings_(std::move(settings)),
      kind_(std::move(kind)),
      factory_(std::move(factory)),
      access_(settings_.access_rules),
      acceptor_(broker.workers().housekeeping()),
      rate_timer_(broker.workers().housekeeping()) {}

std::string TcpListener::description() const {
  return name() + " on " + settings_.bind_address + ":" +
         std::to_string(bound_port_ ? bound_port_ : settings_.port);
}

namespace {

std::shared_ptr<const TransportLayers> layers_for(const broker::Broker& broker,
                                                  const config::ListenerSettings& settings,
                                                  const std::string& name) {
  auto layers = std::make_shared<TransportLayers>();
  layers->proxy_protocol = settings.proxy_protocol;
  layers->proxy_protocol_timeout = settings.proxy_protocol_timeout;
  if (settings.tls) {
    const auto& psk = broker.settings().psk;
    std::shared_ptr<const PskTable> table;
    if (!psk.file.empty()) {
      table = std::make_shared<PskTable>(PskTable::load(psk.file, psk.delimiter));
    }
    layers->tls = std::make_shared<TlsContext>(*settings.tls, std::move(table), name);
    layers->tls_handshake_timeout = settings.tls->handshake_timeout;
  }
  if (settings.websocket) {
    layers->websocket = settings.websocket;
    layers->websocket_timeout = settings.websocket->idle_timeout.value_or(
        broker.settings().zone(settings.zone).idle_timeout);
  }
  return layers;
}

}  // namespace

void TcpListener::start() {
  layers_ = layers_for(broker_, settings_, name());
  std::error_code error;
  const auto address = asio::ip::make_address(settings_.bind_address, error);
  if (error) {
    throw std::runtime_error("listener " + name() + ": bad bind address '" +
                             settings_.bind_address + "'");
  }
  const asio::ip::tcp::endpoint endpoint(address, settings_.port);
  const auto fail = [&](const char* step) {
    throw std::runtime_error("listener " + name() + ": cannot " + step + " " +
                             settings_.bind_address + ":" + std::to_string(settings_.port) + ": " +
                             error.message());
  };
  acceptor_.open(endpoint.protocol(), error);
  if (error) fail("open");
  if (settings_.reuseaddr) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  acceptor_.bind(endpoint, error);
  if (error) fail("bind");
  acceptor_.listen(settings_.backlog, error);
  if (error) fail("listen on");
  bound_port_ = acceptor_.local_endpoint(error).port();

  tokens_ = static_cast<double>(settings_.max_conn_rate);
  refilled_at_ = std::chrono::steady_clock::now();
  // Several accepts in flight keep a burst of connects from queueing behind one loop.
  const unsigned loops = std::clamp(settings_.acceptors, 1u, 16u);
  for (unsigned i = 0; i < loops; ++i) {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept_next(); });
  }
}

void TcpListener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    std::error_code ignored;
    self->acceptor_.close(ignored);
    self->rate_timer_.cancel();
  });
}

void TcpListener::for_each_connection(
    const std::function<void(const std::shared_ptr<Connection>&)>& visit) {
  for (const auto& weak : connections_) {
    if (auto connection = weak.lock()) visit(connection);
  }
}

void TcpListener::close_connections(std::uint8_t reason_code) {
  for (const auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->close_by_broker(reason_code);
  }
  connections_.clear();
}

bool TcpListener::take_rate_token() {
  if (settings_.max_conn_rate == 0) return true;
  const auto now = std::chrono::steady_clock::now();
  const double rate = static_cast<double>(settings_.max_conn_rate);
  const std::chrono::duration<double> elapsed = now - refilled_at_;
  tokens_ = std::min(rate, tokens_ + elapsed.count() * rate);
  refilled_at_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::chrono::steady_clock::duration TcpListener::time_to_next_token() const {
  const double rate = static_cast<double>(std::max<std::uint64_t>(settings_.max_conn_rate, 1));
  const std::chrono::duration<double> wait((1.0 - tokens_) / rate);
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait) +
         std::chrono::milliseconds(1);
}

void TcpListener::accept_next() {
  if (stopped_) return;
  if (!take_rate_token()) {
    // Over max_conn_rate: leave new connections in the kernel backlog until a token is due.
    rate_timer_.expires_after(time_to_next_token());
    rate_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
      if (!error) self->accept_next();
    });
    return;
  }
  acceptor_.async_accept(
      broker_.workers().next(),
      [self = shared_from_this()](const std::error_code& error, asio::ip::tcp::socket socket) {
        self->on_accepted(error, std::move(socket));
      });
}

void TcpListener::apply_socket_options(asio::ip::tcp::socket& socket) {
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(settings_.nodelay), ignored);
  if (settings_.recbuf) {
    socket.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(*settings_.recbuf)),
                      ignored);
  }
  if (settings_.sndbuf) {
    socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(*settings_.sndbuf)),
                      ignored);
  }
}

void TcpListener::on_accepted(const std::error_code& error, asio::ip::tcp::socket socket) {
  if (stopped_ || error == asio::error::operation_aborted) return;
  if (error) {
    // Out of descriptors and similar: keep the listener alive, try again shortly.
    spdlog::warn("listener {}: accept failed: {}", name(), error.message());
    rate_timer_.expires_after(std::chrono::milliseconds(100));
    rate_timer_.async_wait([self = shared_from_this()](const std::error_code& wait_error) {
      if (!wait_error) self->accept_next();
    });
    return;
  }
  std::error_code peer_error;
  const auto peer = socket.remote_endpoint(peer_error);
  if (peer_error) {
    accept_next();
    return;
  }
  const auto refuse = [&](const char* why) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ > std::chrono::seconds(1)) {  // one line per second at most
      last_refusal_log_ = now;
      spdlog::warn("listener {}: refused {}:{}: {}", name(), peer.address().to_string(),
                   peer.port(), why);
    }
    std::error_code ignored;
    socket.close(ignored);
  };
  if (!access_.allows(peer.address())) {
    refuse("denied by access rules");
  } else if (live_->load() >= settings_.max_connections) {
    refuse("max_connections reached");
  } else if (broker_.counters().connections.load() >= broker_.settings().node.max_clients) {
    refuse("node.max_clients reached");
  } else {
    apply_socket_options(socket);
    live_->fetch_add(1);
    std::shared_ptr<void> lease(nullptr, [live = live_](void*) { live->fetch_sub(1); });
    auto transport = std::make_unique<TcpTransport>(std::move(socket), std::move(lease));
    if (!layers_->any()) {
      launch(std::move(transport));
    } else {
      auto executor = transport->executor();
      asio::post(executor, [self = shared_from_this(), transport = std::move(transport)]() mutable {
        set_up_transport(std::move(transport), self->layers_, self->name(),
                         [self](std::unique_ptr<Transport> ready) {
                           asio::post(self->acceptor_.get_executor(),
                                      [self, ready = std::move(ready)]() mutable {
                                        self->launch(std::move(ready));
                                      });
                         });
      });
    }
  }
  accept_next();
}

void TcpListener::launch(std::unique_ptr<Transport> transport) {
  if (stopped_) return;  // shutting down: the transport closes as it goes
  auto connection = factory_(std::move(transport));
  if (connections_.size() > 64 && connections_.size() > 2 * live_->load()) {
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  }
  connections_.push_back(connection);
  // The connection's first steps belong on its own worker thread.
  asio::post(connection->executor(), [connection] { connection->start(); });
}

}  // namespace gatemq::net
