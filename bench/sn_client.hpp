// One MQTT-SN 1.2 publisher over UDP: CONNECT/CONNACK, then REGISTER/REGACK for its topic (or a
// predefined id or a two-character short name, which need none), then PUBLISH at QoS 0 or 1
// until told to stop. Nothing is retransmitted: what UDP loses stays lost and shows as sent but
// never received (QoS 1: never acknowledged). Runs on its worker's io_context only.
#pragma once

#include <asio/ip/udp.hpp>
#include <cstdint>
#include <span>
#include <variant>

#include "bench/connection.hpp"
#include "gateways/mqtt-sn/codec.hpp"

namespace gatemq::bench {

class SnClient final : public Connection {
 public:
  SnClient(Worker& worker, std::uint32_t index);

  void start() override;
  void start_publishing() override;
  void stop() override;
  void tick(std::uint64_t now) override;

 private:
  enum class Sent : std::uint8_t { Yes, WouldBlock, Failed };

  Sent send(const gateway::mqttsn::Message& message);
  void arm_read();
  void on_readable();
  void handle(std::span<const std::uint8_t> datagram);
  void on_connack(const gateway::mqttsn::Connack& connack);
  void on_regack(const gateway::mqttsn::Regack& regack);
  void on_puback(const gateway::mqttsn::Puback& puback);

  std::uint64_t publish_due(std::uint64_t due) override;
  void fill();
  void schedule_fill(bool wait_writable);
  bool can_publish() const;
  Sent publish_one();
  void finish_if_done();
  void close_transport() override;
  gateway::mqttsn::Publish& publish() { return std::get<gateway::mqttsn::Publish>(publish_); }

  asio::ip::udp::socket socket_;
  // The PUBLISH reused for every message (topic, flags, payload), kept as the variant the
  // encoder takes so that sending it copies nothing.
  gateway::mqttsn::Message publish_{gateway::mqttsn::Publish{}};
  bool fill_scheduled_ = false;
  std::uint16_t next_msg_id_ = 1;
  std::uint16_t register_msg_id_ = 0;
  std::uint32_t inflight_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t last_sent_ = 0;   // ns, for keep alive
  std::uint64_t last_acked_ = 0;  // ns, PUBACK or the window's first message, for write-off
};

}  // namespace gatemq::bench
