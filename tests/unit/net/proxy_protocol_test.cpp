#include "core/net/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gatemq::net::proxy {
namespace {

using namespace std::string_literals;
using State = Parse::State;

const std::string kSignature{"\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12};

// A v2 header assembled by hand, so the parser is not only tested against our own encoder.
std::string v2_raw(std::uint8_t version_command, std::uint8_t family, const std::string& block,
                   std::optional<std::size_t> declared_length = std::nullopt) {
  const auto length = declared_length.value_or(block.size());
  std::string out = kSignature;
  out.push_back(static_cast<char>(version_command));
  out.push_back(static_cast<char>(family));
  out.push_back(static_cast<char>((length >> 8) & 0xFF));
  out.push_back(static_cast<char>(length & 0xFF));
  return out + block;
}

const std::string kIpv4Block{
    "\xC0\x00\x02\x01"  // 192.0.2.1
    "\xC6\x33\x64\x07"  // 198.51.100.7
    "\xD4\x31"          // 54321
    "\x07\x5B",         // 1883
    12};

std::string ipv6_block() {
  std::string block(36, '\0');
  block[0] = '\x20', block[1] = '\x01', block[2] = '\x0d', block[3] = '\xb8',
  block[15] = '\x01';  // 2001:db8::1
  block[16] = '\x20', block[17] = '\x01', block[18] = '\x0d', block[19] = '\xb8',
  block[31] = '\x02';                      // 2001:db8::2
  block[32] = '\x01', block[33] = '\xBB';  // 443
  block[34] = '\x22', block[35] = '\xB3';  // 8883
  return block;
}

void expect_error(std::string_view input, std::string_view why) {
  const auto result = parse(input);
  EXPECT_EQ(result.state, State::error)
      << why << ": " << testing::PrintToString(std::string(input));
  EXPECT_FALSE(result.error.empty()) << why;
}

// Every strict prefix of a valid header must be incomplete, and the header complete.
void expect_prefixes_incomplete(const std::string& header) {
  for (std::size_t n = 0; n < header.size(); ++n) {
    const auto result = parse(std::string_view(header).substr(0, n));
    ASSERT_EQ(result.state, State::incomplete) << "prefix of " << n << " bytes: " << result.error
                                               << " in " << testing::PrintToString(header);
  }
  EXPECT_EQ(parse(header).state, State::complete);
}

// ---- v1 --------------------------------------------------------------------------------------

TEST(ProxyV1, Tcp4) {
  const auto result = parse("PROXY TCP4 192.0.2.1 198.51.100.7 54321 1883\r\n");
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.consumed, 46u);
  EXPECT_EQ(result.header.version, 1);
  EXPECT_FALSE(result.header.local);
  EXPECT_EQ(result.header.source, (Address{"192.0.2.1", 54321}));
  EXPECT_EQ(result.header.destination, (Address{"198.51.100.7", 1883}));
  EXPECT_TRUE(result.header.tlvs.empty());
}

TEST(ProxyV1, Tcp6IsCanonicalised) {
  const auto result = parse("PROXY TCP6 2001:0DB8:0000::1 ::ffff:192.0.2.1 0 65535\r\n");
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.header.source, (Address{"2001:db8::1", 0}));
  EXPECT_EQ(result.header.destination, (Address{"::ffff:192.0.2.1", 65535}));
}

TEST(ProxyV1, Unknown) {
  for (const std::string& line :
       {"PROXY UNKNOWN\r\n"s, "PROXY UNKNOWN TCP4 anything at all\r\n"s,
        "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"s}) {
    const auto result = parse(line);
    ASSERT_EQ(result.state, State::complete) << line << result.error;
    EXPECT_EQ(result.consumed, line.size());
    EXPECT_TRUE(result.header.local);
    EXPECT_FALSE(result.header.source);
    EXPECT_FALSE(result.header.destination);
  }
}

