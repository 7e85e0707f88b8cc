// The private TCP framing (seed: "TCP Protocol"): a one-byte header (type << 4 | flags), then for
// CONNECT, CONNACK and DATATRANS a two-byte big-endian payload length and the payload; PING, PONG
// and DISCONNECT are the header byte alone. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatemq::gateway::tcp {

enum class FrameType : std::uint8_t {
  Connect = 1,
  Connack = 2,
  Datatrans = 3,
  Ping = 4,
  Pong = 5,
  Disconnect = 6,
};

inline constexpr std::uint8_t kProtocolVersion = 1;

enum class ConnackCode : std::uint8_t { Success = 0, AuthFailed = 1, IllegalVersion = 2 };

struct ConnectFrame {
  std::uint8_t version = kProtocolVersion;  // the header's flags
  std::uint8_t keepalive = 0;               // seconds
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  bool operator==(const ConnectFrame&) const = default;
};

struct Frame {
  FrameType type = FrameType::Ping;
  std::uint8_t flags = 0;
  std::string payload;  // raw payload (CONNECT: see parse_connect; DATATRANS: the data)
};

struct ParseResult {
  enum class Status { NeedMore, Complete, Invalid };
  Status status = Status::NeedMore;
  Frame frame;
  std::size_t consumed = 0;
  std::string error;  // for Invalid: what was wrong, for the log
};

// Splits one frame off `input`. Payloads longer than max_payload are Invalid as soon as the
// length is known; so are reserved and server-only frame types.
ParseResult parse_frame(std::string_view input, std::size_t max_payload);

// The CONNECT payload: keepalive, client id, then optional username and password. nullopt when
// a field is truncated, the client id is empty or bytes are left over.
std::optional<ConnectFrame> parse_connect(std::uint8_t flags, std::string_view payload);

// Encoders append to `out`. Payloads are at most 65535 bytes (the caller checks).
void encode_connect(const ConnectFrame& connect, std::string& out);  // for clients and tests
void encode_connack(ConnackCode code, std::string_view message, std::string& out);
void encode_datatrans(std::string_view data, std::string& out);
void encode_bare(FrameType type, std::string& out);  // PING, PONG, DISCONNECT

inline constexpr std::size_t kMaxPayload = 65535;

}  // namespace gatemq::gateway::tcp
