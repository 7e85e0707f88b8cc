// The gateway's UDP socket on one I/O worker: receives datagrams, decodes them (every one is
// hostile: bad ones are counted and dropped), answers discovery, routes the rest to channels
// by client id (CONNECT, PINGREQ with a client id) or by source address, and sends what the
// channels transmit. Clients are keyed by client id: an address only points at a client until
// another client id claims it, and a known client id from a new address moves there.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateways/mqtt-sn/channel.hpp"
#include "gateways/mqtt-sn/context.hpp"

namespace gatemq::gateway::mqttsn {

class UdpEndpoint final : public Endpoint, public std::enable_shared_from_this<UdpEndpoint> {
 public:
  UdpEndpoint(std::shared_ptr<const GatewayContext> context, asio::io_context& io);

  // Binds (before the workers run); throws std::runtime_error naming the address.
  void open();
  void start();
  // Both post to the socket's executor: stop() stops receiving and advertising,
  // close_connections() ends every client (DISCONNECT to each) and closes the socket.
  void stop();
  void close_connections();
  std::string description() const;

  // Endpoint
  void transmit(const Peer& peer, const Message& message) override;
  void forget(const std::string& client_id, const void* channel) override;
  void keep_will(const std::string& client_id, const Will& will) override;
  std::optional<Will> stored_will(const std::string& client_id) override;
  void drop_will(const std::string& client_id) override;

 private:
  void receive();
  void on_datagram(const asio::ip::udp::endpoint& sender, std::size_t size);
  void dispatch(const Peer& peer, Message&& message);
  void handle_connect(const Peer& peer, Connect&& connect);
  void handle_wakeup(const Peer& peer, Pingreq&& pingreq);
  void publish_without_connection(const Peer& peer, const Publish& publish);
  // Points `peer` at `channel`, taking the address from any other client that had it.
  void bind(const Peer& peer, const std::shared_ptr<Channel>& channel);
  void malformed(const Peer& peer, const std::string& why);
  void send_datagram(const asio::ip::udp::endpoint& to, std::vector<std::uint8_t> bytes);
  void flush_send_queue();
  void advertise();

  std::shared_ptr<const GatewayContext> context_;
  asio::io_context& io_;
  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint local_;
  asio::steady_timer advertise_timer_;
  std::vector<std::uint8_t> buffer_;
  asio::ip::udp::endpoint sender_;
  bool receiving_ = true;
  bool stopped_ = false;  // the socket is closed

  std::unordered_map<std::string, std::shared_ptr<Channel>> clients_;  // by client id
  std::map<Peer, std::shared_ptr<Channel>> addresses_;
  std::unordered_map<std::string, Will> wills_;  // of persistent sessions between connections

  struct Outgoing {
    asio::ip::udp::endpoint to;
    std::vector<std::uint8_t> bytes;
  };
  std::deque<Outgoing> send_queue_;  // only while the socket would block
  bool waiting_to_write_ = false;
};

}  // namespace gatemq::gateway::mqttsn
