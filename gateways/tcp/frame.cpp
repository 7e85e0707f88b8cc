#include "gateways/tcp/frame.hpp"

namespace gatemq::gateway::tcp {

namespace {

bool has_length(FrameType type) {
  return type == FrameType::Connect || type == FrameType::Connack || type == FrameType::Datatrans;
}

void put_u16(std::string& out, std::size_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xFF));
  out.push_back(static_cast<char>(value & 0xFF));
}

void put_string(std::string& out, std::string_view value) {
  put_u16(out, value.size());
  out.append(value);
}

// Reads a two-byte length and that many bytes; false when the input is too short.
bool take_string(std::string_view& input, std::string& out) {
  if (input.size() < 2) return false;
  const std::size_t length =
      (static_cast<std::uint8_t>(input[0]) << 8) | static_cast<std::uint8_t>(input[1]);
  if (input.size() < 2 + length) return false;
  out.assign(input.substr(2, length));
  input.remove_prefix(2 + length);
  return true;
}

}  // namespace

ParseResult parse_frame(std::string_view input, std::size_t max_payload) {
  ParseResult result;
  if (input.empty()) return result;
  const auto header = static_cast<std::uint8_t>(input[0]);
  const auto type_value = header >> 4;
  result.frame.flags = header & 0x0F;
  if (type_value != 1 && type_value != 3 && type_value != 4 && type_value != 6) {
    result.status = ParseResult::Status::Invalid;
    result.error = "frame type " + std::to_string(type_value) + " is not one a client may send";
    return result;
  }
  result.frame.type = static_cast<FrameType>(type_value);
  if (!has_length(result.frame.type)) {
    result.status = ParseResult::Status::Complete;
    result.consumed = 1;
    return result;
  }
  if (input.size() < 3) return result;
  const std::size_t length =
      (static_cast<std::uint8_t>(input[1]) << 8) | static_cast<std::uint8_t>(input[2]);
  if (length > max_payload) {
    result.status = ParseResult::Status::Invalid;
    result.error = "payload of " + std::to_string(length) + " bytes exceeds max_packet_size " +
                   std::to_string(max_payload);
    return result;
  }
  if (input.size() < 3 + length) return result;
  result.status = ParseResult::Status::Complete;
  result.frame.payload.assign(input.substr(3, length));
  result.consumed = 3 + length;
  return result;
}

std::optional<ConnectFrame> parse_connect(std::uint8_t flags, std::string_view payload) {
  ConnectFrame connect;
  connect.version = flags;
  if (payload.empty()) return std::nullopt;
  connect.keepalive = static_cast<std::uint8_t>(payload[0]);
  payload.remove_prefix(1);
  if (!take_string(payload, connect.client_id) || connect.client_id.empty()) return std::nullopt;
  if (!payload.empty()) {
    std::string username;
    if (!take_string(payload, username)) return std::nullopt;
    connect.username = std::move(username);
  }
  if (!payload.empty()) {
    std::string password;
    if (!take_string(payload, password)) return std::nullopt;
    connect.password = std::move(password);
  }
  if (!payload.empty()) return std::nullopt;
  return connect;
}

void encode_connect(const ConnectFrame& connect, std::string& out) {
  std::string payload;
  payload.push_back(static_cast<char>(connect.keepalive));
  put_string(payload, connect.client_id);
  if (connect.username || connect.password) put_string(payload, connect.username.value_or(""));
  if (connect.password) put_string(payload, *connect.password);
  out.push_back(static_cast<char>(0x10 | (connect.version & 0x0F)));
  put_string(out, payload);
}

void encode_connack(ConnackCode code, std::string_view message, std::string& out) {
  out.push_back(static_cast<char>(0x20 | static_cast<std::uint8_t>(code)));
  put_string(out, message.substr(0, kMaxPayload));
}

void encode_datatrans(std::string_view data, std::string& out) {
  out.push_back(static_cast<char>(0x30));
  put_string(out, data);
}

void encode_bare(FrameType type, std::string& out) {
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(type) << 4));
}

}  // namespace gatemq::gateway::tcp
