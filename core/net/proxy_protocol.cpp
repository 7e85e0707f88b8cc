#include "core/net/proxy_protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace gatemq::net::proxy {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kV1Prefix = "PROXY "sv;
// "\r\n\r\n\0\r\nQUIT\n": chosen by the spec so it can never start a valid v1 line or HTTP request.
constexpr std::string_view kV2Signature{"\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12};
// Body of a v1 line: everything between "PROXY " and CRLF.
constexpr std::size_t kV1MaxBody = kV1MaxLine - kV1Prefix.size() - 2;
constexpr std::size_t kIpv6MaxText = INET6_ADDRSTRLEN - 1;

constexpr std::uint8_t kCommandLocal = 0x0;
constexpr std::uint8_t kCommandProxy = 0x1;
constexpr std::uint8_t kTcpOverIpv4 = 0x11;
constexpr std::uint8_t kTcpOverIpv6 = 0x21;

Parse incomplete() {
  return Parse{};
}

Parse failure(std::string message) {
  Parse result;
  result.state = Parse::State::error;
  result.error = std::move(message);
  return result;
}

Parse success(std::size_t consumed, Header header) {
  Parse result;
  result.state = Parse::State::complete;
  result.consumed = consumed;
  result.header = std::move(header);
  return result;
}

std::uint8_t byte_at(std::string_view bytes, std::size_t index) {
  return static_cast<std::uint8_t>(bytes[index]);
}

std::uint16_t be16_at(std::string_view bytes, std::size_t index) {
  return static_cast<std::uint16_t>((byte_at(bytes, index) << 8) | byte_at(bytes, index + 1));
}

std::string hex_byte(std::uint8_t value) {
  constexpr std::string_view digits = "0123456789abcdef";
  return std::string{"0x"} + digits[value >> 4] + digits[value & 0x0F];
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Binary address -> canonical text. Only called with buffers of the right size for `family`.
std::string address_text(int family, const void* binary) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(family, binary, text.data(), text.size()) == nullptr) return {};
  return text.data();
}