TEST(ProxyV1, TrailingPayloadIsNotConsumed) {
  const std::string line = "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n";
  const std::string mqtt_connect{"\x10\x0C\x00\x04MQTT\x04\x02\x00\x3C\x00\x00", 14};
  const auto result = parse(line + mqtt_connect);
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.consumed, line.size());
  // Even a payload that itself looks like a header stays out of it.
  EXPECT_EQ(parse(line + line).consumed, line.size());
}

TEST(ProxyV1, LongestLineIsAccepted) {
  const std::string longest =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:f 65535 65535\r\n";
  ASSERT_EQ(longest.size(), 107u);
  const auto result = parse(longest);
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.consumed, 107u);
  expect_prefixes_incomplete(longest);
  EXPECT_EQ(parse("PROXY UNKNOWN " + std::string(91, 'x') + "\r\n").state, State::complete);
}

TEST(ProxyV1, TooLong) {
  const std::string unknown_108 = "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n";
  ASSERT_EQ(unknown_108.size(), 108u);
  expect_error(unknown_108, "108-byte line");
  // Reported as soon as 106 bytes without CR are known, not only when the CRLF arrives.
  const auto early = parse(unknown_108.substr(0, 106));
  EXPECT_EQ(early.state, State::error);
  EXPECT_EQ(early.error, "PROXY v1 line longer than 107 bytes");
  EXPECT_EQ(parse(unknown_108.substr(0, 105)).state, State::incomplete);
  expect_error(std::string(500, 'P'), "garbage");
  expect_error(
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff 65535 65535\r\n",
      "108-byte TCP6 line with valid fields");
}

TEST(ProxyV1, BadAddresses) {
  expect_error("PROXY TCP4 192.0.2.256 10.0.0.1 1 2\r\n", "octet > 255");
  expect_error("PROXY TCP4 192.0.2 10.0.0.1 1 2\r\n", "three octets");
  expect_error("PROXY TCP4 192.0.2.01 10.0.0.1 1 2\r\n", "leading zero");
  expect_error("PROXY TCP4 10.0.0.1 localhost 1 2\r\n", "hostname");
  expect_error("PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n", "IPv6 in TCP4");
  expect_error("PROXY TCP6 10.0.0.1 2001:db8::1 1 2\r\n", "IPv4 in TCP6");
  expect_error("PROXY TCP6 2001:db8:::1 2001:db8::1 1 2\r\n", "triple colon");
  expect_error("PROXY TCP6 2001:db8::g 2001:db8::1 1 2\r\n", "non-hex digit");
  expect_error("PROXY TCP4 10.0.0.1\0.2 10.0.0.1 1 2\r\n"s, "embedded NUL");
  expect_error("PROXY TCP6 ::1\0:1 ::1 1 2\r\n"s, "embedded NUL in IPv6");
}

TEST(ProxyV1, BadPorts) {
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 65536 2\r\n", "port 65536");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1 99999\r\n", "port 99999");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 01 2\r\n", "leading zero");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 +1 2\r\n", "sign");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 -1 2\r\n", "negative");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1 0x50\r\n", "hex");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 100000 2\r\n", "six digits");
}

TEST(ProxyV1, BadStructure) {
  expect_error("PROXY TCP4 10.0.0.1  10.0.0.2 1 2\r\n", "double space");
  expect_error("PROXY  TCP4 10.0.0.1 10.0.0.2 1 2\r\n", "double space after PROXY");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1 2 \r\n", "trailing space");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1 2 3\r\n", "extra field");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1\r\n", "missing port");
  expect_error("PROXY TCP4\r\n", "no addresses");
  expect_error("PROXY TCP4 \r\n", "empty address");
  expect_error("PROXY \r\n", "no protocol");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\n", "missing CR");
  expect_error("PROXY UNKNOWN\n", "missing CR after UNKNOWN");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\rX", "CR not followed by LF");
  expect_error("PROXY TCP5 10.0.0.1 10.0.0.2 1 2\r\n", "wrong family");
  expect_error("PROXY UDP4 10.0.0.1 10.0.0.2 1 2\r\n", "UDP family");
  expect_error("PROXY tcp4 10.0.0.1 10.0.0.2 1 2\r\n", "lower case");
  expect_error("PROXY\tTCP4 10.0.0.1 10.0.0.2 1 2\r\n", "tab");
  expect_error("proxy TCP4 10.0.0.1 10.0.0.2 1 2\r\n", "lower-case PROXY");
}

