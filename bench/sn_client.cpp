// The MQTT-SN publisher's state machine, on the gateway's own codec. Every datagram from the
// gateway goes through its decoder, which checks lengths and fields; whatever does not decode, or
// is not something a publisher expects, is counted as a protocol error and dropped.
#include "bench/sn_client.hpp"

#include <asio/post.hpp>
#include <chrono>
#include <variant>

#include "bench/worker.hpp"

namespace gatemq::bench {

namespace sn = gateway::mqttsn;

namespace {

constexpr int kReadsPerWake = 64;                  // datagrams, then yield to other clients
constexpr std::uint64_t kFlatOutBatch = 64;        // messages per turn when flat out
constexpr std::uint64_t kAckWait = 5'000'000'000;  // ns without PUBACK: the window is lost

}  // namespace

SnClient::SnClient(Worker& worker, std::uint32_t index)
    : Connection(worker, index), socket_(worker.context()) {
  const auto& options = worker.options();
  auto& message = publish();
  message.flags.qos = options.qos;
  message.flags.retain = options.retain;
  if (options.sn_topic_id) {
    message.flags.topic_id_type = sn::TopicIdType::predefined;
    message.topic_id = options.sn_topic_id;
  } else if (options.sn_short_topic) {
    message.flags.topic_id_type = sn::TopicIdType::short_name;
    message.topic_id = sn::short_name_to_topic_id(topic_);
  }
  message.data.assign(options.size, 'x');
}

void SnClient::start() {
  begin_handshake(State::WaitConnack);
  const auto& target = worker_.target();
  const asio::ip::udp::endpoint gateway_endpoint(target.address(), target.port());
  asio::error_code ec;
  socket_.open(gateway_endpoint.protocol(), ec);
  if (const auto* source = worker_.source_for(index_); source && !ec) {
    socket_.bind(asio::ip::udp::endpoint(*source, 0), ec);
  }
  // A connected UDP socket takes datagrams from the gateway only and reports ICMP errors.
  if (!ec) socket_.connect(gateway_endpoint, ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) {
    // Reported from the event loop, not from inside the worker's launch loop.
    asio::post(worker_.context(), [this] { close(Why::HandshakeFailed); });
    return;
  }
  const auto& options = worker_.options();
  sn::Connect connect;
  connect.flags.clean_session = options.clean;
  connect.duration = options.keepalive;
  connect.client_id = client_id_;
  if (send(connect) != Sent::Yes) {
    asio::post(worker_.context(), [this] { close(Why::HandshakeFailed); });
    return;
  }
  arm_read();
}

SnClient::Sent SnClient::send(const sn::Message& message) {
  const auto bytes = sn::encode(message);
  asio::error_code ec;
  socket_.send(asio::buffer(bytes), 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::no_buffer_space) return Sent::WouldBlock;
  if (ec) return Sent::Failed;
  last_sent_ = now_ns();
  return Sent::Yes;
}

void SnClient::arm_read() {
  socket_.async_wait(asio::ip::udp::socket::wait_read, [this](const asio::error_code& error) {
    if (state_ == State::Closed) return;
    if (error) {
      close(Why::Lost);
      return;
    }
    on_readable();
  });
}

void SnClient::on_readable() {
  // As in Client: re-arm the wait only once the socket is drained, otherwise resume through
  // post() so the thread's other clients run in between.
  auto scratch = worker_.scratch();
  for (int reads = 0; reads < kReadsPerWake; ++reads) {
    asio::error_code ec;
    const auto n = socket_.receive(asio::buffer(scratch.data(), scratch.size()), 0, ec);
    if (ec == asio::error::would_block) {
      arm_read();
      return;
    }
    if (ec) {
      close(Why::Lost);  // ICMP port unreachable: nobody listens there
      return;
    }
    handle({reinterpret_cast<const std::uint8_t*>(scratch.data()), n});
    if (state_ == State::Closed) return;
  }
  asio::post(worker_.context(), [this] {
    if (state_ != State::Closed) on_readable();
  });
}

void SnClient::handle(std::span<const std::uint8_t> datagram) {
  const auto decoded = sn::decode(datagram);
  if (!decoded.ok()) {
    worker_.stats().counters.errors.add();
    return;
  }
  const auto& message = *decoded.message;
  if (const auto* puback = std::get_if<sn::Puback>(&message)) {
    on_puback(*puback);
  } else if (const auto* connack = std::get_if<sn::Connack>(&message)) {
    on_connack(*connack);
  } else if (const auto* regack = std::get_if<sn::Regack>(&message)) {
    on_regack(*regack);
  } else if (std::holds_alternative<sn::Disconnect>(message)) {
    close(Why::Lost);  // the gateway ended the session
  } else if (!std::holds_alternative<sn::Pingresp>(message)) {
    worker_.stats().counters.errors.add();  // nothing a publisher asked for
  }
}

void SnClient::on_connack(const sn::Connack& connack) {
  if (state_ != State::WaitConnack) {
    worker_.stats().counters.errors.add();
    return;
  }
  if (connack.return_code != sn::accepted) {
    close(Why::HandshakeFailed);
    return;
  }
  worker_.stats().counters.connected.add();
  if (publish().flags.topic_id_type != sn::TopicIdType::normal) {
    become_ready();  // predefined ids and short names need no registration
    return;
  }
  state_ = State::WaitTopicAck;
  register_msg_id_ = next_msg_id_++;
  if (send(sn::Register{0, register_msg_id_, topic_}) != Sent::Yes) close(Why::HandshakeFailed);
}

void SnClient::on_regack(const sn::Regack& regack) {
  if (state_ != State::WaitTopicAck || regack.msg_id != register_msg_id_) {
    worker_.stats().counters.errors.add();
    return;
  }
  if (regack.return_code != sn::accepted) {
    close(Why::HandshakeFailed);
    return;
  }
  publish().topic_id = regack.topic_id;
  become_ready();
}

void SnClient::on_puback(const sn::Puback& puback) {
  auto& counters = worker_.stats().counters;
  // A refusal (unknown topic id, congestion) also answers QoS 0: count it, and for QoS 1 the
  // slot is free again without the message counting as acknowledged.
  const bool accepted = puback.return_code == sn::accepted;
  const bool awaited = state_ == State::Ready && publish().flags.qos == 1 && inflight_ > 0;
  if (!accepted || !awaited) counters.errors.add();
  if (!awaited) return;
  --inflight_;
  last_acked_ = now_ns();
  if (accepted) counters.acked.add();
  finish_if_done();
  if (state_ == State::Ready && worker_.options().rate == 0) fill();
}

void SnClient::start_publishing() {
  const auto& options = worker_.options();
  if (options.mode != Mode::SnPub || state_ != State::Ready || stopping_) return;
  publishing_ = true;
  if (options.rate > 0) {
    start_pacer();
    return;
  }
  fill();
}

std::uint64_t SnClient::publish_due(std::uint64_t due) {
  std::uint64_t sent = 0;
  while (sent < due && can_publish() && publish_one() == Sent::Yes) ++sent;
  const auto& options = worker_.options();
  const bool all_sent = options.limit && published_ >= options.limit;
  if (all_sent || state_ != State::Ready || stopping_) pacer_->stop();
  return sent;
}

void SnClient::fill() {
  // Flat out: a batch per turn, then the other clients of the thread get theirs.
  for (std::uint64_t n = 0; n < kFlatOutBatch; ++n) {
    if (!can_publish()) return;  // done, or the QoS 1 window is full (PUBACK resumes)
    const auto sent = publish_one();
    if (sent == Sent::WouldBlock) {
      schedule_fill(true);
      return;
    }
    if (sent == Sent::Failed) return;
  }
  schedule_fill(false);
}

void SnClient::schedule_fill(bool wait_writable) {
  if (fill_scheduled_) return;
  fill_scheduled_ = true;
  auto resume = [this](const asio::error_code& error = {}) {
    fill_scheduled_ = false;
    if (!error && state_ == State::Ready) fill();
  };
  if (wait_writable) {
    socket_.async_wait(asio::ip::udp::socket::wait_write, resume);
  } else {
    asio::post(worker_.context(), [resume] { resume(); });
  }
}

bool SnClient::can_publish() const {
  const auto& options = worker_.options();
  if (!publishing_ || stopping_ || state_ != State::Ready) return false;
  if (options.limit && published_ >= options.limit) return false;
  return options.qos == 0 || inflight_ < options.inflight;
}

SnClient::Sent SnClient::publish_one() {
  const auto now = now_ns();
  auto& message = publish();
  stamp_payload(message.data.data(), now);
  if (message.flags.qos == 1) message.msg_id = next_msg_id_;
  const auto sent = send(publish_);
  if (sent == Sent::Failed) {
    close(Why::Lost);  // e.g. ICMP port unreachable from an earlier datagram
    return sent;
  }
  if (sent == Sent::WouldBlock) return sent;  // this message is not counted: it never left
  if (message.flags.qos == 1) {
    next_msg_id_ = next_msg_id_ == 0xFFFF ? 1 : next_msg_id_ + 1;
    if (inflight_++ == 0) last_acked_ = now;
  }
  ++published_;
  note_sent(now);
  finish_if_done();
  return sent;
}

void SnClient::finish_if_done() {
  const auto& options = worker_.options();
  if (!options.limit || published_ < options.limit || inflight_ > 0 || stopping_) return;
  worker_.stats().counters.finished.add();
  stop();
}

void SnClient::stop() {
  if (stopping_ || state_ == State::Closed) return;
  stopping_ = true;
  if (pacer_) pacer_->stop();
  // UDP sends at once: the DISCONNECT is out (or lost, as UDP may) when send() returns.
  if (state_ == State::Ready) send(sn::Disconnect{});
  close(Why::Stop);
}

void SnClient::tick(std::uint64_t now) {
  const auto& options = worker_.options();
  if (state_ == State::Ready) {
    if (inflight_ > 0 && now - last_acked_ > kAckWait) {
      inflight_ = 0;  // those PUBACKs (or PUBLISHes) were lost: count them so, move on
      finish_if_done();
      if (state_ == State::Ready && options.rate == 0) fill();
    }
    if (state_ == State::Ready && options.keepalive &&
        now - last_sent_ >= options.keepalive * 500'000'000ULL) {
      send(sn::Pingreq{});
    }
    return;
  }
  if (handshake_overdue(now)) close(Why::HandshakeFailed);
}

void SnClient::close_transport() {
  asio::error_code ignored;
  socket_.close(ignored);
}

}  // namespace gatemq::bench
