// STOMP 1.0/1.1/1.2 frames (stomp.github.io/stomp-specification-1.2.html): a command line,
// header lines, a blank line, a body ended by NUL (exactly `content-length` bytes when given).
// Pure functions, no I/O; every limit is checked before the bytes are buffered further.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatemq::gateway::stomp {

enum class Version { v10, v11, v12 };

struct Frame {
  std::string command;
  std::vector<std::pair<std::string, std::string>> headers;  // in wire order
  std::string body;

  // The first occurrence wins for repeated headers (spec 1.2, "Repeated Header Entries").
  const std::string* header(std::string_view name) const;
  bool operator==(const Frame&) const = default;
};

// stomp.frame.* (seed defaults).
struct FrameLimits {
  std::size_t max_headers = 10;
  std::size_t max_header_length = 1024;  // one header line, name and value
  std::size_t max_body_length = 8192;
};

struct ParseResult {
  enum class Status {
    NeedMore,   // no complete frame yet
    Heartbeat,  // one EOL between frames (a heart-beat): `consumed` bytes
    Complete,   // `frame` parsed: `consumed` bytes
    Invalid,    // `error` says what, for the ERROR frame's message header
  };
  Status status = Status::NeedMore;
  Frame frame;
  std::size_t consumed = 0;
  std::string error;
};

// CONNECT/STOMP and CONNECTED headers are never escaped; other frames follow `version`.
ParseResult parse_frame(std::string_view input, Version version, const FrameLimits& limits);

// The wire form of `frame` (escaped for `version`); adds content-length when the body is
// not empty, so bodies may carry NULs.
std::string encode_frame(const Frame& frame, Version version);

std::string escape_header(std::string_view text, Version version);
// nullopt for an undefined escape sequence (an error in 1.1 and 1.2).
std::optional<std::string> unescape_header(std::string_view text, Version version);

}  // namespace gatemq::gateway::stomp