TEST(ProxyV1, ErrorsAreReportedEarly) {
  // No need to wait for the CRLF once the bytes can no longer be a header.
  expect_error("PROXY TCP4 10.0.0.256", "octet > 255 before the end");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 65536", "port too large before the end");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 01", "leading zero before the end");
  expect_error("PROXY TCP4 10.0.0.1 10.0.0.2 1 2 ", "fifth field before the end");
  expect_error("PROXY TCP4 10.0.0.1  ", "double space before the end");
  expect_error("PROXY TCP6 2001:db8::x", "non-hex character before the end");
  expect_error("PROXY TCP9", "family before the end");
  EXPECT_EQ(parse("PROXY TCP4 10.0.0.1 10.0.0.2 0").state, State::incomplete);
}

TEST(ProxyV1, EveryPrefixIsIncomplete) {
  expect_prefixes_incomplete("PROXY TCP4 192.0.2.1 198.51.100.7 54321 1883\r\n");
  expect_prefixes_incomplete("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 0 65535\r\n");
  expect_prefixes_incomplete("PROXY UNKNOWN\r\n");
  expect_prefixes_incomplete("PROXY UNKNOWN whatever\r\n");
}

// ---- v2 --------------------------------------------------------------------------------------

TEST(ProxyV2, Ipv4) {
  const auto header = v2_raw(0x21, 0x11, kIpv4Block);
  const auto result = parse(header);
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.consumed, 28u);
  EXPECT_EQ(result.header.version, 2);
  EXPECT_FALSE(result.header.local);
  EXPECT_EQ(result.header.source, (Address{"192.0.2.1", 54321}));
  EXPECT_EQ(result.header.destination, (Address{"198.51.100.7", 1883}));
  EXPECT_TRUE(result.header.tlvs.empty());
}

TEST(ProxyV2, Ipv6) {
  const auto result = parse(v2_raw(0x21, 0x21, ipv6_block()));
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.consumed, 52u);
  EXPECT_EQ(result.header.source, (Address{"2001:db8::1", 443}));
  EXPECT_EQ(result.header.destination, (Address{"2001:db8::2", 8883}));
}

TEST(ProxyV2, LocalKeepsSocketAddresses) {
  for (const auto& header :
       {v2_raw(0x20, 0x00, ""), v2_raw(0x20, 0x11, kIpv4Block), v2_raw(0x20, 0x21, ipv6_block()),
        // LOCAL ignores the family, even an unassigned one.
        v2_raw(0x20, 0x45, "opaque")}) {
    const auto result = parse(header);
    ASSERT_EQ(result.state, State::complete) << result.error;
    EXPECT_EQ(result.consumed, header.size());
    EXPECT_TRUE(result.header.local);
    EXPECT_FALSE(result.header.source);
    EXPECT_FALSE(result.header.destination);
  }
}

TEST(ProxyV2, NonTcpFamiliesAreLocal) {
  const std::vector<std::pair<std::uint8_t, std::string>> cases = {{0x00, ""},
                                                                   {0x12, kIpv4Block},
                                                                   {0x22, ipv6_block()},
                                                                   {0x31, std::string(216, 'u')},
                                                                   {0x32, std::string(216, 'u')}};
  for (const auto& [family, block] : cases) {
    const auto result = parse(v2_raw(0x21, family, block));
    ASSERT_EQ(result.state, State::complete) << int(family) << result.error;
    EXPECT_TRUE(result.header.local);
    EXPECT_FALSE(result.header.source);
  }
}

