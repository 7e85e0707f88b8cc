// The benchmark connection's state machine. The hot paths (publishing, receiving PUBLISH) reuse
// per-client buffers and the worker's read buffer, so a message costs no allocation; everything
// else goes through the project's codec.
#include "bench/client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cstring>

#include "bench/worker.hpp"
#include "core/mqtt/codec.hpp"
#include "core/mqtt/wire.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace gatemq::bench {

namespace {

constexpr std::size_t kFlatOutBatch = 16 * 1024;   // bytes encoded per write when flat out
constexpr std::size_t kMaxBuffered = 1024 * 1024;  // a rate-limited publisher stops queueing
constexpr int kReadsPerWake = 4;                   // then yield to the other connections
constexpr std::uint64_t kPlausibleLatency = 3600ULL * 1000 * 1000 * 1000;
const mqtt::Properties kNoProperties{};

std::uint16_t read_u16(std::string_view body) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(body[0]) << 8) |
                                    static_cast<std::uint8_t>(body[1]));
}

}  // namespace

Client::Client(Worker& worker, std::uint32_t index)
    : Connection(worker, index), socket_(worker.context()) {
  const auto& options = worker.options();
  keepalive_ = options.keepalive;
  inflight_cap_ = options.inflight;
  if (options.mode == Mode::Pub) payload_.assign(options.size, 'x');
}

void Client::start() {
  begin_handshake(State::Connecting);
  asio::error_code ec;
  socket_.open(worker_.target().protocol(), ec);
  if (const auto* source = worker_.source_for(index_); source && !ec) {
    // Without this, bind() reserves a port for the address alone and 28k binds exhaust the
    // range; with it the port is picked at connect() time per 4-tuple.
    const int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    socket_.bind(asio::ip::tcp::endpoint(*source, 0), ec);
  }
  if (ec) {
    // Reported from the event loop, not from inside the worker's launch loop.
    asio::post(worker_.context(), [this] { close(Why::HandshakeFailed); });
    return;
  }
  socket_.async_connect(worker_.target(), [this](const asio::error_code& error) {
    if (state_ == State::Closed) return;
    if (error) {
      close(Why::HandshakeFailed);
      return;
    }
    on_connected();
  });
}

void Client::on_connected() {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  state_ = State::WaitConnack;
  const auto& options = worker_.options();
  mqtt::Connect connect;
  connect.version = options.version;
  connect.clean_start = options.clean;
  connect.keep_alive = options.keepalive;
  connect.client_id = client_id_;
  connect.username = options.username;
  connect.password = options.password;
  if (options.version == mqtt::ProtocolVersion::v5 && !options.clean) {
    connect.properties.session_expiry_interval = 0xFFFFFFFF;
  }
  queue(connect);
  flush();
  arm_read();
}

void Client::arm_read() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [this](const asio::error_code& error) {
    if (state_ == State::Closed) return;
    if (error) {
      close(Why::Lost);
      return;
    }
    on_readable();
  });
}

void Client::on_readable() {
  // Asio registers sockets edge-triggered and a wait starts no speculative read, so the wait may
  // be re-armed only once the socket is drained: after EAGAIN or a short read (any byte arriving
  // later raises a new edge). A socket still full after kReadsPerWake reads is resumed through
  // post() instead, which lets the thread's other connections run in between.
  auto scratch = worker_.scratch();
  bool drained = false;
  for (int reads = 0; reads < kReadsPerWake && !drained; ++reads) {
    asio::error_code ec;
    const auto n = socket_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
    if (ec == asio::error::would_block) {
      drained = true;
      break;
    }
    if (ec) {
      close(Why::Lost);
      return;
    }
    consume(std::string_view(scratch.data(), n));
    if (state_ == State::Closed) return;
    drained = n < scratch.size();
  }
  flush();  // every ack this batch produced, in one write
  if (drained) {
    arm_read();
  } else {
    asio::post(worker_.context(), [this] {
      if (state_ != State::Closed) on_readable();
    });
  }
}

