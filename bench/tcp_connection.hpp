// What every benchmark client over TCP shares, whatever it speaks (MQTT in Client, STOMP in
// StompClient): connecting (from a --ifaddr source), reading into the worker's buffer while
// keeping only a partial frame, one write in flight with everything queued meanwhile going out in
// the next, and the publishing loop, paced or flat out. The protocol supplies its frames.
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/connection.hpp"

namespace gatemq::bench {

class TcpConnection : public Connection {
 public:
  void start() override;  // open the connection, then on_connected()
  void start_publishing() override;
  void stop() override;  // the protocol's goodbye frame once ready, then close

 protected:
  TcpConnection(Worker& worker, std::uint32_t index);

  // The socket is up: queue the protocol's first frame and set the state it waits in.
  virtual void on_connected() = 0;
  // Handles the complete frames at the start of `input` and returns the bytes they took (the
  // rest, a partial frame, is kept for the next read), or nullopt once the connection closed.
  virtual std::optional<std::size_t> consume_frames(std::string_view input) = 0;
  // May another message go out now (window, --limit)? Only asked while publishing.
  virtual bool window_open() const = 0;
  virtual void publish_one() = 0;  // appends one message to out_ and counts it
  // True when the broker acknowledges each message (MQTT QoS 1/2): such a publisher finishes
  // at --limit on its last acknowledgement, the others once their last message is written.
  virtual bool acknowledged() const = 0;
  virtual void queue_goodbye() = 0;  // DISCONNECT

  bool can_publish() const;
  void fill();   // flat out: encode up to a batch of messages
  void flush();  // start writing out_ unless a write is in flight

  std::string out_;  // frames waiting for the write in flight to finish
  std::uint64_t published_ = 0;
  std::uint64_t last_sent_ = 0;  // ns, for keep alive
  bool writing_now_ = false;

 private:
  void arm_read();
  void on_readable();
  void consume(std::string_view data);
  void on_written();
  std::uint64_t publish_due(std::uint64_t due) override;
  void close_transport() override;

  asio::ip::tcp::socket socket_;
  std::string in_;  // bytes of a frame not yet complete
  std::string writing_;
};

}  // namespace gatemq::bench
