#include "gateways/coap/udp_sockets.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <system_error>

namespace gatemq::gateway::coap {

namespace {

// For a UDP socket the filter sees the datagram from its UDP header: the CoAP header starts at
// offset 8. Version 1 is 0b01 in the top two bits of its first byte.
constexpr std::uint32_t kUdpHeaderLength = 8;
constexpr std::uint32_t kVersionMask = 0xC0;
constexpr std::uint32_t kVersionOne = 0x40;
constexpr std::uint8_t kTypeAck = 2;
constexpr std::uint8_t kTypeReset = 3;

// "ip:port" of an IPv4 or IPv6 socket address; empty for other families.
std::string address_text(const sockaddr_storage& address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.ss_family == AF_INET) {
    const auto& ipv4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &ipv4.sin_addr, text.data(), text.size());
    return std::string(text.data()) + ":" + std::to_string(ntohs(ipv4.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& ipv6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &ipv6.sin6_addr, text.data(), text.size());
    return std::string(text.data()) + ":" + std::to_string(ntohs(ipv6.sin6_port));
  }
  return {};
}

bool bound_to(int fd, const std::string& where) {
  int type = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_DGRAM) {
    return false;
  }
  sockaddr_storage local{};
  length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return false;
  return address_text(local) == where;
}

}  // namespace

std::optional<int> find_udp_socket(const std::string& host, std::uint16_t port) {
  if (port == 0) return std::nullopt;  // an ephemeral port cannot be told apart
  const auto where = host + ":" + std::to_string(port);
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    const auto name = entry.path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    if (bound_to(fd, where)) return fd;
  }
  return std::nullopt;
}

bool drop_unknown_versions(int fd) {
  std::array<sock_filter, 5> code{{
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kUdpHeaderLength),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, kVersionMask),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kVersionOne, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xFFFFFFFF),  // keep the whole datagram
      BPF_STMT(BPF_RET | BPF_K, 0),           // drop it
  }};
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  return ::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) == 0;
}

std::optional<EmptyReply> peek_empty_reply(int fd) {
  // An empty message is exactly the 4-byte header (RFC 7252 §4.1); a fifth byte means it is not.
  std::array<std::uint8_t, 5> header{};
  sockaddr_storage from{};
  socklen_t length = sizeof from;
  const auto got = ::recvfrom(fd, header.data(), header.size(), MSG_PEEK | MSG_DONTWAIT,
                              reinterpret_cast<sockaddr*>(&from), &length);
  if (got != 4 || (header[0] & kVersionMask) != kVersionOne || header[1] != 0) return std::nullopt;
  const auto type = static_cast<std::uint8_t>((header[0] >> 4) & 0x3);
  if ((header[0] & 0x0F) != 0 || (type != kTypeAck && type != kTypeReset)) return std::nullopt;
  return EmptyReply{address_text(from), static_cast<std::uint16_t>(header[2] << 8 | header[3]),
                    type == kTypeReset};
}

}  // namespace gatemq::gateway::coap
