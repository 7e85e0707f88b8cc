#include "core/net/websocket_codec.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#include <algorithm>
#include <array>

namespace gatemq::net::ws {

namespace {

constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kMaxControlPayload = 125;

// ---------------------------------------------------------------------------------------------
// HTTP helpers (RFC 7230)

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

// Control characters other than horizontal tab never belong in a header value or target.
bool is_ctl(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7f;
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
  return text;
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), ascii_lower);
  return lower;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// Calls `visit` with each trimmed, non-empty element of a comma-separated list.
template <typename Visit>
void for_each_list_element(std::string_view list, Visit&& visit) {
  while (true) {
    const auto comma = list.find(',');
    const auto element = trim_ows(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// True when any occurrence of header `name` lists `token` (case-insensitively).
bool header_lists_token(const UpgradeRequest& request, std::string_view name,
                        std::string_view token) {
  bool found = false;
  for (const auto& [header_name, value] : request.headers) {
    if (header_name != name) continue;
    for_each_list_element(value, [&](std::string_view element) {
      if (iequals(element, token)) found = true;
    });
  }
  return found;
}

std::size_t count_headers(const UpgradeRequest& request, std::string_view name) {
  return static_cast<std::size_t>(
      std::count_if(request.headers.begin(), request.headers.end(),
                    [&](const auto& header) { return header.first == name; }));
}

// The key is base64 of 16 random bytes: exactly 22 alphabet characters then "==".
bool is_valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  const auto in_alphabet = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  if (!std::all_of(key.begin(), key.begin() + 22, in_alphabet)) return false;
  std::array<unsigned char, 18> decoded{};
  std::size_t decoded_size = 0;
  const int status =
      mbedtls_base64_decode(decoded.data(), decoded.size(), &decoded_size,
                            reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return status == 0 && decoded_size == 16;
}

UpgradeParse failure(int status, std::string reason) {
  UpgradeParse result;
  result.state = UpgradeParse::State::error;
  result.error = HttpError{status, std::move(reason)};
  return result;
}

UpgradeParse bad_request() {
  return failure(400, "Bad Request");
}

// Length of the head up to and including the empty line ending it (CRLF or bare LF), or 0 when
// `text` holds no complete head yet.
std::size_t find_head_end(std::string_view text) {
  for (auto newline = text.find('\n'); newline != std::string_view::npos;
       newline = text.find('\n', newline + 1)) {
    // The line ending here is empty when the previous line ended just before it.
    std::size_t line_start = newline;
    if (line_start > 0 && text[line_start - 1] == '\r') --line_start;
    if (line_start == 0 || text[line_start - 1] == '\n') return newline + 1;
  }
  return 0;
}

// "HTTP/1.1" and any later HTTP/1.x.
bool is_supported_version(std::string_view version) {
  return version.size() == 8 && version.substr(0, 7) == "HTTP/1." && version[7] >= '1' &&
         version[7] <= '9';
}

bool parse_request_line(std::string_view line, UpgradeRequest& request) {
  const auto first_space = line.find(' ');
  if (first_space == std::string_view::npos) return false;
  const auto second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) return false;
  const auto method = line.substr(0, first_space);
  const auto target = line.substr(first_space + 1, second_space - first_space - 1);
  const auto version = line.substr(second_space + 1);
  if (!is_token(method) || target.empty() || !is_supported_version(version)) return false;
  if (std::any_of(target.begin(), target.end(), [](char c) { return is_ctl(c) || c == '\t'; })) {
    return false;
  }
  request.method = method;
  request.target = target.substr(0, target.find('?'));
  return true;
}

bool parse_header_line(std::string_view line, UpgradeRequest& request) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  // Also refuses obsolete line folding and whitespace before the colon (RFC 7230 3.2.4).
  const auto name = line.substr(0, colon);
  if (!is_token(name)) return false;
  const auto value = trim_ows(line.substr(colon + 1));
  if (std::any_of(value.begin(), value.end(), is_ctl)) return false;
  request.headers.emplace_back(to_lower(name), std::string(value));
  return true;
}

// ---------------------------------------------------------------------------------------------
// Frame helpers

bool is_known_opcode(std::uint8_t raw) {
  switch (raw) {
    case 0:
    case 1:
    case 2:
    case 8:
    case 9:
    case 10:
      return true;
    default:
      return false;
  }
}

std::uint64_t read_big_endian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (const char byte : bytes) value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

void append_big_endian(std::string& out, std::uint64_t value, std::size_t size) {
  for (std::size_t index = size; index-- > 0;) {
    out.push_back(static_cast<char>((value >> (8 * index)) & 0xff));
  }
}

bool is_valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;  // registered (3xxx) and private (4xxx) use
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;  // reserved, never on the wire
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Handshake

const std::string* UpgradeRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

UpgradeParse parse_upgrade_request(std::string_view received, std::size_t max_head_size) {
  // Only the first max_head_size bytes may hold the head, so scanning never goes further.
  const std::size_t head_size = find_head_end(received.substr(0, max_head_size));
  if (head_size == 0) {
    if (received.size() >= max_head_size) return failure(431, "Request Header Fields Too Large");
    // Bytes that cannot start an HTTP request (an MQTT client on the WebSocket port) fail now,
    // not when a head that will never come times out.
    const auto method = received.substr(0, received.find(' '));
    if (!method.empty() && !is_token(method)) return failure(400, "Bad Request");
    return UpgradeParse{};
  }

  UpgradeParse result;
  UpgradeRequest& request = result.request;
  std::string_view head = received.substr(0, head_size);
  bool first_line = true;
  while (!head.empty()) {
    const auto newline = head.find('\n');  // the head always ends with one
    auto line = head.substr(0, newline);
    head.remove_prefix(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the empty line ending the head
    const bool parsed =
        first_line ? parse_request_line(line, request) : parse_header_line(line, request);
    if (!parsed) return bad_request();
    first_line = false;
  }
  if (first_line) return bad_request();  // an empty line where the request line belongs

  if (request.method != "GET") return failure(405, "Method Not Allowed");
  if (!header_lists_token(request, "upgrade", "websocket")) return bad_request();
  if (!header_lists_token(request, "connection", "upgrade")) return bad_request();
  const std::string* version = request.header("sec-websocket-version");
  if (version == nullptr || *version != "13" ||
      count_headers(request, "sec-websocket-version") != 1) {
    return failure(426, "Upgrade Required");
  }
  const std::string* key = request.header("sec-websocket-key");
  if (key == nullptr || count_headers(request, "sec-websocket-key") != 1 || !is_valid_key(*key)) {
    return bad_request();
  }
  request.key = *key;
  for (const auto& [name, value] : request.headers) {
    if (name != "sec-websocket-protocol") continue;
    for_each_list_element(
        value, [&](std::string_view element) { request.protocols.emplace_back(element); });
  }

  result.state = UpgradeParse::State::complete;
  result.consumed = head_size;
  return result;
}

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += kHandshakeGuid;
  std::array<unsigned char, 20> digest{};
  // Software SHA-1 over a memory buffer cannot fail.
  mbedtls_sha1_ret(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                   digest.data());
  std::array<unsigned char, 29> encoded{};  // 28 characters + the NUL mbedTLS writes
  std::size_t encoded_size = 0;
  mbedtls_base64_encode(encoded.data(), encoded.size(), &encoded_size, digest.data(),
                        digest.size());
  return std::string(reinterpret_cast<const char*>(encoded.data()), encoded_size);
}

std::string upgrade_response(const UpgradeRequest& request, std::string_view protocol) {
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response += accept_key(request.key);
  response += "\r\n";
  if (is_token(protocol)) {
    response += "Sec-WebSocket-Protocol: ";
    response += protocol;
    response += "\r\n";
  }
  response += "\r\n";
  return response;
}

std::string error_response(const HttpError& error) {
  const std::string body = error.reason + "\n";
  std::string response = "HTTP/1.1 " + std::to_string(error.status) + " " + error.reason + "\r\n";
  response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  response += "Connection: close\r\n";
  if (error.status == 426) response += "Sec-WebSocket-Version: 13\r\n";
  response += "\r\n";
  response += body;
  return response;
}

// ---------------------------------------------------------------------------------------------
// Framing

FrameDecoder::FrameDecoder(std::uint64_t max_message_size) : max_message_size_(max_message_size) {}

void FrameDecoder::feed(std::string_view bytes) {
  if (error_) return;  // nothing more will be decoded, so keep nothing
  // Drop consumed bytes once they are at least half the buffer: each byte moves O(1) times.
  if (offset_ > 0 && offset_ >= buffer_.size() - offset_) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
}

FrameDecoder::Result FrameDecoder::fail(std::uint16_t close_code, std::string reason) {
  Result result;
  result.state = Result::State::error;
  result.close_code = close_code;
  result.reason = std::move(reason);
  error_ = result;
  buffer_.clear();
  buffer_.shrink_to_fit();
  offset_ = 0;
  message_.clear();
  message_.shrink_to_fit();
  return result;
}

FrameDecoder::Result FrameDecoder::next() {
  if (error_) return *error_;
  while (true) {
    const std::string_view pending = std::string_view(buffer_).substr(offset_);
    if (pending.size() < 2) return Result{};

    // Everything checkable from the first two bytes fails fast, before waiting for more.
    const auto first = static_cast<std::uint8_t>(pending[0]);
    const auto second = static_cast<std::uint8_t>(pending[1]);
    const bool fin = (first & 0x80) != 0;
    if ((first & 0x70) != 0) return fail(kCloseProtocolError, "reserved bits set");
    const std::uint8_t raw_opcode = first & 0x0f;
    if (!is_known_opcode(raw_opcode)) return fail(kCloseProtocolError, "unknown opcode");
    const auto opcode = static_cast<Opcode>(raw_opcode);
    const bool is_control = raw_opcode >= 8;
    if ((second & 0x80) == 0) return fail(kCloseProtocolError, "unmasked client frame");
    const std::uint8_t short_length = second & 0x7f;
    if (is_control) {
      if (!fin) return fail(kCloseProtocolError, "fragmented control frame");
    } else if (opcode == Opcode::continuation && !message_open_) {
      return fail(kCloseProtocolError, "continuation without a message");
    } else if (opcode != Opcode::continuation && message_open_) {
      return fail(kCloseProtocolError, "new message inside a fragmented one");
    }

    std::size_t header_size = 2;
    std::uint64_t payload_length = short_length;
    if (short_length == 126) {
      header_size += 2;
      if (pending.size() < header_size) return Result{};
      payload_length = read_big_endian(pending.substr(2, 2));
    } else if (short_length == 127) {
      header_size += 8;
      if (pending.size() < header_size) return Result{};
      payload_length = read_big_endian(pending.substr(2, 8));
      if ((payload_length >> 63) != 0) {
        return fail(kCloseProtocolError, "frame length with the most significant bit set");
      }
    }
    // Checked on the decoded length: a non-minimal encoding of a short length is allowed.
    if (is_control && payload_length > kMaxControlPayload) {
      return fail(kCloseProtocolError, "control frame payload over 125 bytes");
    }
    if (max_message_size_ != 0) {
      const std::uint64_t already = is_control ? 0 : message_.size();
      if (payload_length > max_message_size_ || already > max_message_size_ - payload_length) {
        return fail(kCloseMessageTooBig, "message too big");
      }
    }

    header_size += 4;  // masking key
    if (pending.size() < header_size || pending.size() - header_size < payload_length) {
      return Result{};
    }
    // payload_length <= bytes buffered here, so it fits in size_t.
    const auto length = static_cast<std::size_t>(payload_length);
    std::array<unsigned char, 4> mask{};
    std::copy_n(pending.begin() + static_cast<std::ptrdiff_t>(header_size - 4), 4, mask.begin());
    std::string payload(pending.substr(header_size, length));
    for (std::size_t index = 0; index < payload.size(); ++index) {
      payload[index] =
          static_cast<char>(static_cast<unsigned char>(payload[index]) ^ mask[index % 4]);
    }
    offset_ += header_size + length;  // `pending` is not used past this point
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    }

    if (is_control) {
      if (opcode == Opcode::close) {
        const CloseParse close = parse_close(payload);
        if (!close.valid) return fail(close.error_code, "invalid close payload");
      }
      Result result;
      result.state = Result::State::frame;
      result.frame = Frame{opcode, true, std::move(payload)};
      return result;
    }

    Frame message;
    if (!message_open_) {
      if (!fin) {  // first fragment of a message
        message_open_ = true;
        message_opcode_ = opcode;
        message_ = std::move(payload);
        continue;
      }
      message = Frame{opcode, true, std::move(payload)};
    } else {
      message_ += payload;
      if (!fin) continue;
      message = Frame{message_opcode_, true, std::move(message_)};
      message_open_ = false;
      message_ = std::string();
    }
    // UTF-8 is checked on the whole message: fragments may split a character.
    if (message.opcode == Opcode::text && !is_valid_utf8(message.payload)) {
      return fail(kCloseInvalidPayload, "text message is not UTF-8");
    }
    Result result;
    result.state = Result::State::frame;
    result.frame = std::move(message);
    return result;
  }
}

std::string encode_frame(Opcode opcode, std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 10);
  frame.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xffff) {
    frame.push_back(static_cast<char>(126));
    append_big_endian(frame, payload.size(), 2);
  } else {
    frame.push_back(static_cast<char>(127));
    append_big_endian(frame, payload.size(), 8);
  }
  frame.append(payload);
  return frame;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  constexpr std::size_t kMaxReason = kMaxControlPayload - 2;
  if (reason.size() > kMaxReason) {
    std::size_t cut = kMaxReason;
    // Back up over continuation bytes so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xc0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string payload;
  payload.reserve(2 + reason.size());
  append_big_endian(payload, code, 2);
  payload.append(reason);
  return payload;
}

