#include "core/net/websocket_transport.hpp"

#include <algorithm>
#include <array>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <cctype>
#include <cstring>
#include <deque>

#include "core/config/values.hpp"
#include "core/net/websocket_codec.hpp"

namespace gatemq::net {

namespace {

class WebSocketCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "websocket"; }
  std::string message(int value) const override {
    switch (value) {
      case 400:
        return "bad upgrade request (400)";
      case 403:
        return "origin not allowed (403)";
      case 404:
        return "wrong path (404)";
      case 405:
        return "not a GET request (405)";
      case 426:
        return "unsupported WebSocket version (426)";
      case 431:
        return "upgrade request too large (431)";
      case ws::kCloseProtocolError:
        return "WebSocket protocol error (1002)";
      case ws::kCloseUnsupportedData:
        return "text frame; MQTT needs binary frames (1003)";
      case ws::kCloseInvalidPayload:
        return "invalid frame payload (1007)";
      case ws::kCloseMessageTooBig:
        return "message larger than max_frame_size (1009)";
      default:
        return "WebSocket error " + std::to_string(value);
    }
  }
};

std::error_code websocket_error(int value) {
  return {value, websocket_category()};
}

std::string lower(std::string_view text) {
  std::string result(text);
  for (auto& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

constexpr std::array<std::string_view, 3> kMqttProtocols{"mqtt", "mqttv3.1", "mqttv3.1.1"};

}  // namespace

const std::error_category& websocket_category() {
  static const WebSocketCategory category;
  return category;
}

struct WebSocketTransport::State : std::enable_shared_from_this<State> {
  struct Outgoing {
    std::string frame;
    std::size_t plaintext_size = 0;
    Handler handler;  // empty for control frames
  };

  std::unique_ptr<Transport> inner;
  config::WebSocketSettings settings;
  ws::FrameDecoder decoder;
  std::string head;  // the upgrade request as received so far
  std::array<char, 4 * 1024> read_chunk;  // per idle connection: kept small
  std::string subprotocol;
  std::optional<std::string> forwarded_host;
  std::optional<std::uint16_t> forwarded_port;
  bool open = false;           // upgrade answered with 101
  bool closing = false;        // a close frame is queued or sent, or close() was called
  std::error_code read_error;  // sticky: what every later read reports

  std::string plaintext;  // payload of binary messages not yet handed to the reader
  std::size_t plaintext_offset = 0;

  std::deque<Outgoing> outgoing;
  bool writing = false;
  bool close_after_flush = false;
  std::error_code write_error;
  std::unique_ptr<asio::steady_timer> linger;  // bounds the close frame's flush

  State(std::unique_ptr<Transport> inner_transport, const config::WebSocketSettings& ws_settings)
      : inner(std::move(inner_transport)),
        settings(ws_settings),
        decoder(ws_settings.max_frame_size) {}

  void read_head(std::function<void(const std::error_code&)> handler) {
    inner->async_read_some(asio::buffer(read_chunk),
                           [self = shared_from_this(), handler = std::move(handler)](
                               const std::error_code& error, std::size_t size) mutable {
                             if (error) return handler(error);
                             self->head.append(self->read_chunk.data(), size);
                             const auto parsed = ws::parse_upgrade_request(self->head);
                             switch (parsed.state) {
                               case ws::UpgradeParse::State::incomplete:
                                 return self->read_head(std::move(handler));
                               case ws::UpgradeParse::State::error:
                                 return self->refuse(parsed.error, std::move(handler));
                               case ws::UpgradeParse::State::complete:
                                 return self->answer(parsed, std::move(handler));
                             }
                           });
  }

  void refuse(const ws::HttpError& error, std::function<void(const std::error_code&)> handler) {
    queue(ws::error_response(error), 0, nullptr);
    closing = true;
    close_when_flushed();
    handler(websocket_error(error.status));
  }

  void answer(const ws::UpgradeParse& parsed, std::function<void(const std::error_code&)> handler) {
    const auto& request = parsed.request;
    if (request.target != settings.mqtt_path) {
      return refuse({404, "Not Found"}, std::move(handler));
    }
    if (settings.check_origin_enable) {
      const auto* origin = request.header("origin");
      if (!origin ||
          std::ranges::find(settings.allowed_origins, *origin) == settings.allowed_origins.end()) {
        return refuse({403, "Forbidden"}, std::move(handler));
      }
    }
    for (const auto& offered : request.protocols) {
      if (std::ranges::find(kMqttProtocols, lower(offered)) != kMqttProtocols.end()) {
        subprotocol = offered;
        break;
      }
    }
    if (subprotocol.empty() && settings.verify_protocol_header) {
      return refuse({400, "Bad Request"}, std::move(handler));
    }
    read_forwarded_address(request);
    queue(ws::upgrade_response(request, subprotocol), 0, nullptr);
    pump();
    open = true;
    decoder.feed(std::string_view(head).substr(parsed.consumed));
    std::string().swap(head);
    handler({});
  }

  // X-Forwarded-For: "client, proxy1, proxy2": the first entry is the client.
  void read_forwarded_address(const ws::UpgradeRequest& request) {
    if (!settings.proxy_address_header.empty()) {
      if (const auto* value = request.header(lower(settings.proxy_address_header))) {
        const auto first =
            config::values::trim(std::string_view(*value).substr(0, value->find(',')));
        if (!first.empty()) forwarded_host = std::string(first);
      }
    }
    if (!settings.proxy_port_header.empty()) {
      if (const auto* value = request.header(lower(settings.proxy_port_header))) {
        try {
          forwarded_port =
              static_cast<std::uint16_t>(config::values::unsigned_integer(*value, 65535));
        } catch (const std::invalid_argument&) {
          // A bad port header keeps the socket's port.
        }
      }
    }
  }

  void queue(std::string frame, std::size_t plaintext_size, Handler handler) {
    outgoing.push_back({std::move(frame), plaintext_size, std::move(handler)});
  }

  void pump() {
    if (writing || outgoing.empty()) return;
    if (write_error) return fail_writes();
    writing = true;
    inner->async_write(asio::buffer(outgoing.front().frame),
                       [self = shared_from_this()](const std::error_code& error, std::size_t) {
                         self->writing = false;
                         auto done = std::move(self->outgoing.front());
                         self->outgoing.pop_front();
                         if (error) {
                           self->write_error = error;
                           if (done.handler) done.handler(error, 0);
                           self->fail_writes();
                           return;
                         }
                         if (done.handler) done.handler({}, done.plaintext_size);
                         if (self->outgoing.empty() && self->close_after_flush) {
                           self->inner->close();
                           return;
                         }
                         self->pump();
                       });
  }

  void fail_writes() {
    auto failed = std::move(outgoing);
    outgoing.clear();
    for (auto& item : failed) {
      if (item.handler) item.handler(write_error, 0);
    }
  }

  // Queues a close frame and closes the socket once it is written.
  void send_close(std::uint16_t code, std::string_view reason) {
    if (closing) return;
    closing = true;
    queue(ws::encode_frame(ws::Opcode::close, ws::encode_close(code, reason)), 0, nullptr);
    close_when_flushed();
  }

  // The socket closes once everything queued is written, or after kCloseGrace if it never is.
  void close_when_flushed() {
    close_after_flush = true;
    pump();
    linger = std::make_unique<asio::steady_timer>(inner->executor(), kCloseGrace);
    linger->async_wait([self = shared_from_this()](const std::error_code& error) {
      if (!error) self->inner->close();
    });
  }

  std::size_t take_plaintext(asio::mutable_buffer buffer) {
    const std::size_t count = std::min(buffer.size(), plaintext.size() - plaintext_offset);
    std::memcpy(buffer.data(), plaintext.data() + plaintext_offset, count);
    plaintext_offset += count;
    if (plaintext_offset == plaintext.size()) {
      plaintext.clear();
      plaintext_offset = 0;
    }
    return count;
  }

  void read_step(asio::mutable_buffer buffer, Handler handler) {
    while (!read_error) {
      auto result = decoder.next();
      using Decoded = ws::FrameDecoder::Result::State;
      if (result.state == Decoded::need_more) break;
      if (result.state == Decoded::error) {
        send_close(result.close_code, result.reason);
        read_error = websocket_error(result.close_code);
        break;
      }
      auto& frame = result.frame;
      switch (frame.opcode) {
        case ws::Opcode::binary:
          plaintext.append(frame.payload);
          break;
        case ws::Opcode::text:
          send_close(ws::kCloseUnsupportedData, "MQTT needs binary frames");
          read_error = websocket_error(ws::kCloseUnsupportedData);
          break;
        case ws::Opcode::ping:
          if (!closing) {
            queue(ws::encode_frame(ws::Opcode::pong, frame.payload), 0, nullptr);
            pump();
          }
          break;
        case ws::Opcode::close: {
          // Echo the peer's code (RFC 6455 5.5.1), then the stream ends.
          const auto parsed = ws::parse_close(frame.payload);
          send_close(parsed.code == ws::kCloseNoStatus ? ws::kCloseNormal : parsed.code, "");
          read_error = asio::error::eof;
          break;
        }
        default:  // pong, continuation (the decoder reassembles): nothing to do
          break;
      }
    }
    if (plaintext_offset < plaintext.size()) return handler({}, take_plaintext(buffer));
    if (read_error) return handler(read_error, 0);
    inner->async_read_some(asio::buffer(read_chunk),
                           [self = shared_from_this(), buffer, handler = std::move(handler)](
                               const std::error_code& error, std::size_t size) mutable {
                             if (size > 0)
                               self->decoder.feed(std::string_view(self->read_chunk.data(), size));
                             if (error && size == 0) self->read_error = error;
                             self->read_step(buffer, std::move(handler));
                           });
  }
};

WebSocketTransport::WebSocketTransport(std::unique_ptr<Transport> inner,
                                       const config::WebSocketSettings& settings)
    : state_(std::make_shared<State>(std::move(inner), settings)) {}

WebSocketTransport::~WebSocketTransport() {
  if (!state_->close_after_flush) state_->inner->close();
}

void WebSocketTransport::async_accept(std::function<void(const std::error_code&)> handler) {
  state_->read_head(std::move(handler));
}

const std::string& WebSocketTransport::subprotocol() const {
  return state_->subprotocol;
}

asio::any_io_executor WebSocketTransport::executor() {
  return state_->inner->executor();
}

void WebSocketTransport::async_read_some(asio::mutable_buffer buffer, Handler handler) {
  asio::post(executor(), [state = state_, buffer, handler = std::move(handler)]() mutable {
    state->read_step(buffer, std::move(handler));
  });
}

void WebSocketTransport::async_write(asio::const_buffer buffer, Handler handler) {
  auto& state = *state_;
  if (state.closing || state.write_error) {
    const auto error =
        state.write_error ? state.write_error : std::error_code(asio::error::operation_aborted);
    asio::post(executor(), [handler = std::move(handler), error] { handler(error, 0); });
    return;
  }
  state.queue(
      ws::encode_frame(ws::Opcode::binary,
                       std::string_view(static_cast<const char*>(buffer.data()), buffer.size())),
      buffer.size(), std::move(handler));
  state.pump();
}

void WebSocketTransport::close() {
  auto& state = *state_;
  if (state.open && !state.closing && !state.writing && !state.write_error) {
    state.send_close(ws::kCloseNormal, "");
    return;
  }
  state.closing = true;
  // A refusal or close frame on its way closes the socket itself (or its linger timer does).
  if (state.close_after_flush && state.writing) return;
  state.close_after_flush = true;
  state.inner->close();
}

std::string WebSocketTransport::peer_host() const {
  return state_->forwarded_host ? *state_->forwarded_host : state_->inner->peer_host();
}

std::uint16_t WebSocketTransport::peer_port() const {
  return state_->forwarded_port ? *state_->forwarded_port : state_->inner->peer_port();
}

const TlsPeer* WebSocketTransport::tls_peer() const {
  return state_->inner->tls_peer();
}

}  // namespace gatemq::net
