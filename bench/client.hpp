// One benchmark connection: connect, CONNECT/CONNACK, optionally SUBSCRIBE/SUBACK, then publish
// or receive until told to stop. Runs on its worker's io_context only, so nothing is locked.
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/connection.hpp"
#include "core/mqtt/packet.hpp"

namespace gatemq::bench {

class Client final : public Connection {
 public:
  Client(Worker& worker, std::uint32_t index);

  void start() override;  // open the connection
  void start_publishing() override;
  void stop() override;
  void tick(std::uint64_t now) override;

 private:
  void on_connected();
  void arm_read();
  void on_readable();
  void consume(std::string_view data);
  bool handle_packet(std::uint8_t first_byte, std::string_view body);
  void on_connack(const mqtt::Connack& connack);
  void on_publish(std::uint8_t first_byte, std::string_view body);
  void on_publish_done();

  std::uint64_t publish_due(std::uint64_t due) override;
  void fill();
  bool can_publish() const;
  void publish_one();
  void queue(const mqtt::Packet& packet);
  void flush();

  void close_transport() override;

  asio::ip::tcp::socket socket_;
  std::string in_;   // bytes of a packet not yet complete
  std::string out_;  // packets waiting for the write in flight to finish
  std::string writing_;
  std::string payload_;
  bool writing_now_ = false;
  std::uint16_t next_packet_id_ = 1;
  std::uint32_t inflight_ = 0;
  std::uint32_t inflight_cap_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t last_sent_ = 0;
  std::uint16_t keepalive_ = 0;
};

}  // namespace gatemq::bench