// An IP literal of the given family in binary form (network order), or nullopt.
std::optional<std::array<unsigned char, 16>> parse_ip(int family, std::string_view host) {
  // inet_pton needs a NUL-terminated string; bound the copy so hostile input can't make it large.
  // An embedded NUL would make inet_pton see only the text before it.
  if (host.empty() || host.size() > kIpv6MaxText || host.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string terminated(host);
  std::array<unsigned char, 16> binary{};
  if (inet_pton(family, terminated.c_str(), binary.data()) != 1) return std::nullopt;
  return binary;
}

// ---- v1 ----------------------------------------------------------------------------------------

// Could `text` still grow into a dotted-quad IPv4 literal? Exact: four groups of 0-255 without
// leading zeros (inet_pton's own rule), where only the last group may be empty or unfinished.
bool ipv4_prefix_ok(std::string_view text) {
  std::size_t groups = 0;
  while (true) {
    const auto dot = text.find('.');
    const auto group = text.substr(0, dot);
    ++groups;
    if (groups > 4 || group.size() > 3) return false;
    if (!std::all_of(group.begin(), group.end(), is_digit)) return false;
    if (group.size() > 1 && group.front() == '0') return false;
    int value = 0;
    for (char c : group) value = value * 10 + (c - '0');
    if (value > 255) return false;
    if (dot == std::string_view::npos) return true;
    if (group.empty()) return false;  // ".." or a leading '.'
    text.remove_prefix(dot + 1);
  }
}

// Loose check for an unfinished IPv6 literal: right characters, not too long. The exact check
// happens with inet_pton once the field is terminated by a space.
bool ipv6_prefix_ok(std::string_view text) {
  return text.size() <= kIpv6MaxText && std::all_of(text.begin(), text.end(), [](char c) {
           return is_hex_digit(c) || c == ':' || c == '.';
         });
}

// Decimal 0-65535, no sign, no leading zero beyond "0". With `partial`, `text` may be unfinished
// (even empty); a prefix of a valid port is never larger than the port, so the range check holds.
std::optional<std::uint16_t> parse_port(std::string_view text, bool partial) {
  if ((text.empty() && !partial) || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) value = value * 10 + static_cast<std::uint32_t>(c - '0');
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// Validates the text between "PROXY " and CRLF. `complete` says whether the CR has been seen; if
// not, the body may be cut anywhere and must only be a possible prefix. Returns an error sentence.
std::optional<std::string> check_v1_body(std::string_view body, bool complete, Header& header) {
  constexpr std::string_view kUnknown = "UNKNOWN"sv;
  // The spec lets UNKNOWN be followed by anything up to CRLF, which the receiver ignores.
  if (body.starts_with(kUnknown)) {
    header.local = true;
    return std::nullopt;
  }
  if (!complete &&
      (kUnknown.starts_with(body) || "TCP4 "sv.starts_with(body) || "TCP6 "sv.starts_with(body))) {
    return std::nullopt;
  }
  if (body == "TCP4"sv || body == "TCP6"sv) return "PROXY v1 line is missing its addresses";
  int family = 0;
  if (body.starts_with("TCP4 "sv)) {
    family = AF_INET;
  } else if (body.starts_with("TCP6 "sv)) {
    family = AF_INET6;
  } else {
    return "PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN";
  }
  body.remove_prefix(5);

  // src SP dst SP srcport SP dstport, exactly; a fifth field means a stray space.
  std::array<std::string_view, 5> fields{};
  std::size_t count = 0;
  while (true) {
    if (count == fields.size()) return "PROXY v1 line has too many fields";
    const auto space = body.find(' ');
    fields[count++] = body.substr(0, space);
    if (space == std::string_view::npos) break;
    body.remove_prefix(space + 1);
  }
  if (count > 4) return "PROXY v1 line has too many fields";

  std::array<Address, 2> addresses;
  for (std::size_t i = 0; i < count; ++i) {
    const auto field = fields[i];
    const bool unfinished = !complete && i + 1 == count;
    if (field.empty() && !unfinished)
      return "PROXY v1 line has an empty field (double or trailing space)";
    if (i < 2) {
      if (unfinished) {
        const bool ok = family == AF_INET ? ipv4_prefix_ok(field) : ipv6_prefix_ok(field);
        if (!ok) return "PROXY v1 line has an invalid address";
        continue;
      }
      const auto binary = parse_ip(family, field);
      if (!binary) {
        return family == AF_INET ? "PROXY v1 TCP4 address is not a valid IPv4 address"
                                 : "PROXY v1 TCP6 address is not a valid IPv6 address";
      }
      addresses[i].host = address_text(family, binary->data());
    } else {
      const auto port = parse_port(field, unfinished);
      if (!port) return "PROXY v1 port is not a decimal number from 0 to 65535";
      addresses[i - 2].port = *port;
    }
  }
  if (!complete) return std::nullopt;
  if (count < 4) return "PROXY v1 line is missing fields";
  header.source = std::move(addresses[0]);
  header.destination = std::move(addresses[1]);
  return std::nullopt;
}

Parse parse_v1(std::string_view received) {
  const auto known = std::min(received.size(), kV1Prefix.size());
  if (received.substr(0, known) != kV1Prefix.substr(0, known)) {
    return failure("connection does not start with a PROXY protocol header");
  }
  if (received.size() <= kV1Prefix.size()) return incomplete();
  // The CR may sit at most at index 105 so that CRLF ends by byte 107.
  const auto searchable = received.substr(0, std::min(received.size(), kV1MaxLine - 1));
  const auto end = searchable.find_first_of("\r\n"sv);
  Header header;
  header.version = 1;
  if (end == std::string_view::npos) {
    if (received.size() >= kV1MaxLine - 1) return failure("PROXY v1 line longer than 107 bytes");
    if (auto error = check_v1_body(received.substr(kV1Prefix.size()), false, header)) {
      return failure(std::move(*error));
    }
    return incomplete();
  }
  if (received[end] == '\n') return failure("PROXY v1 line ends with a bare LF instead of CRLF");
  // The body is final once the CR is seen, even if the LF has not arrived yet.
  if (auto error =
          check_v1_body(received.substr(kV1Prefix.size(), end - kV1Prefix.size()), true, header)) {
    return failure(std::move(*error));
  }
  if (end + 1 == received.size()) return incomplete();
  if (received[end + 1] != '\n') return failure("PROXY v1 line has a CR not followed by LF");
  return success(end + 2, std::move(header));
}

// ---- v2 ----------------------------------------------------------------------------------------

// Size of the address block for a family/protocol byte, or nullopt for values the spec leaves
// unassigned (which a receiver must reject).
std::optional<std::size_t> v2_address_size(std::uint8_t family_protocol) {
  switch (family_protocol) {
    case 0x00:
      return 0;  // UNSPEC
    case 0x11:
    case 0x12:
      return 12;  // IPv4: 2 x 4-byte address + 2 x port
    case 0x21:
    case 0x22:
      return 36;  // IPv6: 2 x 16-byte address + 2 x port
    case 0x31:
    case 0x32:
      return 216;  // UNIX: 2 x 108-byte path
    default:
      return std::nullopt;
  }
}

Parse parse_v2(std::string_view received) {
  const auto size = received.size();
  const auto known = std::min(size, kV2Signature.size());
  if (received.substr(0, known) != kV2Signature.substr(0, known)) {
    return failure("connection does not start with a PROXY protocol header");
  }
  if (size <= 12) return incomplete();
  const auto version = byte_at(received, 12) >> 4;
  const auto command = static_cast<std::uint8_t>(byte_at(received, 12) & 0x0F);
  if (version != 2)
    return failure("PROXY v2 header has unsupported version " + std::to_string(version));
  if (command != kCommandLocal && command != kCommandProxy) {
    return failure("PROXY v2 header has unknown command " + std::to_string(command));
  }
  if (size <= 13) return incomplete();
  const auto family_protocol = byte_at(received, 13);
  const auto address_size = v2_address_size(family_protocol);
  // LOCAL ignores the family entirely (spec), so an unassigned one is only fatal for PROXY.
  if (!address_size && command == kCommandProxy) {
    return failure("PROXY v2 header has unsupported address family/protocol " +
                   hex_byte(family_protocol));
  }
  if (size < kV2FixedSize) return incomplete();
  const std::size_t length = be16_at(received, 14);
  if (address_size && length < *address_size) {
    return failure("PROXY v2 length " + std::to_string(length) + " is shorter than the " +
                   std::to_string(*address_size) + "-byte address block of family " +
                   hex_byte(family_protocol));
  }
  const std::size_t total = kV2FixedSize + length;  // at most 16 + 65535 by construction
  const bool whole = size >= total;

  Header header;
  header.version = 2;
  // Walk the TLVs over the bytes we have, so a TLV overrunning the block is reported early. With
  // an unassigned family (LOCAL only) the block is opaque: its TLV start is unknown.
  if (address_size) {
    std::size_t pos = kV2FixedSize + *address_size;
    while (pos < total) {
      if (total - pos < 3) return failure("PROXY v2 header ends inside a TLV header");
      if (size < pos + 3) break;
      const auto type = byte_at(received, pos);
      const std::size_t value_size = be16_at(received, pos + 1);
      if (total - pos - 3 < value_size)
        return failure("PROXY v2 TLV runs past the end of the header");
      if (whole) header.tlvs.emplace_back(type, std::string(received.substr(pos + 3, value_size)));
      pos += 3 + value_size;
    }
  }
  if (!whole) return incomplete();

  const bool tcp = family_protocol == kTcpOverIpv4 || family_protocol == kTcpOverIpv6;
  if (command == kCommandLocal || !tcp) {
    // Health checks from the proxy, or a transport we don't route: use the socket's addresses.
    header.local = true;
    return success(total, std::move(header));
  }
  const int family = family_protocol == kTcpOverIpv4 ? AF_INET : AF_INET6;
  const std::size_t ip_size = family == AF_INET ? 4 : 16;
  const std::size_t base = kV2FixedSize;  // length >= address block checked above
  const auto ip_source = received.substr(base, ip_size);
  const auto ip_destination = received.substr(base + ip_size, ip_size);
  header.source =
      Address{address_text(family, ip_source.data()), be16_at(received, base + 2 * ip_size)};
  header.destination = Address{address_text(family, ip_destination.data()),
                               be16_at(received, base + 2 * ip_size + 2)};
  return success(total, std::move(header));
}

// Both hosts as IP literals of one family: (AF_INET or AF_INET6, source, destination).
struct EncodedPair {
  int family = 0;
  std::array<unsigned char, 16> source{};
  std::array<unsigned char, 16> destination{};
};

EncodedPair encode_pair(const Address& source, const Address& destination) {
  for (int family : {AF_INET, AF_INET6}) {
    auto binary_source = parse_ip(family, source.host);
    auto binary_destination = parse_ip(family, destination.host);
    if (binary_source && binary_destination) return {family, *binary_source, *binary_destination};
  }
  throw std::invalid_argument("PROXY header needs two IP literals of the same family, got '" +
                              source.host + "' and '" + destination.host + "'");
}

void append_be16(std::string& out, std::size_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xFF));
  out.push_back(static_cast<char>(value & 0xFF));
}

}  // namespace