TEST(ProxyV2, Tlvs) {
  const std::string tlvs{
      "\x02\x00\x0B"
      "example.com"                // authority
      "\x04\x00\x00"               // empty noop
      "\xE0\x00\x03\x00\xFF\x01",  // custom, binary value
      3 + 11 + 3 + 3 + 3};
  const auto result = parse(v2_raw(0x21, 0x11, kIpv4Block + tlvs));
  ASSERT_EQ(result.state, State::complete) << result.error;
  const std::vector<std::pair<std::uint8_t, std::string>> expected = {
      {0x02, "example.com"}, {0x04, ""}, {0xE0, std::string{"\x00\xFF\x01", 3}}};
  EXPECT_EQ(result.header.tlvs, expected);
  EXPECT_EQ(result.header.source, (Address{"192.0.2.1", 54321}));

  // UNSPEC: no address block, TLVs start right after the fixed part.
  const auto unspec = parse(v2_raw(0x21, 0x00, std::string{"\x02\x00\x01x", 4}));
  ASSERT_EQ(unspec.state, State::complete) << unspec.error;
  EXPECT_EQ(unspec.header.tlvs, (std::vector<std::pair<std::uint8_t, std::string>>{{0x02, "x"}}));
}

TEST(ProxyV2, TrailingPayloadIsNotConsumed) {
  const auto header = v2_raw(0x21, 0x11, kIpv4Block + std::string{"\x02\x00\x01h", 4});
  const auto result = parse(header + "\x10\x0C\x00\x04MQTT" + header);
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.consumed, header.size());
  ASSERT_EQ(result.header.tlvs.size(), 1u);
}

TEST(ProxyV2, Errors) {
  expect_error(v2_raw(0x11, 0x11, kIpv4Block), "version 1 nibble");
  expect_error(v2_raw(0x31, 0x11, kIpv4Block), "version 3");
  expect_error(v2_raw(0x01, 0x11, kIpv4Block), "version 0");
  expect_error(v2_raw(0x22, 0x11, kIpv4Block), "command 2");
  expect_error(v2_raw(0x2F, 0x11, kIpv4Block), "command 15");
  expect_error(v2_raw(0x21, 0x11, kIpv4Block.substr(0, 11)), "IPv4 block too short");
  expect_error(v2_raw(0x21, 0x21, kIpv4Block), "IPv6 with an IPv4-sized block");
  expect_error(v2_raw(0x21, 0x31, std::string(215, 'u')), "UNIX block too short");
  expect_error(v2_raw(0x21, 0x13, kIpv4Block), "unassigned protocol");
  expect_error(v2_raw(0x21, 0x41, kIpv4Block), "unassigned family");
  expect_error(v2_raw(0x21, 0x11, kIpv4Block + std::string{"\x02\x00", 2}), "TLV header cut");
  expect_error(v2_raw(0x21, 0x11,
                      kIpv4Block + std::string{"\x02\x00\x05"
                                               "abcd",
                                               7}),
               "TLV value cut");
  expect_error(v2_raw(0x21, 0x11, kIpv4Block + std::string{"\x02\x00\x01xy", 5}),
               "byte left after the last TLV");
  expect_error(v2_raw(0x20, 0x00, std::string{"\x02\x00\x09x", 4}), "TLV cut under LOCAL");
  auto bad_signature = v2_raw(0x21, 0x11, kIpv4Block);
  bad_signature[11] = 'X';
  expect_error(bad_signature, "signature");
  expect_error("GET / HTTP/1.1\r\n\r\n", "HTTP request");
  expect_error(std::string{"\x10\x0C\x00\x04MQTT", 8}, "plain MQTT CONNECT");
}

