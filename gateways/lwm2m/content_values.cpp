#include "gateways/lwm2m/content_values.hpp"

#include <mbedtls/base64.h>

#include <cmath>
#include <limits>

#include "core/mqtt/utf8.hpp"

namespace gatemq::gateway::lwm2m::detail {

using nlohmann::json;

// ---- Base64 (RFC 4648) ----------------------------------------------------------------------
// Encoding is mbedTLS's (standard alphabet, padded). Decoding stays ours: mbedTLS takes neither
// the URL-safe alphabet nor missing padding, which SenML "vd" needs.

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');  // + the NUL mbedTLS writes
  std::size_t written = 0;
  // Cannot fail: the buffer has exactly the room mbedTLS asks for.
  mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &written,
                        bytes.data(), bytes.size());
  out.resize(written);
  return out;
}

namespace {

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<Bytes> base64_decode(std::string_view text) {
  std::size_t padding = 0;
  while (padding < 2 && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++padding;
  }
  if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : text) {
    const int digit = base64_digit(c);
    if (digit < 0) return std::nullopt;  // includes a third '=' or one in the middle
    bits = (bits << 6) | static_cast<std::uint32_t>(digit);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<std::uint8_t>((bits >> bit_count) & 0xFF));
    }
  }
  if ((bits & ((1u << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

// ---- Bytes and text ---------------------------------------------------------------------------

bool is_valid_utf8(std::span<const std::uint8_t> bytes) {
  return mqtt::is_valid_utf8({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

const char* type_name(ResourceType type) {
  switch (type) {
    case ResourceType::None:
      return "executable (no value)";
    case ResourceType::String:
      return "String";
    case ResourceType::Integer:
      return "Integer";
    case ResourceType::UnsignedInteger:
      return "Unsigned Integer";
    case ResourceType::Float:
      return "Float";
    case ResourceType::Boolean:
      return "Boolean";
    case ResourceType::Opaque:
      return "Opaque";
    case ResourceType::Time:
      return "Time";
    case ResourceType::ObjectLink:
      return "Objlnk";
    case ResourceType::CoreLink:
      return "Corelnk";
  }
  return "?";
}

// Short, printable excerpt of hostile text for error messages.
std::string excerpt(std::string_view text) {
  constexpr std::size_t kShown = 40;
  std::string out = "'";
  for (const char c : text.substr(0, kShown)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > kShown) out += "...";
  return out + "'";
}

// "objectId:instanceId", each 0..65535 (65535 on both sides is the spec's "no link").
std::optional<tlv::ObjectLink> parse_object_link(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto object = text.substr(0, colon);
  const auto instance = text.substr(colon + 1);
  const auto digits_only = [](std::string_view part) {
    return !part.empty() && part.size() <= 5 &&
           part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!digits_only(object) || !digits_only(instance)) return std::nullopt;
  const auto object_id = parse_decimal<std::uint32_t>(object);
  const auto instance_id = parse_decimal<std::uint32_t>(instance);
  if (!object_id || !instance_id || *object_id > 0xFFFF || *instance_id > 0xFFFF) {
    return std::nullopt;
  }
  return tlv::ObjectLink{static_cast<std::uint16_t>(*object_id),
                         static_cast<std::uint16_t>(*instance_id)};
}

std::string format_object_link(tlv::ObjectLink link) {
  return std::to_string(link.object_id) + ":" + std::to_string(link.instance_id);
}

std::string format_float(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (error != std::errc{}) return std::to_string(value);  // cannot happen with 64 bytes
  return std::string(buffer, end);
}

// A 4-byte float widened to the double with the same shortest decimal form, so 1.1f reads as
// 1.1 rather than 1.100000023841858 (what the device meant, and what a reader expects).
double widen_float(float value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  double widened = value;
  if (error == std::errc{}) std::from_chars(buffer, end, widened);
  return widened;
}

namespace {

Result<std::int64_t> json_to_int64(const json& value) {
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Error{"integer " + value.dump() + " is out of range (signed 64-bit)"};
    }
    return static_cast<std::int64_t>(unsigned_value);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number) || std::trunc(number) != number) {
      return Error{"expected an integer, got " + value.dump()};
    }
    // 2^63 is exactly representable; anything at or above it, or below -2^63, does not fit.
    if (number < -9223372036854775808.0 || number >= 9223372036854775808.0) {
      return Error{"integer " + value.dump() + " is out of range (signed 64-bit)"};
    }
    return static_cast<std::int64_t>(number);
  }
  return Error{std::string("expected an integer, got ") + value.type_name()};
}

Result<std::uint64_t> json_to_uint64(const json& value) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) {
    const auto signed_value = value.get<std::int64_t>();
    if (signed_value < 0) {
      return Error{"integer " + value.dump() + " is negative, expected an unsigned integer"};
    }
    return static_cast<std::uint64_t>(signed_value);
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number) || std::trunc(number) != number) {
      return Error{"expected an unsigned integer, got " + value.dump()};
    }
    if (number < 0 || number >= 18446744073709551616.0) {
      return Error{"integer " + value.dump() + " is out of range (unsigned 64-bit)"};
    }
    return static_cast<std::uint64_t>(number);
  }
  return Error{std::string("expected an unsigned integer, got ") + value.type_name()};
}

}  // namespace

// ---- Values: canonical JSON <-> bytes ---------------------------------------------------------

