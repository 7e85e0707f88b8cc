// Server side of RFC 6455 (WebSocket) as pure functions over bytes: the HTTP/1.1 upgrade
// handshake and client-to-server framing. No sockets, no state beyond the decoder's buffer, so the
// whole module can be fuzzed on its own. Every input byte is treated as hostile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatemq::net::ws {

// ---------------------------------------------------------------------------------------------
// Handshake (RFC 6455 section 4.2)

struct UpgradeRequest {
  std::string method;                  // "GET"
  std::string target;                  // "/mqtt": the request target without its query string
  std::string key;                     // Sec-WebSocket-Key, as sent (validated: 16 bytes base64)
  std::vector<std::string> protocols;  // Sec-WebSocket-Protocol, split on commas, trimmed
  // Every header in arrival order, name lower-cased, value trimmed of surrounding whitespace.
  std::vector<std::pair<std::string, std::string>> headers;

  // First header called `lower_name` (which must be lower case), or nullptr.
  const std::string* header(std::string_view lower_name) const;
};

struct HttpError {
  int status = 0;
  std::string reason;  // "Bad Request"
};

// Result of feeding the bytes received so far (the whole buffer, from the connection's start).
struct UpgradeParse {
  enum class State { incomplete, complete, error };
  State state = State::incomplete;
  std::size_t consumed = 0;  // bytes of the head including the final empty line (complete only)
  UpgradeRequest request;    // complete only
  HttpError error;           // error only
};

// Parses and validates a WebSocket upgrade request head. Accepts CRLF and bare LF line endings.
// Errors: 400 malformed / not a valid upgrade, 405 method other than GET, 426 version other than
// 13, 431 head larger than `max_head_size`. Bytes after the head (already a frame) are left alone.
UpgradeParse parse_upgrade_request(std::string_view received, std::size_t max_head_size = 8192);

// base64(SHA-1(client_key + RFC 6455 GUID)).
std::string accept_key(std::string_view client_key);

// "HTTP/1.1 101 Switching Protocols" with Upgrade, Connection, Sec-WebSocket-Accept and, when
// `protocol` is not empty, Sec-WebSocket-Protocol. `protocol` should be one of
// `request.protocols`; a value that is not an HTTP token is never echoed (no header injection).
std::string upgrade_response(const UpgradeRequest& request, std::string_view protocol);

// Small complete HTTP/1.1 error response closing the connection; body is `reason` + "\n".
// A 426 also carries `Sec-WebSocket-Version: 13`, as RFC 6455 4.4 asks.
std::string error_response(const HttpError& error);

// ---------------------------------------------------------------------------------------------
// Framing (RFC 6455 section 5)

enum class Opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10,
};

// Close status codes (RFC 6455 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;
// Reported by parse_close for an empty close payload; never sent on the wire.
inline constexpr std::uint16_t kCloseNoStatus = 1005;
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicyViolation = 1008;
inline constexpr std::uint16_t kCloseMessageTooBig = 1009;

struct Frame {
  Opcode opcode = Opcode::binary;
  bool fin = true;
  std::string payload;  // already unmasked
};

// Incremental decoder of client-to-server frames. feed() appends bytes; next() returns the next
// message-level event: fragmented data messages are reassembled into one Frame (fin = true,
// opcode text or binary) while control frames interleaved between fragments come out at once.
// Close frames are validated with parse_close before they are returned.
class FrameDecoder {
 public:
  // max_message_size: 0 = unlimited; otherwise a data message (sum of its fragments) or a single
  // frame larger than it fails with kCloseMessageTooBig as soon as the header is known, before
  // the payload is waited for.
  explicit FrameDecoder(std::uint64_t max_message_size = 0);

  void feed(std::string_view bytes);

  struct Result {
    enum class State { need_more, frame, error };
    State state = State::need_more;
    Frame frame;                   // frame only
    std::uint16_t close_code = 0;  // error only: the code to close the connection with
    std::string reason;            // error only: short text, fits in a close frame
  };
  // After an error every further call returns the same error.
  Result next();

  // Bytes fed but not yet consumed as frames (for tests and memory accounting).
  std::size_t buffered() const { return buffer_.size() - offset_; }

 private:
  Result fail(std::uint16_t close_code, std::string reason);

  std::uint64_t max_message_size_;
  std::string buffer_;  // fed bytes; those before offset_ are consumed
  std::size_t offset_ = 0;
  bool message_open_ = false;  // a fragmented data message awaits continuation frames
  Opcode message_opcode_ = Opcode::binary;
  std::string message_;  // fragments of the open message so far
  std::optional<Result> error_;
};

// One unmasked server frame (fin = true) with the shortest length encoding.
std::string encode_frame(Opcode opcode, std::string_view payload);

// Close frame payload: 2-byte big-endian code + reason, the reason cut (on a UTF-8 character
// boundary) so the payload is at most 125 bytes.
std::string encode_close(std::uint16_t code, std::string_view reason);

struct CloseParse {
  bool valid = false;
  std::uint16_t code = 0;        // valid only: the peer's code, kCloseNoStatus when empty
  std::string reason;            // valid only
  std::uint16_t error_code = 0;  // invalid only: the code to close the connection with
};
// Parses a received close payload: empty -> kCloseNoStatus; one byte, a code not allowed on the
// wire by RFC 6455 7.4 (<1000, 1004-1006, 1015, unassigned 1016-2999, >= 5000) -> invalid with
// kCloseProtocolError; reason not UTF-8 -> invalid with kCloseInvalidPayload.
CloseParse parse_close(std::string_view payload);

// Strict UTF-8 check (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace gatemq::net::ws