TEST(ProxyV2, ErrorsAreReportedEarly) {
  // Version and command are judged from byte 13 on, the length as soon as it is known, and a TLV
  // overrunning the declared length as soon as its own header arrives.
  expect_error(kSignature + "\x31", "version");
  expect_error(kSignature + "\x23", "command");
  expect_error(kSignature + "\x21\x50", "family");
  expect_error(kSignature + std::string{"\x21\x11\x00\x0B", 4}, "length");
  expect_error(v2_raw(0x21, 0x11, kIpv4Block + std::string{"\x02\xFF\xFF", 3}, 12 + 10), "TLV");
}

TEST(ProxyV2, EveryPrefixIsIncomplete) {
  expect_prefixes_incomplete(v2_raw(0x21, 0x11, kIpv4Block));
  expect_prefixes_incomplete(
      v2_raw(0x21, 0x21, ipv6_block() + std::string{"\x02\x00\x02hi\x04\x00\x00", 8}));
  expect_prefixes_incomplete(v2_raw(0x20, 0x00, ""));
  expect_prefixes_incomplete(v2_raw(0x21, 0x31, std::string(216, 'u')));
}

TEST(ProxyV2, LargestHeader) {
  const auto header = encode_v2(std::nullopt, {{0xEE, std::string(65535 - 3, 'z')}});
  ASSERT_EQ(header.size(), 16u + 65535u);
  const auto result = parse(header + "next");
  ASSERT_EQ(result.state, State::complete) << result.error;
  EXPECT_EQ(result.consumed, header.size());
  EXPECT_THROW(encode_v2(std::nullopt, {{0xEE, std::string(65535 - 2, 'z')}}),
               std::invalid_argument);
  EXPECT_THROW(encode_v2(std::nullopt, {{0xEE, std::string(65536, 'z')}}), std::invalid_argument);
}

// ---- bytes_wanted ----------------------------------------------------------------------------

// A caller reading exactly bytes_wanted() each time, from a stream holding the header and then the
// next protocol's bytes, must end with the whole header and nothing more (for v2).
std::string read_like_a_server(const std::string& stream, std::size_t max_chunk) {
  std::string received;
  while (parse(received).state == State::incomplete) {
    const auto want = bytes_wanted(received);
    EXPECT_GE(want, 1u);
    const auto take = std::min({want, max_chunk, stream.size() - received.size()});
    if (take == 0) break;
    received += stream.substr(received.size(), take);
  }
  return received;
}

TEST(ProxyBytesWanted, NeverReadsPastAV2Header) {
  const std::vector<std::string> headers = {
      v2_raw(0x21, 0x11, kIpv4Block), v2_raw(0x21, 0x21, ipv6_block()), v2_raw(0x20, 0x00, ""),
      encode_v2(std::pair{Address{"10.1.2.3", 1}, Address{"10.3.2.1", 2}},
                {{0x02, "broker.example"}, {0x20, std::string(300, 's')}})};
  for (const auto& header : headers) {
    for (std::size_t chunk : {1u, 3u, 16u, 4096u}) {
      const auto received = read_like_a_server(header + "MQTT-bytes-follow", chunk);
      EXPECT_EQ(received, header) << "chunk " << chunk;
    }
  }
}

TEST(ProxyBytesWanted, Values) {
  EXPECT_EQ(bytes_wanted(""), 16u);
  EXPECT_EQ(bytes_wanted(kSignature.substr(0, 5)), 11u);
  const auto header = v2_raw(0x21, 0x11, kIpv4Block);
  EXPECT_EQ(bytes_wanted(header.substr(0, 16)), 12u);
  EXPECT_EQ(bytes_wanted(header.substr(0, 27)), 1u);
  EXPECT_EQ(bytes_wanted(header), 0u);
  EXPECT_EQ(bytes_wanted("PROXY "), 101u);
  EXPECT_EQ(bytes_wanted("P"), 106u);
  EXPECT_EQ(bytes_wanted("PROXY UNKNOWN\r\n"), 0u);
  EXPECT_EQ(bytes_wanted("HTTP"), 0u);  // error: nothing more to read
  const std::string long_unknown = "PROXY UNKNOWN " + std::string(91, 'x');
  ASSERT_EQ(long_unknown.size(), 105u);
  EXPECT_EQ(bytes_wanted(long_unknown), 2u);  // exactly room for CRLF
}

