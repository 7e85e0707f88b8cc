// The STOMP client's state machine. What a broker sends is hostile like any input: the gateway's
// parser checks every length, and a frame this client did not ask for is a protocol error.
#include "bench/stomp_client.hpp"

#include "bench/worker.hpp"

namespace gatemq::bench {

namespace stomp = gateway::stomp;

namespace {

constexpr auto kVersion = stomp::Version::v12;
// A broker's MESSAGE carries more headers than the gateway accepts from clients (RabbitMQ adds
// message-id, redelivered, subscription, ...), and the body is whatever --size said.
const stomp::FrameLimits kLimits{64, 64 * 1024, 16 * 1024 * 1024};
constexpr const char* kSubscribeReceipt = "subscribed";

}  // namespace

StompClient::StompClient(Worker& worker, std::uint32_t index) : TcpConnection(worker, index) {
  const auto& options = worker.options();
  if (options.mode != Mode::StompPub) return;
  send_frame_ = stomp::encode_frame(
      {"SEND", {{"destination", topic_}}, std::string(options.size, 'x')}, kVersion);
}

void StompClient::on_connected() {
  state_ = State::WaitConnack;
  const auto& options = worker_.options();
  stomp::Frame connect{
      "CONNECT", {{"accept-version", "1.2"}, {"host", "/"}, {"heart-beat", "0,0"}}, {}};
  if (options.username) connect.headers.emplace_back("login", *options.username);
  if (options.password) connect.headers.emplace_back("passcode", *options.password);
  queue(connect);
}

std::optional<std::size_t> StompClient::consume_frames(std::string_view input) {
  std::size_t used = 0;
  while (used < input.size()) {
    const auto parsed = stomp::parse_frame(input.substr(used), kVersion, kLimits);
    if (parsed.status == stomp::ParseResult::Status::NeedMore) break;
    if (parsed.status == stomp::ParseResult::Status::Invalid) {
      close(Why::ProtocolError);
      return std::nullopt;
    }
    used += parsed.consumed;
    if (parsed.status == stomp::ParseResult::Status::Complete && !handle_frame(parsed.frame)) {
      return std::nullopt;
    }
  }
  return used;
}

bool StompClient::handle_frame(const stomp::Frame& frame) {
  const bool connected = state_ == State::WaitTopicAck || state_ == State::Ready;
  if (frame.command == "MESSAGE" && connected) {
    note_received(frame.body);
  } else if (frame.command == "CONNECTED" && state_ == State::WaitConnack) {
    worker_.stats().counters.connected.add();
    if (worker_.options().mode != Mode::StompSub) {
      become_ready();
      return true;
    }
    state_ = State::WaitTopicAck;
    queue({"SUBSCRIBE",
           {{"id", "0"}, {"destination", topic_}, {"ack", "auto"}, {"receipt", kSubscribeReceipt}},
           {}});
  } else if (frame.command == "RECEIPT" && state_ == State::WaitTopicAck) {
    const auto* id = frame.header("receipt-id");
    if (!id || *id != kSubscribeReceipt) {
      close(Why::ProtocolError);
      return false;
    }
    become_ready();
  } else if (frame.command == "ERROR") {
    // Refused at CONNECT or SUBSCRIBE, or thrown out later: the broker closes the connection.
    close(state_ == State::Ready ? Why::Lost : Why::HandshakeFailed);
    return false;
  } else {
    close(Why::ProtocolError);
    return false;
  }
  return state_ != State::Closed;
}

void StompClient::publish_one() {
  const auto now = now_ns();
  out_ += send_frame_;
  stamp_payload(out_.data() + out_.size() - 1 - worker_.options().size, now);
  ++published_;
  note_sent(now);
}

void StompClient::queue(const stomp::Frame& frame) {
  out_ += stomp::encode_frame(frame, kVersion);
}

void StompClient::queue_goodbye() {
  queue({"DISCONNECT", {}, {}});
}

void StompClient::tick(std::uint64_t now) {
  if (state_ != State::Ready && handshake_overdue(now)) close(Why::HandshakeFailed);
}

}  // namespace gatemq::bench