void Client::consume(std::string_view data) {
  // Complete packets are handled straight from the read buffer; only a partial tail is copied.
  std::string_view input = data;
  if (!in_.empty()) {
    in_.append(data);
    input = in_;
  }
  std::size_t used = 0;
  while (used < input.size()) {
    const auto frame = mqtt::next_frame(input.substr(used), 0);
    if (frame.status == mqtt::Frame::Status::NeedMore) break;
    if (frame.status != mqtt::Frame::Status::Complete) {
      close(Why::ProtocolError);
      return;
    }
    used += frame.consumed;
    if (!handle_packet(frame.first_byte, frame.body)) return;
  }
  if (in_.empty()) {
    in_.assign(input.substr(used));
  } else {
    in_.erase(0, used);
  }
}

bool Client::handle_packet(std::uint8_t first_byte, std::string_view body) {
  const auto type = static_cast<mqtt::PacketType>(first_byte >> 4);
  const auto& options = worker_.options();
  switch (type) {
    case mqtt::PacketType::Publish:
      on_publish(first_byte, body);
      break;
    case mqtt::PacketType::Puback:
    case mqtt::PacketType::Pubcomp:
      if (inflight_ > 0) on_publish_done();
      break;
    case mqtt::PacketType::Pubrec:
      if (body.size() < 2) break;
      if (body.size() > 2 && static_cast<std::uint8_t>(body[2]) >= 0x80) {
        worker_.stats().counters.errors.add();  // refused: the exchange ends here
        if (inflight_ > 0) on_publish_done();
        break;
      }
      queue(mqtt::Pubrel{read_u16(body), 0, {}});
      break;
    case mqtt::PacketType::Pubrel:
      if (body.size() >= 2) queue(mqtt::Pubcomp{read_u16(body), 0, {}});
      break;
    case mqtt::PacketType::Pingresp:
      break;
    case mqtt::PacketType::Connack:
    case mqtt::PacketType::Suback: {
      auto result = mqtt::decode(first_byte, body, options.version);
      if (!result.ok()) {
        close(Why::ProtocolError);
        return false;
      }
      if (auto* connack = std::get_if<mqtt::Connack>(&result.packet)) {
        on_connack(*connack);
      } else if (auto* suback = std::get_if<mqtt::Suback>(&result.packet)) {
        const bool granted = std::all_of(suback->reason_codes.begin(), suback->reason_codes.end(),
                                         [](std::uint8_t code) { return code < 0x80; });
        if (!granted || state_ != State::WaitTopicAck) {
          close(Why::HandshakeFailed);
          return false;
        }
        become_ready();
      }
      break;
    }
    case mqtt::PacketType::Disconnect:
      close(Why::Lost);
      return false;
    default:
      close(Why::ProtocolError);
      return false;
  }
  return state_ != State::Closed;
}

void Client::on_connack(const mqtt::Connack& connack) {
  if (connack.reason_code != 0 || state_ != State::WaitConnack) {
    close(Why::HandshakeFailed);
    return;
  }
  worker_.stats().counters.connected.add();
  const auto& options = worker_.options();
  if (connack.properties.receive_maximum) {
    inflight_cap_ = std::min<std::uint32_t>(inflight_cap_, *connack.properties.receive_maximum);
  }
  if (connack.properties.server_keep_alive) keepalive_ = *connack.properties.server_keep_alive;
  if (options.mode != Mode::Sub) {
    become_ready();
    return;
  }
  mqtt::Subscribe subscribe;
  subscribe.packet_id = next_packet_id_++;
  subscribe.subscriptions.push_back({topic_, {options.qos, false, false, 0}});
  state_ = State::WaitTopicAck;
  queue(subscribe);
}

void Client::on_publish(std::uint8_t first_byte, std::string_view body) {
  auto& stats = worker_.stats();
  const auto qos = static_cast<std::uint8_t>((first_byte >> 1) & 0x03);
  std::uint16_t packet_id = 0;
  std::string_view payload;
  try {
    mqtt::wire::Reader reader(body);
    reader.bytes(reader.u16());  // the topic: one filter per subscriber, nothing to check
    if (qos > 0) packet_id = reader.u16();
    if (worker_.options().version == mqtt::ProtocolVersion::v5) reader.bytes(reader.varint());
    payload = reader.rest();
  } catch (const mqtt::wire::WireError&) {
    close(Why::ProtocolError);
    return;
  }
  const auto now = now_ns();
  stats.counters.received.add();
  if (!stats.marks.first_received) stats.marks.first_received = now;
  stats.marks.last_received = now;
  stats.last_received_live.store(now, std::memory_order_relaxed);
  std::uint64_t stamp = 0;
  if (payload.size() >= sizeof stamp) std::memcpy(&stamp, payload.data(), sizeof stamp);
  if (stamp && stamp <= now && now - stamp < kPlausibleLatency) {
    stats.latency.record(now - stamp);
  } else {
    stats.counters.unstamped.add();
  }
  if (qos == 1) queue(mqtt::Puback{packet_id, 0, {}});
  if (qos == 2) queue(mqtt::Pubrec{packet_id, 0, {}});
}

