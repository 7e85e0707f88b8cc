// One benchmark MQTT connection: CONNECT/CONNACK, optionally SUBSCRIBE/SUBACK, then publish
// or receive until told to stop. Runs on its worker's io_context only, so nothing is locked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/tcp_connection.hpp"
#include "core/mqtt/packet.hpp"

namespace gatemq::bench {

class Client final : public TcpConnection {
 public:
  Client(Worker& worker, std::uint32_t index);

  void tick(std::uint64_t now) override;

 private:
  void on_connected() override;
  std::optional<std::size_t> consume_frames(std::string_view input) override;
  bool handle_packet(std::uint8_t first_byte, std::string_view body);
  void on_connack(const mqtt::Connack& connack);
  void on_publish(std::uint8_t first_byte, std::string_view body);
  void on_publish_done();

  bool window_open() const override;
  void publish_one() override;
  void queue_goodbye() override;
  bool acknowledged() const override;
  void queue(const mqtt::Packet& packet);

  std::string payload_;
  std::uint16_t next_packet_id_ = 1;
  std::uint32_t inflight_ = 0;
  std::uint32_t inflight_cap_ = 0;
  std::uint16_t keepalive_ = 0;
};

}  // namespace gatemq::bench
