// One benchmark connection: connect, CONNECT/CONNACK, optionally SUBSCRIBE/SUBACK, then publish
// or receive until told to stop. Runs on its worker's io_context only, so nothing is locked.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/mqtt/packet.hpp"

namespace gatemq::bench {

class Worker;

class Client {
 public:
  Client(Worker& worker, std::uint32_t index);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void start();             // open the connection (the worker paces the calls)
  void start_publishing();  // every client of the run is ready: go
  void stop();              // end of run: DISCONNECT and close, no error counted
  // Once a second: keep alive, and the handshake deadline.
  void tick(std::uint64_t now);

  bool ready() const { return state_ == State::Ready; }

 private:
  enum class State : std::uint8_t { Idle, Connecting, WaitConnack, WaitSuback, Ready, Closed };

  void on_connected();
  void arm_read();
  void on_readable();
  void consume(std::string_view data);
  bool handle_packet(std::uint8_t first_byte, std::string_view body);
  void on_connack(const mqtt::Connack& connack);
  void on_publish(std::uint8_t first_byte, std::string_view body);
  void on_publish_done();
  void become_ready();

  void schedule_publish();
  void publish_due();
  void fill();
  bool can_publish() const;
  void publish_one();
  void queue(const mqtt::Packet& packet);
  void flush();

  // Ends the connection; `failure` decides which counter says why.
  enum class Why : std::uint8_t { Stop, HandshakeFailed, Lost, ProtocolError };
  void close(Why why);

  Worker& worker_;
  std::uint32_t index_;
  asio::ip::tcp::socket socket_;
  std::optional<asio::steady_timer> publish_timer_;  // rate-limited publishers only
  std::string client_id_;
  std::string topic_;  // expanded topic or filter
  std::string in_;     // bytes of a packet not yet complete
  std::string out_;    // packets waiting for the write in flight to finish
  std::string writing_;
  std::string payload_;
  State state_ = State::Idle;
  bool writing_now_ = false;
  bool publishing_ = false;
  bool stopping_ = false;
  std::uint16_t next_packet_id_ = 1;
  std::uint32_t inflight_ = 0;
  std::uint32_t inflight_cap_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t publish_start_ = 0;  // ns, the rate schedule's origin
  std::uint64_t connect_started_ = 0;
  std::uint64_t last_sent_ = 0;
  std::uint16_t keepalive_ = 0;
};

}  // namespace gatemq::bench