TEST(ProxyBytesWanted, V1LineIsFoundWithOverRead) {
  // v1 has no length field: the caller over-reads up to the limit and keeps what follows.
  const std::string line = "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n";
  const std::string stream = line + std::string(200, 'm');
  std::string received;
  while (parse(received).state == State::incomplete) {
    received += stream.substr(received.size(), bytes_wanted(received));
  }
  const auto result = parse(received);
  ASSERT_EQ(result.state, State::complete);
  EXPECT_EQ(result.consumed, line.size());
  EXPECT_LE(received.size(), 107u);
}

// ---- encoders --------------------------------------------------------------------------------

TEST(ProxyEncode, V1RoundTrip) {
  const Address source{"192.0.2.1", 54321}, destination{"198.51.100.7", 1883};
  const auto line = encode_v1(source, destination);
  EXPECT_EQ(line, "PROXY TCP4 192.0.2.1 198.51.100.7 54321 1883\r\n");
  const auto result = parse(line);
  ASSERT_EQ(result.state, State::complete);
  EXPECT_EQ(result.header.source, source);
  EXPECT_EQ(result.header.destination, destination);

  const auto line6 = encode_v1({"2001:DB8:0::1", 0}, {"::1", 65535});
  EXPECT_EQ(line6, "PROXY TCP6 2001:db8::1 ::1 0 65535\r\n");
  const auto result6 = parse(line6);
  ASSERT_EQ(result6.state, State::complete);
  EXPECT_EQ(result6.header.source, (Address{"2001:db8::1", 0}));
  EXPECT_EQ(result6.header.destination, (Address{"::1", 65535}));
}

TEST(ProxyEncode, V2RoundTrip) {
  const std::vector<std::pair<std::uint8_t, std::string>> tlvs = {
      {0x02, "broker.example"}, {0x01, "mqtt"}, {0x04, std::string(3, '\0')}};
  for (const auto& [source, destination] :
       {std::pair{Address{"192.0.2.1", 54321}, Address{"198.51.100.7", 1883}},
        std::pair{Address{"2001:db8::1", 443}, Address{"fe80::1:2", 8883}}}) {
    const auto result = parse(encode_v2(std::pair{source, destination}, tlvs));
    ASSERT_EQ(result.state, State::complete) << result.error;
    EXPECT_FALSE(result.header.local);
    EXPECT_EQ(result.header.source, source);
    EXPECT_EQ(result.header.destination, destination);
    EXPECT_EQ(result.header.tlvs, tlvs);
  }
  const auto local = parse(encode_v2(std::nullopt, tlvs));
  ASSERT_EQ(local.state, State::complete) << local.error;
  EXPECT_TRUE(local.header.local);
  EXPECT_EQ(local.header.tlvs, tlvs);
  EXPECT_EQ(encode_v2(std::nullopt), v2_raw(0x20, 0x00, ""));
  EXPECT_EQ(encode_v2(std::pair{Address{"192.0.2.1", 54321}, Address{"198.51.100.7", 1883}}),
            v2_raw(0x21, 0x11, kIpv4Block));
}

TEST(ProxyEncode, RejectsNonLiteralsAndMixedFamilies) {
  EXPECT_THROW(encode_v1({"localhost", 1}, {"10.0.0.1", 2}), std::invalid_argument);
  EXPECT_THROW(encode_v1({"10.0.0.1", 1}, {"::1", 2}), std::invalid_argument);
  EXPECT_THROW(encode_v2(std::pair{Address{"", 1}, Address{"::1", 2}}), std::invalid_argument);
}

// ---- hostile input -----------------------------------------------------------------------------