Parse parse(std::string_view received) {
  if (received.empty()) return incomplete();
  // The two versions differ from the first byte on ('P' vs CR).
  if (received.front() == kV1Prefix.front()) return parse_v1(received);
  if (received.front() == kV2Signature.front()) return parse_v2(received);
  return failure("connection does not start with a PROXY protocol header");
}

std::size_t bytes_wanted(std::string_view received) {
  if (parse(received).state != Parse::State::incomplete) return 0;
  const auto size = received.size();
  if (!received.empty() && received.front() == kV1Prefix.front()) {
    return kV1MaxLine - size;  // incomplete v1 implies size <= 106, so this is >= 1
  }
  if (size < kV2FixedSize) return kV2FixedSize - size;
  return kV2FixedSize + be16_at(received, 14) - size;  // incomplete: strictly positive
}

std::string encode_v1(const Address& source, const Address& destination) {
  const auto pair = encode_pair(source, destination);
  std::string line{kV1Prefix};
  line += pair.family == AF_INET ? "TCP4 " : "TCP6 ";
  line += address_text(pair.family, pair.source.data());
  line += ' ';
  line += address_text(pair.family, pair.destination.data());
  line += ' ' + std::to_string(source.port) + ' ' + std::to_string(destination.port) + "\r\n";
  return line;
}

