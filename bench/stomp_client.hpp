// One STOMP 1.2 client over TCP: CONNECT/CONNECTED, then for a subscriber SUBSCRIBE (ack auto)
// with a receipt, whose RECEIPT makes it ready, then SEND (stomppub) or MESSAGE (stompsub) until
// told to stop, and DISCONNECT. Frames go through the STOMP gateway's own parser and encoder
// (gateways/stomp/frame.*), with limits generous enough for any broker's MESSAGE headers. No
// heart-beats (0,0): the run ends long before a broker would miss them. Runs on its worker's
// io_context only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/tcp_connection.hpp"
#include "gateways/stomp/frame.hpp"

namespace gatemq::bench {

class StompClient final : public TcpConnection {
 public:
  StompClient(Worker& worker, std::uint32_t index);

  void tick(std::uint64_t now) override;

 private:
  void on_connected() override;
  std::optional<std::size_t> consume_frames(std::string_view input) override;
  bool handle_frame(const gateway::stomp::Frame& frame);  // false once closed
  bool window_open() const override { return true; }      // SEND is never acknowledged
  void publish_one() override;
  void queue_goodbye() override;
  bool acknowledged() const override { return false; }
  void queue(const gateway::stomp::Frame& frame);

  // The wire form of this publisher's SEND, encoded once; each message copies it and stamps the
  // body, which is its last size + 1 bytes (the NUL ends it).
  std::string send_frame_;
};

}  // namespace gatemq::bench