// Invariants that must hold for any input; also checks that more bytes never turn an error or a
// complete header back into something else (the "error as soon as" contract).
void check_invariants(std::string_view input) {
  const auto result = parse(input);
  switch (result.state) {
    case State::complete:
      ASSERT_GT(result.consumed, 0u);
      ASSERT_LE(result.consumed, input.size());
      ASSERT_TRUE(result.header.version == 1 || result.header.version == 2);
      ASSERT_EQ(result.header.source.has_value(), result.header.destination.has_value());
      ASSERT_NE(result.header.local, result.header.source.has_value());
      ASSERT_EQ(bytes_wanted(input), 0u);
      break;
    case State::error:
      ASSERT_FALSE(result.error.empty());
      ASSERT_EQ(bytes_wanted(input), 0u);
      break;
    case State::incomplete:
      ASSERT_GE(bytes_wanted(input), 1u);
      break;
  }
}

void check_prefix_monotonic(std::string_view input) {
  auto previous = parse(std::string_view{});
  for (std::size_t n = 1; n <= input.size(); ++n) {
    const auto current = parse(input.substr(0, n));
    if (previous.state == State::error) {
      ASSERT_EQ(current.state, State::error)
          << testing::PrintToString(std::string(input.substr(0, n)));
    } else if (previous.state == State::complete) {
      ASSERT_EQ(current.state, State::complete);
      ASSERT_EQ(current.consumed, previous.consumed);
      ASSERT_EQ(current.header, previous.header);
    }
    previous = current;
  }
}

TEST(ProxyFuzz, RandomAndMutatedInputsNeverCrash) {
  std::mt19937 rng(20261125);
  const auto random_byte = [&] { return static_cast<char>(rng() & 0xFF); };
  const std::vector<std::string> seeds = {
      "PROXY TCP4 192.0.2.1 198.51.100.7 54321 1883\r\n",
      "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 0 65535\r\n",
      "PROXY UNKNOWN\r\n",
      v2_raw(0x21, 0x11, kIpv4Block),
      v2_raw(0x21, 0x21, ipv6_block() + std::string{"\x02\x00\x02hi\x04\x00\x00", 8}),
      v2_raw(0x20, 0x00, ""),
      v2_raw(0x21, 0x31, std::string(216, 'u')),
  };
  // Bytes that matter to the grammars, so mutations hit interesting paths more often.
  const std::string interesting{"\r\n \x00\x0D\x0A\x20\x21\x11\x21:.0123456789fF", 24};

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 100'000; ++i) {
    std::string input;
    switch (i % 4) {
      case 0: {  // pure noise, sometimes after a valid start so it gets past the signature
        const auto length = rng() % 64;
        if (rng() % 2) input = seeds[rng() % seeds.size()].substr(0, rng() % 20);
        for (std::size_t k = 0; k < length; ++k) input.push_back(random_byte());
        break;
      }
      default: {  // a valid header with a few mutations, then maybe truncated or extended
        input = seeds[rng() % seeds.size()];
        const auto mutations = 1 + rng() % 4;
        for (std::size_t m = 0; m < mutations && !input.empty(); ++m) {
          const auto at = rng() % input.size();
          switch (rng() % 4) {
            case 0:
              input[at] = random_byte();
              break;
            case 1:
              input[at] = interesting[rng() % interesting.size()];
              break;
            case 2:
              input.erase(at, 1);
              break;
            case 3:
              input.insert(at, 1, interesting[rng() % interesting.size()]);
              break;
          }
        }
        if (rng() % 3 == 0) input.resize(rng() % (input.size() + 1));
        if (rng() % 3 == 0) input += std::string(rng() % 8, random_byte());
        break;
      }
    }
    check_invariants(input);
    if (i % 50 == 0) check_prefix_monotonic(input);
    if (HasFatalFailure()) return;
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, std::chrono::seconds(10));  // generous bound; typically well under 3 s
}

}  // namespace
}  // namespace gatemq::net::proxy