std::string encode_v2(const std::optional<std::pair<Address, Address>>& addresses,
                      std::vector<std::pair<std::uint8_t, std::string>> tlvs) {
  std::string block;
  std::uint8_t family_protocol = 0x00;
  if (addresses) {
    const auto& [source, destination] = *addresses;
    const auto pair = encode_pair(source, destination);
    family_protocol = pair.family == AF_INET ? kTcpOverIpv4 : kTcpOverIpv6;
    const std::size_t ip_size = pair.family == AF_INET ? 4 : 16;
    block.append(reinterpret_cast<const char*>(pair.source.data()), ip_size);
    block.append(reinterpret_cast<const char*>(pair.destination.data()), ip_size);
    append_be16(block, source.port);
    append_be16(block, destination.port);
  }
  for (const auto& [type, value] : tlvs) {
    if (value.size() > 0xFFFF)
      throw std::invalid_argument("PROXY v2 TLV value longer than 65535 bytes");
    block.push_back(static_cast<char>(type));
    append_be16(block, value.size());
    block += value;
  }
  if (block.size() > 0xFFFF)
    throw std::invalid_argument("PROXY v2 header longer than 16 + 65535 bytes");

  std::string out{kV2Signature};
  out.push_back(static_cast<char>(0x20 | (addresses ? kCommandProxy : kCommandLocal)));
  out.push_back(static_cast<char>(family_protocol));
  append_be16(out, block.size());
  out += block;
  return out;
}

}  // namespace gatemq::net::proxy
