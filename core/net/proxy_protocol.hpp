// HAProxy PROXY protocol (v1 text line, v2 binary block) as received by a server behind a load
// balancer: pure functions over the bytes read so far, no sockets, so they can be fuzzed alone.
// Every input byte is treated as hostile: lengths are checked before each read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatemq::net::proxy {

struct Address {
  std::string host;  // canonical text: "192.0.2.1" or "2001:db8::1"
  std::uint16_t port = 0;

  bool operator==(const Address&) const = default;
};

struct Header {
  int version = 0;  // 1 or 2
  bool local =
      false;  // v1 "UNKNOWN", v2 LOCAL command or non-TCP family: keep the socket's own addresses
  // Set for TCP4/TCP6 (v1) and AF_INET/AF_INET6 STREAM (v2) PROXY commands only.
  std::optional<Address> source;
  std::optional<Address> destination;
  // v2 TLVs (type, value) in wire order, e.g. 0x02 authority; kept for later use (SSL info etc.).
  std::vector<std::pair<std::uint8_t, std::string>> tlvs;

  bool operator==(const Header&) const = default;
};

struct Parse {
  enum class State { incomplete, complete, error };
  State state = State::incomplete;
  std::size_t consumed =
      0;              // header bytes (complete only); later bytes belong to the next protocol
  Header header;      // complete only
  std::string error;  // error only: a short sentence for the log
};

// Largest v1 line, CRLF included (spec: "PROXY TCP6 " + two full IPv6 + two ports + CRLF).
inline constexpr std::size_t kV1MaxLine = 107;
// Fixed part of a v2 header: signature, version/command, family/protocol, 16-bit length.
inline constexpr std::size_t kV2FixedSize = 16;

// `received` is every byte read so far from the connection's start. Returns incomplete while the
// bytes so far are a valid prefix of a header; error as soon as they cannot be one (including when
// the first bytes match neither the v1 "PROXY " prefix nor the 12-byte v2 signature).
// (Partially received IPv6 literals in v1 are only checked loosely; they are checked exactly once
// the field is terminated.)
Parse parse(std::string_view received);

// How many more bytes to read, at most, without reading past the header, for a caller that reads
// exactly the header and nothing of the next protocol:
//  - 0 once parse() would return complete or error (nothing more to read);
//  - fewer than 16 bytes, version not yet known (empty or a v2 signature prefix): 16 - size
//    (no header is shorter than 15 bytes, and a v2 header is at least 16);
//  - v2 with its 16 fixed bytes known: the exact remainder of the header;
//  - v1 (first byte 'P'): 107 - size, i.e. up to the line limit; the line length is unknown until
//    CRLF, so the caller must keep any bytes read past the CRLF (see Parse::consumed).
std::size_t bytes_wanted(std::string_view received);

// Encoders for tests and for our own load generator. Both throw std::invalid_argument when the
// hosts are not IP literals of the same family (or, for v2, when the TLVs exceed 65535 bytes).
// v1 picks TCP4 or TCP6 from the host text.
std::string encode_v1(const Address& source, const Address& destination);
// nullopt = LOCAL command (family UNSPEC); otherwise a PROXY command over TCP/IPv4 or TCP/IPv6.
std::string encode_v2(const std::optional<std::pair<Address, Address>>& addresses,
                      std::vector<std::pair<std::uint8_t, std::string>> tlvs = {});

}  // namespace gatemq::net::proxy