void Client::start_publishing() {
  const auto& options = worker_.options();
  if (options.mode != Mode::Pub || state_ != State::Ready || stopping_) return;
  publishing_ = true;
  if (options.rate > 0) {
    start_pacer();
    return;
  }
  fill();
  flush();
}

std::uint64_t Client::publish_due(std::uint64_t due) {
  const auto& options = worker_.options();
  std::uint64_t sent = 0;
  while (sent < due && can_publish() && out_.size() < kMaxBuffered) {
    publish_one();
    ++sent;
  }
  flush();
  if ((options.limit && published_ >= options.limit) || stopping_) pacer_->stop();
  return sent;
}

void Client::fill() {
  while (out_.size() < kFlatOutBatch && can_publish()) publish_one();
}

bool Client::can_publish() const {
  const auto& options = worker_.options();
  if (!publishing_ || stopping_ || state_ != State::Ready) return false;
  if (options.limit && published_ >= options.limit) return false;
  return options.qos == 0 || inflight_ < inflight_cap_;
}

void Client::publish_one() {
  const auto& options = worker_.options();
  const auto now = now_ns();
  stamp_payload(payload_.data(), now);
  mqtt::PublishHeader header{false, options.qos, options.retain, 0};
  if (options.qos > 0) {
    header.packet_id = next_packet_id_;
    next_packet_id_ = next_packet_id_ == 0xFFFF ? 1 : next_packet_id_ + 1;
    ++inflight_;
  }
  mqtt::encode_publish(header, topic_, kNoProperties, payload_, options.version, out_);
  ++published_;
  note_sent(now);
}

void Client::on_publish_done() {
  --inflight_;
  worker_.stats().counters.acked.add();
  const auto& options = worker_.options();
  if (options.rate == 0) fill();  // flushed once the whole read batch is handled
  if (options.limit && published_ >= options.limit && inflight_ == 0) {
    worker_.stats().counters.finished.add();
    stop();
  }
}

void Client::queue(const mqtt::Packet& packet) {
  mqtt::encode(packet, worker_.options().version, out_);
}

void Client::flush() {
  if (writing_now_ || out_.empty() || state_ == State::Closed) return;
  std::swap(out_, writing_);
  writing_now_ = true;
  last_sent_ = now_ns();
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](const asio::error_code& error, std::size_t) {
                      writing_now_ = false;
                      writing_.clear();
                      if (state_ == State::Closed) return;
                      if (error) {
                        close(Why::Lost);
                        return;
                      }
                      const auto& options = worker_.options();
                      if (publishing_ && options.rate == 0) fill();
                      if (options.qos == 0 && options.limit && published_ >= options.limit &&
                          publishing_ && !stopping_ && out_.empty()) {
                        worker_.stats().counters.finished.add();
                        stop();
                        return;
                      }
                      if (stopping_ && out_.empty()) {
                        close(Why::Stop);  // the DISCONNECT is out
                        return;
                      }
                      flush();
                    });
}

void Client::stop() {
  if (stopping_ || state_ == State::Closed) return;
  stopping_ = true;
  if (pacer_) pacer_->stop();
  if (state_ != State::Ready) {
    close(Why::Stop);
    return;
  }
  queue(mqtt::Disconnect{});
  if (!writing_now_) flush();
}

void Client::tick(std::uint64_t now) {
  if (state_ == State::Ready) {
    if (keepalive_ && !writing_now_ && now - last_sent_ >= keepalive_ * 500'000'000ULL) {
      queue(mqtt::Pingreq{});
      flush();
    }
    return;
  }
  if (handshake_overdue(now)) close(Why::HandshakeFailed);
}

void Client::close_transport() {
  asio::error_code ignored;
  socket_.close(ignored);
}

}  // namespace gatemq::bench