CloseParse parse_close(std::string_view payload) {
  CloseParse result;
  if (payload.empty()) {
    result.valid = true;
    result.code = kCloseNoStatus;
    return result;
  }
  if (payload.size() < 2) {
    result.error_code = kCloseProtocolError;
    return result;
  }
  const auto code = static_cast<std::uint16_t>(read_big_endian(payload.substr(0, 2)));
  if (!is_valid_close_code(code)) {
    result.error_code = kCloseProtocolError;
    return result;
  }
  const auto reason = payload.substr(2);
  if (!is_valid_utf8(reason)) {
    result.error_code = kCloseInvalidPayload;
    return result;
  }
  result.valid = true;
  result.code = code;
  result.reason = reason;
  return result;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t index = 0;
  while (index < text.size()) {
    const auto lead = static_cast<unsigned char>(text[index]);
    if (lead < 0x80) {
      ++index;
      continue;
    }
    std::size_t continuation_count = 0;
    std::uint32_t code_point = 0;
    std::uint32_t smallest = 0;  // below it the encoding is overlong
    if ((lead & 0xe0) == 0xc0) {
      continuation_count = 1;
      code_point = lead & 0x1f;
      smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      continuation_count = 2;
      code_point = lead & 0x0f;
      smallest = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      continuation_count = 3;
      code_point = lead & 0x07;
      smallest = 0x10000;
    } else {
      return false;
    }
    if (text.size() - index - 1 < continuation_count) return false;
    for (std::size_t offset = 1; offset <= continuation_count; ++offset) {
      const auto byte = static_cast<unsigned char>(text[index + offset]);
      if ((byte & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (byte & 0x3f);
    }
    if (code_point < smallest || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    index += 1 + continuation_count;
  }
  return true;
}

}  // namespace gatemq::net::ws