Result<json> canonical_value(ResourceType type, const json& value) {
  switch (type) {
    case ResourceType::None:
      return Error{"executable resources carry no value"};
    case ResourceType::String:
    case ResourceType::CoreLink:
      if (!value.is_string()) {
        return Error{std::string("expected a string, got ") + value.type_name()};
      }
      if (!is_valid_utf8(as_bytes(value.get_ref<const std::string&>()))) {
        return Error{"string is not valid UTF-8"};
      }
      return value;
    case ResourceType::Integer:
    case ResourceType::Time: {
      auto integer = json_to_int64(value);
      if (!integer) return Error{integer.error()};
      return json(*integer);
    }
    case ResourceType::UnsignedInteger: {
      auto integer = json_to_uint64(value);
      if (!integer) return Error{integer.error()};
      return json(*integer);
    }
    case ResourceType::Float:
      if (!value.is_number()) {
        return Error{std::string("expected a number, got ") + value.type_name()};
      }
      if (!std::isfinite(value.get<double>())) return Error{"number is not finite"};
      return json(value.get<double>());
    case ResourceType::Boolean:
      if (!value.is_boolean()) {
        return Error{std::string("expected true or false, got ") + value.type_name()};
      }
      return value;
    case ResourceType::Opaque: {
      if (!value.is_string()) {
        return Error{std::string("expected a base64 string, got ") + value.type_name()};
      }
      const auto bytes = base64_decode(value.get_ref<const std::string&>());
      if (!bytes)
        return Error{"value " + excerpt(value.get_ref<const std::string&>()) +
                     " is not valid base64"};
      return json(base64_encode(*bytes));
    }
    case ResourceType::ObjectLink: {
      if (!value.is_string()) {
        return Error{std::string("expected an object link string \"obj:inst\", got ") +
                     value.type_name()};
      }
      const auto link = parse_object_link(value.get_ref<const std::string&>());
      if (!link) {
        return Error{"value " + excerpt(value.get_ref<const std::string&>()) +
                     " is not an object link \"obj:inst\" (each 0..65535)"};
      }
      return json(format_object_link(*link));
    }
  }
  return Error{"unknown resource type"};
}

Bytes value_to_tlv_bytes(ResourceType type, const json& value) {
  switch (type) {
    case ResourceType::String:
    case ResourceType::CoreLink:
      return to_bytes(value.get_ref<const std::string&>());
    case ResourceType::Integer:
    case ResourceType::Time:
      return tlv::encode_integer(value.get<std::int64_t>());
    case ResourceType::UnsignedInteger:
      return tlv::encode_unsigned(value.get<std::uint64_t>());
    case ResourceType::Float:
      return tlv::encode_float(value.get<double>());
    case ResourceType::Boolean:
      return tlv::encode_boolean(value.get<bool>());
    case ResourceType::Opaque:
      return base64_decode(value.get_ref<const std::string&>()).value_or(Bytes{});
    case ResourceType::ObjectLink:
      return tlv::encode_object_link(
          parse_object_link(value.get_ref<const std::string&>()).value_or(tlv::ObjectLink{}));
    case ResourceType::None:
      break;
  }
  return {};
}

std::string value_to_text(ResourceType type, const json& value) {
  switch (type) {
    case ResourceType::Integer:
    case ResourceType::Time:
      return std::to_string(value.get<std::int64_t>());
    case ResourceType::UnsignedInteger:
      return std::to_string(value.get<std::uint64_t>());
    case ResourceType::Float:
      return format_float(value.get<double>());
    case ResourceType::Boolean:
      return value.get<bool>() ? "1" : "0";
    case ResourceType::String:
    case ResourceType::CoreLink:
    case ResourceType::Opaque:
    case ResourceType::ObjectLink:
      return value.get<std::string>();
    case ResourceType::None:
      break;
  }
  return {};
}

// Executable resources have no value type; a device sending bytes for one is treated like an
// unknown resource rather than failing the whole payload.
std::optional<ResourceType> known_value_type(const TypeLookup& lookup, const Path& path) {
  if (!lookup || path.depth() < 3) return std::nullopt;
  const auto type = lookup(path.object_id(), path.resource_id());
  if (type == ResourceType::None) return std::nullopt;
  return type;
}

Path truncated(Path path, std::size_t depth) {
  while (path.depth() > depth) path = path.parent();
  return path;
}

// ---- Decoding: the path rules ------------------------------------------------------------------

Result<bool> Collector::add(const Path& path, Result<json> value) {
  if (!value) return Error{path.to_string() + ": " + value.error()};
  if (path.depth() < 3) {
    return Error{path.to_string() + " is not a resource or resource instance"};
  }
  if (!path.starts_with(request_path_)) {
    return Error{path.to_string() + " is outside the requested path " + request_path_.to_string()};
  }
  if (!seen_.insert(path).second) return Error{"duplicate value for " + path.to_string()};
  contents_.push_back(Content{path, std::move(value).value()});
  return true;
}

Result<std::map<Path, BatchLeaf>> batch_leaves(const Path& base, std::span<const BatchItem> items) {
  std::map<Path, BatchLeaf> leaves;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const auto where = "item " + std::to_string(i) + " (" + excerpt(item.path) + "): ";
    auto path = base.join(item.path);
    if (!path) return Error{where + path.error()};
    if (path->depth() < 3) {
      return Error{where + path->to_string() + " is not a resource or resource instance"};
    }
    auto canonical = canonical_value(item.type, item.value);
    if (!canonical) return Error{where + canonical.error()};
    if (!leaves.emplace(*path, BatchLeaf{item.type, std::move(canonical).value()}).second) {
      return Error{where + "duplicate path " + path->to_string()};
    }
  }
  return leaves;
}

}  // namespace gatemq::gateway::lwm2m::detail
