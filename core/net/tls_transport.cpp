#include "core/net/tls_transport.hpp"

#include <mbedtls/net_sockets.h>  // MBEDTLS_ERR_NET_*: our BIO reports socket errors with them
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <array>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <string>
#include <vector>

#include "core/net/tls_session_data.hpp"

namespace gatemq::net {

namespace {

class TlsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int value) const override { return tls_error_text(-value); }
};

std::error_code tls_error(int mbedtls_code) {
  return {-mbedtls_code, tls_category()};
}

std::string subject_cn(const mbedtls_x509_crt& certificate) {
  for (const mbedtls_x509_name* name = &certificate.subject; name; name = name->next) {
    if (name->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) == 0) {
      return {reinterpret_cast<const char*>(name->val.p), name->val.len};
    }
  }
  return {};
}

std::string subject_dn(const mbedtls_x509_crt& certificate) {
  std::array<char, 1024> text{};
  const int length = mbedtls_x509_dn_gets(text.data(), text.size(), &certificate.subject);
  return length > 0 ? std::string(text.data(), static_cast<std::size_t>(length)) : std::string();
}

}  // namespace

const std::error_category& tls_category() {
  static const TlsCategory category;
  return category;
}

struct TlsTransport::State final : TlsSessionData, std::enable_shared_from_this<State> {
  struct WriteWaiter {
    std::uint64_t flushed_target;  // done once this many ciphertext bytes reached the socket
    std::size_t plaintext_size;
    Handler handler;
  };

  std::shared_ptr<const TlsContext> context;
  std::unique_ptr<Transport> inner;
  mbedtls_ssl_context ssl;
  TlsPeer peer;
  bool handshake_done = false;
  bool closing = false;

  // Ciphertext received and not yet consumed by mbedTLS.
  std::vector<unsigned char> received;
  std::size_t received_offset = 0;
  // Small: mbedTLS keeps its own 16 KB record buffers; this only feeds them.
  std::array<unsigned char, 4 * 1024> read_chunk;
  bool inner_reading = false;
  std::error_code inner_error;  // eof or a socket error from the inner transport

  // Ciphertext mbedTLS produced: pending (appended by the BIO) and writing (on the socket).
  std::string pending, writing;
  bool inner_writing = false;
  std::uint64_t appended = 0, flushed = 0;
  std::deque<WriteWaiter> write_waiters;
  std::error_code write_error;
  std::unique_ptr<asio::steady_timer> linger;  // bounds close_notify's flush

  State(std::shared_ptr<const TlsContext> tls_context, std::unique_ptr<Transport> inner_transport)
      : context(std::move(tls_context)), inner(std::move(inner_transport)) {
    mbedtls_ssl_init(&ssl);
  }
  ~State() { mbedtls_ssl_free(&ssl); }

  // Returns 0 or an mbedTLS error.
  int setup() {
    if (int rc = mbedtls_ssl_setup(&ssl, context->config())) return rc;
    mbedtls_ssl_set_bio(&ssl, static_cast<TlsSessionData*>(this), &State::bio_send,
                        &State::bio_receive, nullptr);
    return 0;
  }

  static State& from(void* bio) { return static_cast<State&>(*static_cast<TlsSessionData*>(bio)); }

  static int bio_send(void* bio, const unsigned char* data, std::size_t size) {
    auto& self = from(bio);
    if (self.write_error) return MBEDTLS_ERR_NET_SEND_FAILED;
    self.pending.append(reinterpret_cast<const char*>(data), size);
    self.appended += size;
    return static_cast<int>(size);
  }

  static int bio_receive(void* bio, unsigned char* data, std::size_t size) {
    auto& self = from(bio);
    const std::size_t available = self.received.size() - self.received_offset;
    if (available == 0) {
      if (self.inner_error == asio::error::eof) return 0;  // mbedTLS: the peer closed
      if (self.inner_error) return MBEDTLS_ERR_NET_RECV_FAILED;
      return MBEDTLS_ERR_SSL_WANT_READ;
    }
    const std::size_t count = std::min(size, available);
    std::copy_n(self.received.begin() + static_cast<std::ptrdiff_t>(self.received_offset), count,
                data);
    self.received_offset += count;
    if (self.received_offset == self.received.size()) {
      self.received.clear();
      self.received_offset = 0;
    }
    return static_cast<int>(count);
  }

  // Reads more ciphertext, then runs `next`.
  void read_inner(std::function<void()> next) {
    if (inner_error) return next();  // bio_receive reports it
    inner_reading = true;
    inner->async_read_some(
        asio::buffer(read_chunk), [self = shared_from_this(), next = std::move(next)](
                                      const std::error_code& error, std::size_t size) {
          self->inner_reading = false;
          self->received.insert(self->received.end(), self->read_chunk.begin(),
                                self->read_chunk.begin() + static_cast<std::ptrdiff_t>(size));
          if (error && size == 0) self->inner_error = error;
          next();
        });
  }

  // Moves pending ciphertext to the socket, one inner write at a time.
  void flush() {
    if (inner_writing || pending.empty() || write_error) return;
    writing.clear();
    writing.swap(pending);
    inner_writing = true;
    inner->async_write(asio::buffer(writing),
                       [self = shared_from_this()](const std::error_code& error, std::size_t size) {
                         self->inner_writing = false;
                         if (error) {
                           self->write_error = error;
                           self->fail_writes(error);
                           return;
                         }
                         self->flushed += size;
                         while (!self->write_waiters.empty() &&
                                self->write_waiters.front().flushed_target <= self->flushed) {
                           auto waiter = std::move(self->write_waiters.front());
                           self->write_waiters.pop_front();
                           waiter.handler({}, waiter.plaintext_size);
                         }
                         if (self->closing && self->pending.empty()) {
                           self->inner->close();
                           return;
                         }
                         self->flush();
                       });
  }

