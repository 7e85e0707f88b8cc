#include "gateways/coap/udp_sockets.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string_view>

namespace gatemq::gateway::coap {
namespace {

// A bound UDP socket on 127.0.0.1, closed at the end of the test.
class UdpSocket {
 public:
  UdpSocket() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~UdpSocket() { ::close(fd_); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }
  void send_to(const UdpSocket& to, std::string_view bytes) const {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(to.port());
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&address),
             sizeof address);
  }
  // The next datagram's bytes (waits for it).
  std::string receive() const {
    std::array<char, 64> buffer{};
    const auto got = ::recv(fd_, buffer.data(), buffer.size(), 0);
    return got < 0 ? std::string() : std::string(buffer.data(), static_cast<std::size_t>(got));
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

using namespace std::string_view_literals;

TEST(CoapUdpSockets, FindsTheSocketByItsAddress) {
  UdpSocket server;
  EXPECT_EQ(find_udp_socket("127.0.0.1", server.port()), server.fd());
  EXPECT_FALSE(find_udp_socket("0.0.0.0", server.port()));
  EXPECT_FALSE(find_udp_socket("127.0.0.1", 0));
}

TEST(CoapUdpSockets, VersionFilterKeepsOnlyVersionOne) {
  UdpSocket server;
  UdpSocket device;
  ASSERT_TRUE(drop_unknown_versions(server.fd()));
  device.send_to(server, "\x80\x01\x00\x01"sv);  // version 2
  device.send_to(server, ""sv);
  device.send_to(server, "\xC0\x01\x00\x02"sv);  // version 3
  device.send_to(server, "\x40\x01\x00\x03"sv);
  EXPECT_EQ(server.receive(), "\x40\x01\x00\x03"sv);
}

TEST(CoapUdpSockets, PeeksEmptyAcksAndResetsWithoutConsumingThem) {
  UdpSocket server;
  UdpSocket device;
  device.send_to(server, "\x60\x00\x12\x34"sv);  // empty ACK, message id 0x1234
  // Not consumed: the same datagram is seen again, then read.
  for (int i = 0; i < 2; ++i) {
    auto reply = peek_empty_reply(server.fd());
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->peer, "127.0.0.1:" + std::to_string(device.port()));
    EXPECT_EQ(reply->message_id, 0x1234);
    EXPECT_FALSE(reply->reset);
  }
  EXPECT_EQ(server.receive(), "\x60\x00\x12\x34"sv);
  device.send_to(server, "\x70\x00\x00\x07"sv);  // RST
  auto reset = peek_empty_reply(server.fd());
  ASSERT_TRUE(reset);
  EXPECT_TRUE(reset->reset);
  EXPECT_EQ(reset->message_id, 7);
  server.receive();
}

TEST(CoapUdpSockets, AnythingElseIsNoEmptyReply) {
  UdpSocket server;
  EXPECT_FALSE(peek_empty_reply(server.fd())) << "nothing waiting: no blocking either";
  UdpSocket device;
  for (const auto datagram : {"\x60\x45\x12\x34"sv,          // piggybacked response
                              "\x61\x00\x12\x34\x01"sv,      // token on an empty message
                              "\x40\x00\x12\x34"sv,          // CON ping
                              "\x60\x00\x12\x34\xff\x01"sv,  // not empty
                              "\xA0\x00\x12\x34"sv}) {       // version 2
    device.send_to(server, datagram);
    EXPECT_FALSE(peek_empty_reply(server.fd()));
    server.receive();
  }
}

}  // namespace
}  // namespace gatemq::gateway::coap
