#include "gateways/stomp/frame.hpp"

#include <charconv>

namespace gatemq::gateway::stomp {

namespace {

bool escapes(Version version, std::string_view command) {
  return version != Version::v10 && command != "CONNECT" && command != "STOMP" &&
         command != "CONNECTED";
}

// The next line without its EOL (LF or CRLF); nullopt when no LF has arrived yet.
std::optional<std::string_view> next_line(std::string_view input, std::size_t& position) {
  const auto newline = input.find('\n', position);
  if (newline == std::string_view::npos) return std::nullopt;
  auto line = input.substr(position, newline - position);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  position = newline + 1;
  return line;
}

ParseResult invalid(std::string error) {
  ParseResult result;
  result.status = ParseResult::Status::Invalid;
  result.error = std::move(error);
  return result;
}

}  // namespace

const std::string* Frame::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string escape_header(std::string_view text, Version version) {
  if (version == Version::v10) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ':':
        out += "\\c";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        if (version == Version::v12) {
          out += "\\r";
          break;
        }
        [[fallthrough]];
      default:
        out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape_header(std::string_view text, Version version) {
  if (version == Version::v10) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 == text.size()) return std::nullopt;
    switch (text[++i]) {
      case '\\':
        out += '\\';
        break;
      case 'c':
        out += ':';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        if (version != Version::v12) return std::nullopt;
        out += '\r';
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

ParseResult parse_frame(std::string_view input, Version version, const FrameLimits& limits) {
  ParseResult result;
  if (input.empty()) return result;
  // EOLs between frames are heart-beats.
  if (input[0] == '\n' || input.starts_with("\r\n")) {
    result.status = ParseResult::Status::Heartbeat;
    result.consumed = input[0] == '\n' ? 1 : 2;
    return result;
  }
  if (input[0] == '\r' && input.size() == 1) return result;

  std::size_t position = 0;
  const auto command_line = next_line(input, position);
  if (!command_line) {
    if (input.size() > limits.max_header_length) return invalid("command line too long");
    return result;
  }
  if (command_line->empty() || command_line->size() > limits.max_header_length) {
    return invalid("missing or oversized command");
  }
  for (const char c : *command_line) {
    if (c < 'A' || c > 'Z') return invalid("malformed command");
  }
  result.frame.command = std::string(*command_line);
  const bool unescape = escapes(version, result.frame.command);

  while (true) {
    const auto line_start = position;
    const auto line = next_line(input, position);
    if (!line) {
      if (input.size() - line_start > limits.max_header_length) {
        return invalid("header line exceeds stomp.frame.max_header_length");
      }
      return result;  // NeedMore
    }
    if (line->empty()) break;
    if (line->size() > limits.max_header_length) {
      return invalid("header line exceeds stomp.frame.max_header_length");
    }
    if (result.frame.headers.size() == limits.max_headers) {
      return invalid("more headers than stomp.frame.max_headers");
    }
    const auto colon = line->find(':');
    if (colon == std::string_view::npos || colon == 0) return invalid("malformed header line");
    auto name = line->substr(0, colon);
    auto value = line->substr(colon + 1);
    if (unescape) {
      auto unescaped_name = unescape_header(name, version);
      auto unescaped_value = unescape_header(value, version);
      if (!unescaped_name || !unescaped_value) return invalid("undefined escape sequence");
      result.frame.headers.emplace_back(std::move(*unescaped_name), std::move(*unescaped_value));
    } else {
      result.frame.headers.emplace_back(std::string(name), std::string(value));
    }
  }

  const std::size_t body_start = position;
  std::size_t body_length;
  if (const auto* length_text = result.frame.header("content-length")) {
    const auto* begin = length_text->data();
    const auto* end = begin + length_text->size();
    const auto [parsed_end, error] = std::from_chars(begin, end, body_length);
    if (error != std::errc() || parsed_end != end) return invalid("malformed content-length");
    if (body_length > limits.max_body_length) {
      return invalid("body exceeds stomp.frame.max_body_length");
    }
    if (input.size() < body_start + body_length + 1) return result;  // NeedMore
    if (input[body_start + body_length] != '\0') {
      return invalid("body not terminated by NUL after content-length bytes");
    }
  } else {
    const auto nul = input.find('\0', body_start);
    if (nul == std::string_view::npos) {
      if (input.size() - body_start > limits.max_body_length) {
        return invalid("body exceeds stomp.frame.max_body_length");
      }
      return result;  // NeedMore
    }
    body_length = nul - body_start;
    if (body_length > limits.max_body_length) {
      return invalid("body exceeds stomp.frame.max_body_length");
    }
  }
  result.frame.body = std::string(input.substr(body_start, body_length));
  result.consumed = body_start + body_length + 1;
  result.status = ParseResult::Status::Complete;
  return result;
}

std::string encode_frame(const Frame& frame, Version version) {
  const bool escape = escapes(version, frame.command);
  std::string out = frame.command;
  out += '\n';
  bool has_length = false;
  for (const auto& [name, value] : frame.headers) {
    has_length = has_length || name == "content-length";
    out += escape ? escape_header(name, version) : name;
    out += ':';
    out += escape ? escape_header(value, version) : value;
    out += '\n';
  }
  if (!has_length && !frame.body.empty()) {
    out += "content-length:" + std::to_string(frame.body.size()) + "\n";
  }
  out += '\n';
  out += frame.body;
  out += '\0';
  return out;
}

}  // namespace gatemq::gateway::stomp