  // Closes the socket after kCloseGrace unless the last flush closed it first.
  void close_later() {
    linger = std::make_unique<asio::steady_timer>(inner->executor(), kCloseGrace);
    linger->async_wait([self = shared_from_this()](const std::error_code& error) {
      if (!error) self->inner->close();
    });
  }

  void fail_writes(const std::error_code& error) {
    auto waiters = std::move(write_waiters);
    write_waiters.clear();
    for (auto& waiter : waiters) waiter.handler(error, 0);
  }

  void handshake_step(std::function<void(const std::error_code&)> handler) {
    const int rc = mbedtls_ssl_handshake(&ssl);
    flush();
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
      if (closing) return handler(asio::error::operation_aborted);
      read_inner([self = shared_from_this(), handler = std::move(handler)]() mutable {
        self->handshake_step(std::move(handler));
      });
      return;
    }
    if (rc != 0) {
      if (rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_NET_RECV_FAILED) {
        return handler(inner_error ? inner_error : tls_error(rc));
      }
      return handler(tls_error(rc));
    }
    handshake_done = true;
    handler(check_peer());
  }

  // VERIFY_OPTIONAL lets a client without a certificate through; one with a bad certificate is
  // refused here.
  std::error_code check_peer() {
    const auto* certificate = mbedtls_ssl_get_peer_cert(&ssl);
    const auto& settings = context->settings();
    if (certificate && settings.verify_peer) {
      const auto flags = mbedtls_ssl_get_verify_result(&ssl);
      if (flags != 0) return tls_error(MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
      peer.cert_cn = subject_cn(*certificate);
      peer.cert_dn = subject_dn(*certificate);
    }
    peer.psk_identity = psk_identity;
    return {};
  }

  void read_step(asio::mutable_buffer buffer, Handler handler) {
    const int rc =
        mbedtls_ssl_read(&ssl, static_cast<unsigned char*>(buffer.data()), buffer.size());
    flush();
    if (rc > 0) return handler({}, static_cast<std::size_t>(rc));
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
      if (closing) return handler(asio::error::operation_aborted, 0);
      read_inner([self = shared_from_this(), buffer, handler = std::move(handler)]() mutable {
        self->read_step(buffer, std::move(handler));
      });
      return;
    }
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF) {
      return handler(asio::error::eof, 0);
    }
    if (rc == MBEDTLS_ERR_NET_RECV_FAILED && inner_error) return handler(inner_error, 0);
    handler(tls_error(rc), 0);
  }
};

TlsTransport::TlsTransport(std::shared_ptr<const TlsContext> context,
                           std::unique_ptr<Transport> inner)
    : state_(std::make_shared<State>(std::move(context), std::move(inner))) {}

TlsTransport::~TlsTransport() {
  // Pending inner operations hold the state; closing ends them.
  if (!state_->closing) close();
}

void TlsTransport::async_handshake(std::function<void(const std::error_code&)> handler) {
  if (int rc = state_->setup()) {
    asio::post(executor(), [handler = std::move(handler), rc] { handler(tls_error(rc)); });
    return;
  }
  state_->handshake_step(std::move(handler));
}

asio::any_io_executor TlsTransport::executor() {
  return state_->inner->executor();
}

void TlsTransport::async_read_some(asio::mutable_buffer buffer, Handler handler) {
  // Completes through the executor even when plaintext is already buffered, as a socket would.
  asio::post(executor(), [state = state_, buffer, handler = std::move(handler)]() mutable {
    if (state->closing) return handler(asio::error::operation_aborted, 0);
    state->read_step(buffer, std::move(handler));
  });
}

void TlsTransport::async_write(asio::const_buffer buffer, Handler handler) {
  auto& state = *state_;
  const auto fail = [&](std::error_code error) {
    asio::post(executor(), [handler = std::move(handler), error] { handler(error, 0); });
  };
  if (state.closing) return fail(asio::error::operation_aborted);
  if (state.write_error) return fail(state.write_error);
  const auto* data = static_cast<const unsigned char*>(buffer.data());
  std::size_t written = 0;
  while (written < buffer.size()) {
    const int rc = mbedtls_ssl_write(&state.ssl, data + written, buffer.size() - written);
    if (rc < 0) return fail(state.write_error ? state.write_error : tls_error(rc));
    written += static_cast<std::size_t>(rc);
  }
  state.write_waiters.push_back({state.appended, buffer.size(), std::move(handler)});
  state.flush();
}

void TlsTransport::close() {
  auto& state = *state_;
  if (state.closing) return;
  state.closing = true;
  if (state.handshake_done && !state.write_error && !state.inner_writing) {
    mbedtls_ssl_close_notify(&state.ssl);  // best effort: queued, then the flush closes
    if (!state.pending.empty()) {
      state.flush();
      if (state.inner_writing) return state.close_later();
    }
  }
  state.inner->close();
}

std::string TlsTransport::peer_host() const {
  return state_->inner->peer_host();
}

std::uint16_t TlsTransport::peer_port() const {
  return state_->inner->peer_port();
}

const TlsPeer* TlsTransport::tls_peer() const {
  return state_->handshake_done ? &state_->peer : nullptr;
}

}  // namespace gatemq::net
