// The benchmark MQTT connection's state machine. The hot paths (publishing, receiving PUBLISH)
// reuse per-client buffers, so a message costs no allocation; everything else goes through the
// project's codec.
#include "bench/client.hpp"

#include <algorithm>

#include "bench/worker.hpp"
#include "core/mqtt/codec.hpp"
#include "core/mqtt/wire.hpp"

namespace gatemq::bench {

namespace {

const mqtt::Properties kNoProperties{};

std::uint16_t read_u16(std::string_view body) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(body[0]) << 8) |
                                    static_cast<std::uint8_t>(body[1]));
}

}  // namespace

Client::Client(Worker& worker, std::uint32_t index) : TcpConnection(worker, index) {
  const auto& options = worker.options();
  keepalive_ = options.keepalive;
  inflight_cap_ = options.inflight;
  if (options.mode == Mode::Pub) payload_.assign(options.size, 'x');
}

void Client::on_connected() {
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
}

std::optional<std::size_t> Client::consume_frames(std::string_view input) {
  std::size_t used = 0;
  while (used < input.size()) {
    const auto frame = mqtt::next_frame(input.substr(used), 0);
    if (frame.status == mqtt::Frame::Status::NeedMore) break;
    if (frame.status != mqtt::Frame::Status::Complete) {
      close(Why::ProtocolError);
      return std::nullopt;
    }
    used += frame.consumed;
    if (!handle_packet(frame.first_byte, frame.body)) return std::nullopt;
  }
  return used;
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
  note_received(payload);
  if (qos == 1) queue(mqtt::Puback{packet_id, 0, {}});
  if (qos == 2) queue(mqtt::Pubrec{packet_id, 0, {}});
}

bool Client::window_open() const {
  return worker_.options().qos == 0 || inflight_ < inflight_cap_;
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

bool Client::acknowledged() const {
  return worker_.options().qos > 0;
}

void Client::queue(const mqtt::Packet& packet) {
  mqtt::encode(packet, worker_.options().version, out_);
}

void Client::queue_goodbye() {
  queue(mqtt::Disconnect{});
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

}  // namespace gatemq::bench
