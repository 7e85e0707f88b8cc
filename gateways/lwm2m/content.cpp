#include "gateways/lwm2m/content.hpp"

#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <set>
#include <string_view>

#include "core/mqtt/utf8.hpp"
#include "gateways/lwm2m/tlv.hpp"

namespace gatemq::gateway::lwm2m {
namespace {

using nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Base64 (RFC 4648). Written here because core/ has no shared helper (other modules call mbedTLS
// directly, which this library does not link). Encoding is the standard alphabet with padding;
// decoding also takes the URL-safe alphabet and missing padding, since SenML "vd" is base64url
// without padding (RFC 8428) while LwM2M 1.0 JSON and MQTT clients use the standard one.

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kBase64Alphabet[(group >> 18) & 63];
    out += kBase64Alphabet[(group >> 12) & 63];
    out += kBase64Alphabet[(group >> 6) & 63];
    out += kBase64Alphabet[group & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t group = bytes[i] << 16;
    if (left == 2) group |= bytes[i + 1] << 8;
    out += kBase64Alphabet[(group >> 18) & 63];
    out += kBase64Alphabet[(group >> 12) & 63];
    out += left == 2 ? kBase64Alphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Refuses whitespace, stray characters, misplaced or excess padding, an impossible length and
// non-zero leftover bits (so each byte string has one accepted spelling per alphabet).
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

// ---------------------------------------------------------------------------------------------
// Small helpers

// nlohmann refuses to dump invalid UTF-8, so nothing else may reach a JSON string.
bool is_valid_utf8(std::span<const std::uint8_t> bytes) {
  return mqtt::is_valid_utf8({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Bytes to_bytes(std::string_view text) {
  return Bytes(text.begin(), text.end());
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

template <typename Integer>
std::optional<Integer> parse_decimal(std::string_view text) {
  Integer value{};
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
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

// ---------------------------------------------------------------------------------------------
// Values: canonical JSON <-> bytes

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

// Binary form used inside TLV (and raw for octet-stream). `value` is already canonical.
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

// text/plain form (TS Appendix C): decimal numbers, "0"/"1" booleans, base64 opaque.
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

Result<json> tlv_bytes_to_value(std::optional<ResourceType> type,
                                std::span<const std::uint8_t> bytes) {
  // Without a type nothing says how to read the bytes: keep them all, as Opaque.
  if (!type) return json(base64_encode(bytes));
  switch (*type) {
    case ResourceType::String:
    case ResourceType::CoreLink:
      if (!is_valid_utf8(bytes)) return Error{"string is not valid UTF-8"};
      return json(std::string(as_text(bytes)));
    case ResourceType::Integer:
    case ResourceType::Time: {
      auto integer = tlv::decode_integer(bytes);
      if (!integer) return Error{integer.error()};
      return json(*integer);
    }
    case ResourceType::UnsignedInteger: {
      auto integer = tlv::decode_unsigned(bytes);
      if (!integer) return Error{integer.error()};
      return json(*integer);
    }
    case ResourceType::Float: {
      auto number = tlv::decode_float(bytes);
      if (!number) return Error{number.error()};
      if (!std::isfinite(*number)) return Error{"float is not finite (JSON cannot carry it)"};
      const double value =
          bytes.size() == 4 ? widen_float(static_cast<float>(*number)) : number.value();
      return json(value);
    }
    case ResourceType::Boolean: {
      auto flag = tlv::decode_boolean(bytes);
      if (!flag) return Error{flag.error()};
      return json(*flag);
    }
    case ResourceType::Opaque:
      return json(base64_encode(bytes));
    case ResourceType::ObjectLink: {
      auto link = tlv::decode_object_link(bytes);
      if (!link) return Error{link.error()};
      return json(format_object_link(*link));
    }
    case ResourceType::None:
      break;
  }
  return json(base64_encode(bytes));
}

Result<json> text_to_value(std::optional<ResourceType> type, std::string_view text) {
  if (!is_valid_utf8(as_bytes(text))) return Error{"text is not valid UTF-8"};
  if (!type) return json(std::string(text));
  switch (*type) {
    case ResourceType::Integer:
    case ResourceType::Time: {
      const auto integer = parse_decimal<std::int64_t>(text);
      if (!integer) return Error{"text " + excerpt(text) + " is not a signed 64-bit integer"};
      return json(*integer);
    }
    case ResourceType::UnsignedInteger: {
      const auto integer = parse_decimal<std::uint64_t>(text);
      if (!integer) return Error{"text " + excerpt(text) + " is not an unsigned 64-bit integer"};
      return json(*integer);
    }
    case ResourceType::Float: {
      double number = 0;
      const auto* end = text.data() + text.size();
      const auto [stop, error] =
          std::from_chars(text.data(), end, number, std::chars_format::general);
      if (text.empty() || error != std::errc{} || stop != end || !std::isfinite(number)) {
        return Error{"text " + excerpt(text) + " is not a finite number"};
      }
      return json(number);
    }
    case ResourceType::Boolean:
      // The spec spells booleans "0"/"1"; "true"/"false" is tolerated from lax devices.
      if (text == "1" || text == "true") return json(true);
      if (text == "0" || text == "false") return json(false);
      return Error{"text " + excerpt(text) + " is not a boolean (0 or 1)"};
    case ResourceType::Opaque:
    case ResourceType::ObjectLink:
      return canonical_value(*type, json(std::string(text)));
    case ResourceType::String:
    case ResourceType::CoreLink:
    case ResourceType::None:
      break;
  }
  return json(std::string(text));
}

// ---------------------------------------------------------------------------------------------
// Decoding: collects the values with their paths, refusing duplicates and paths outside the
// request.

class Collector {
 public:
  Collector(const Path& request_path, const TypeLookup& lookup)
      : request_path_(request_path), lookup_(lookup) {}

  std::optional<ResourceType> type_of(const Path& path) const {
    return known_value_type(lookup_, path);
  }

  // `path` must name a resource or resource instance under the request path.
  Result<bool> add(const Path& path, Result<json> value) {
    if (!value) return Error{path.to_string() + ": " + value.error()};
    if (path.depth() < 3) {
      return Error{path.to_string() + " is not a resource or resource instance"};
    }
    if (!path.starts_with(request_path_)) {
      return Error{path.to_string() + " is outside the requested path " +
                   request_path_.to_string()};
    }
    if (!seen_.insert(path).second) return Error{"duplicate value for " + path.to_string()};
    contents_.push_back(Content{path, std::move(value).value()});
    return true;
  }

  const Path& request_path() const { return request_path_; }
  std::vector<Content> take() { return std::move(contents_); }

 private:
  Path request_path_;
  const TypeLookup& lookup_;
  std::set<Path> seen_;
  std::vector<Content> contents_;
};

Path truncated(Path path, std::size_t depth) {
  while (path.depth() > depth) path = path.parent();
  return path;
}

// Adds a Resource or Multiple Resource TLV found under object instance `instance`.
Result<bool> collect_resource(Collector& collector, const Path& instance, const tlv::Entry& entry) {
  const auto resource = instance.child(entry.id);
  if (!resource) return Error{"TLV resource id " + std::to_string(entry.id) + " is out of range"};
  if (entry.kind == tlv::Kind::ResourceValue) {
    return collector.add(*resource, tlv_bytes_to_value(collector.type_of(*resource), entry.value));
  }
  for (const auto& item : entry.children) {
    const auto resource_instance = resource->child(item.id);
    if (!resource_instance) {
      return Error{"TLV resource instance id " + std::to_string(item.id) + " is out of range"};
    }
    auto added = collector.add(*resource_instance,
                               tlv_bytes_to_value(collector.type_of(*resource), item.value));
    if (!added) return added;
  }
  return true;
}

Result<std::vector<Content>> decode_tlv(std::span<const std::uint8_t> payload,
                                        const Path& request_path, const TypeLookup& lookup) {
  if (request_path.is_root()) return Error{"a TLV payload needs a request path with an object"};
  auto entries = tlv::decode(payload);
  if (!entries) return Error{entries.error()};
  Collector collector(request_path, lookup);
  const auto mismatch = [&](const char* what, std::uint16_t id) {
    return Error{std::string("TLV ") + what + " " + std::to_string(id) +
                 " does not match the requested path " + request_path.to_string()};
  };
  for (const auto& entry : *entries) {
    Result<bool> added = true;
    switch (entry.kind) {
      case tlv::Kind::ObjectInstance: {
        if (request_path.depth() >= 2 && entry.id != request_path.instance_id()) {
          return mismatch("object instance", entry.id);
        }
        const auto instance = truncated(request_path, 1).child(entry.id);
        if (!instance) return mismatch("object instance", entry.id);
        for (const auto& child : entry.children) {
          added = collect_resource(collector, *instance, child);
          if (!added) break;
        }
        break;
      }
      case tlv::Kind::ResourceValue:
      case tlv::Kind::MultipleResource: {
        // Resources straight under an object path: some clients leave out the Object Instance
        // TLV for single-instance objects; read them as instance 0.
        const Path instance = request_path.depth() >= 2
                                  ? truncated(request_path, 2)
                                  : request_path.child(0).value_or(request_path);
        if (request_path.depth() >= 3 && entry.id != request_path.resource_id()) {
          return mismatch("resource", entry.id);
        }
        added = collect_resource(collector, instance, entry);
        break;
      }
      case tlv::Kind::ResourceInstance: {
        // Bare resource instances answer a request for their resource (or one instance of it).
        if (request_path.depth() < 3) {
          return Error{"TLV resource instance " + std::to_string(entry.id) +
                       " needs a resource request path, not " + request_path.to_string()};
        }
        const auto resource = truncated(request_path, 3);
        const auto resource_instance = resource.child(entry.id);
        if (!resource_instance) return mismatch("resource instance", entry.id);
        added = collector.add(*resource_instance,
                              tlv_bytes_to_value(collector.type_of(resource), entry.value));
        break;
      }
    }
    if (!added) return Error{added.error()};
  }
  return collector.take();
}

Result<std::vector<Content>> decode_single(std::uint16_t format,
                                           std::span<const std::uint8_t> payload,
                                           const Path& request_path, const TypeLookup& lookup) {
  if (request_path.depth() < 3) {
    return Error{"a text or opaque payload needs a resource path, not " + request_path.to_string()};
  }
  Collector collector(request_path, lookup);
  const bool opaque =
      format == content_format::kOctetStream || format == content_format::kLegacyOpaque;
  // Octet-stream carries raw bytes whatever the declared type; base64 keeps them intact.
  auto value = opaque ? Result<json>(json(base64_encode(payload)))
                      : text_to_value(collector.type_of(request_path), as_text(payload));
  auto added = collector.add(request_path, std::move(value));
  if (!added) return Error{added.error()};
  return collector.take();
}

// ---- JSON formats ----------------------------------------------------------------------------

// Bounded nesting before handing the text to nlohmann: legitimate payloads are two levels deep,
// and a hostile "[[[[..." should cost nothing.
bool nesting_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

Result<json> parse_json(std::span<const std::uint8_t> payload) {
  const auto text = as_text(payload);
  if (!nesting_within(text, 8)) return Error{"JSON payload is nested too deeply"};
  auto document = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Error{"payload is not valid JSON"};
  return document;
}

// What a record's value key says about its value.
enum class ValueKind { Number, String, Boolean, ObjectLink, Data };

struct RecordValue {
  ValueKind kind;
  const char* key;
  const json* value;
};

struct ValueKey {
  const char* key;
  ValueKind kind;
};

// LwM2M 1.0 JSON (TS 1.0 §6.4.4): v number, sv string (also base64 Opaque), bv boolean,
// ov "obj:inst". SenML JSON (RFC 8428, LwM2M 1.1 §7.4.5): v, vs, vb, vd (base64url data)
// and LwM2M's vlo object link.
constexpr ValueKey kOmaJsonKeys[] = {{"v", ValueKind::Number},
                                     {"sv", ValueKind::String},
                                     {"bv", ValueKind::Boolean},
                                     {"ov", ValueKind::ObjectLink}};
// Note "bv" differs: a boolean in LwM2M 1.0 JSON, the base value (a number) in SenML.
constexpr ValueKey kSenmlKeys[] = {{"v", ValueKind::Number},
                                   {"vs", ValueKind::String},
                                   {"vb", ValueKind::Boolean},
                                   {"vd", ValueKind::Data},
                                   {"vlo", ValueKind::ObjectLink}};

// The single value of a record: nullopt when it has none, an error when it has several.
Result<std::optional<RecordValue>> find_value(const json& record, std::span<const ValueKey> keys) {
  std::optional<RecordValue> found;
  for (const auto& [key, kind] : keys) {
    const auto it = record.find(key);
    if (it == record.end()) continue;
    if (found) {
      return Error{std::string("record has both '") + found->key + "' and '" + key + "'"};
    }
    found = RecordValue{kind, key, &*it};
  }
  return found;
}

// Converts a record's value to the resource's type, checking that the JSON kinds agree.
Result<json> record_to_value(std::optional<ResourceType> type, const RecordValue& record) {
  const json& raw = *record.value;
  const std::string key = std::string("'") + record.key + "'";
  switch (record.kind) {
    case ValueKind::Number:
      if (!raw.is_number()) return Error{key + " must be a number"};
      break;
    case ValueKind::Boolean:
      if (!raw.is_boolean()) return Error{key + " must be true or false"};
      break;
    case ValueKind::String:
    case ValueKind::ObjectLink:
    case ValueKind::Data:
      if (!raw.is_string()) return Error{key + " must be a string"};
      break;
  }
  if (!type) {
    // Unknown resource: keep the device's own JSON type, validating the typed string forms.
    if (record.kind == ValueKind::ObjectLink) return canonical_value(ResourceType::ObjectLink, raw);
    if (record.kind == ValueKind::Data) return canonical_value(ResourceType::Opaque, raw);
    return raw;
  }
  bool fits = false;
  switch (*type) {
    case ResourceType::Integer:
    case ResourceType::UnsignedInteger:
    case ResourceType::Time:
    case ResourceType::Float:
      fits = record.kind == ValueKind::Number;
      break;
    case ResourceType::Boolean:
      fits = record.kind == ValueKind::Boolean;
      break;
    case ResourceType::String:
    case ResourceType::CoreLink:
      fits = record.kind == ValueKind::String;
      break;
    case ResourceType::Opaque:
      // LwM2M 1.0 JSON has no data key and puts base64 in "sv".
      fits = record.kind == ValueKind::Data || record.kind == ValueKind::String;
      break;
    case ResourceType::ObjectLink:
      fits = record.kind == ValueKind::ObjectLink;
      break;
    case ResourceType::None:
      break;
  }
  if (!fits) {
    return Error{std::string("resource is ") + type_name(*type) + " but the payload has " + key};
  }
  return canonical_value(*type, raw);
}

// bn + n, made absolute: names starting with '/' are full paths, others are relative to the
// request path (a payload without "bn"). The trailing '/' that base names conventionally carry
// ("/3/0/" with an empty name) is dropped.
Result<Path> resolve_name(std::string name, const Path& request_path) {
  if (name.size() > 1 && name.back() == '/') name.pop_back();
  if (name.empty()) return request_path;
  if (name.front() == '/') return Path::parse(name);
  return request_path.join(name);
}

Result<bool> add_record(Collector& collector, std::size_t index, const std::string& name,
                        const RecordValue& value) {
  const auto where = [&] { return "record " + std::to_string(index) + ": "; };
  auto path = resolve_name(name, collector.request_path());
  if (!path) return Error{where() + path.error()};
  if (path->depth() < 3) {
    return Error{where() + path->to_string() + " is not a resource or resource instance"};
  }
  auto added = collector.add(*path, record_to_value(collector.type_of(*path), value));
  if (!added) return Error{where() + added.error()};
  return true;
}

Result<const std::string*> optional_string(const json& record, const char* key) {
  const auto it = record.find(key);
  if (it == record.end()) return static_cast<const std::string*>(nullptr);
  if (!it->is_string()) return Error{std::string("'") + key + "' must be a string"};
  return &it->get_ref<const std::string&>();
}

Result<std::vector<Content>> decode_oma_json(std::span<const std::uint8_t> payload,
                                             const Path& request_path, const TypeLookup& lookup) {
  auto document = parse_json(payload);
  if (!document) return Error{document.error()};
  if (!document->is_object()) return Error{"LwM2M JSON payload must be an object"};
  auto base_name = optional_string(*document, "bn");
  if (!base_name) return Error{base_name.error()};
  const auto entries = document->find("e");
  if (entries == document->end() || !entries->is_array()) {
    return Error{"LwM2M JSON payload needs an 'e' array"};
  }
  Collector collector(request_path, lookup);
  std::size_t index = 0;
  for (const auto& record : *entries) {
    const auto where = "record " + std::to_string(index) + ": ";
    if (!record.is_object()) return Error{where + "must be an object"};
    auto name = optional_string(record, "n");
    if (!name) return Error{where + name.error()};
    auto value = find_value(record, kOmaJsonKeys);
    if (!value) return Error{where + value.error()};
    if (!*value) return Error{where + "has no value"};
    const std::string full_name = (*base_name ? **base_name : "") + (*name ? **name : "");
    auto added = add_record(collector, index, full_name, **value);
    if (!added) return Error{added.error()};
    ++index;
  }
  return collector.take();
}

Result<std::vector<Content>> decode_senml_json(std::span<const std::uint8_t> payload,
                                               const Path& request_path, const TypeLookup& lookup) {
  auto document = parse_json(payload);
  if (!document) return Error{document.error()};
  if (!document->is_array()) return Error{"SenML JSON payload must be an array"};
  Collector collector(request_path, lookup);
  std::string base_name;  // RFC 8428 §4.1: a base field applies until the next one replaces it
  double base_value = 0;
  std::size_t index = 0;
  for (const auto& record : *document) {
    const auto where = "record " + std::to_string(index) + ": ";
    if (!record.is_object()) return Error{where + "must be an object"};
    auto record_base = optional_string(record, "bn");
    if (!record_base) return Error{where + record_base.error()};
    if (*record_base) base_name = **record_base;
    if (const auto it = record.find("bv"); it != record.end()) {
      if (!it->is_number()) return Error{where + "'bv' must be a number"};
      base_value = it->get<double>();
    }
    auto name = optional_string(record, "n");
    if (!name) return Error{where + name.error()};
    auto value = find_value(record, kSenmlKeys);
    if (!value) return Error{where + value.error()};
    if (!*value) {
      // A record of base fields only is fine; a named one without value is not.
      if (*name) return Error{where + "has no value"};
      ++index;
      continue;
    }
    RecordValue record_value = **value;
    json adjusted;
    if (record_value.kind == ValueKind::Number && base_value != 0) {
      // Base value (RFC 8428 §4.1): rarely used by LwM2M devices; the sum is a double.
      const double sum = base_value + record_value.value->get<double>();
      if (!std::isfinite(sum)) return Error{where + "value plus base value is not finite"};
      adjusted = sum;
      record_value.value = &adjusted;
    }
    auto added = add_record(collector, index, base_name + (*name ? **name : ""), record_value);
    if (!added) return Error{added.error()};
    ++index;
  }
  return collector.take();
}

// ---------------------------------------------------------------------------------------------
// Encoding

// Appends one leaf (a resource or resource-instance value) to the resource-level TLVs of one
// object instance. Leaves arrive sorted, so a resource's instances are contiguous and follow the
// resource itself if it was also given as a single value.
Result<bool> append_leaf(std::vector<tlv::Entry>& resources, const Path& leaf, Bytes bytes) {
  const auto resource_id = leaf.resource_id();
  const bool same_resource = !resources.empty() && resources.back().id == resource_id;
  if (leaf.is_resource()) {
    resources.push_back(tlv::resource(resource_id, std::move(bytes)));
    return true;
  }
  if (same_resource && resources.back().kind == tlv::Kind::ResourceValue) {
    return Error{"resource " + truncated(leaf, 3).to_string() +
                 " is given both as a value and as instances"};
  }
  if (!same_resource) resources.push_back(tlv::multiple_resource(resource_id, {}));
  resources.back().children.push_back(
      tlv::resource_instance(leaf.resource_instance_id(), std::move(bytes)));
  return true;
}

Result<Payload> encode_tlv_payload(std::span<const tlv::Entry> entries) {
  auto bytes = tlv::encode(entries);
  if (!bytes) return Error{bytes.error()};
  return Payload{content_format::kOmaTlv, std::move(bytes).value()};
}

Result<Payload> encode_value_unchecked(const Path& path, ResourceType type, const json& value,
                                       std::uint16_t format) {
  if (path.depth() < 3) {
    return Error{"a single value needs a resource or resource instance path, not " +
                 path.to_string()};
  }
  auto canonical = canonical_value(type, value);
  if (!canonical) return Error{path.to_string() + ": " + canonical.error()};
  switch (format) {
    case content_format::kTextPlain:
      return Payload{format, to_bytes(value_to_text(type, *canonical))};
    case content_format::kOctetStream:
      if (type != ResourceType::Opaque) {
        return Error{path.to_string() + ": octet-stream is only for Opaque resources"};
      }
      return Payload{format, value_to_tlv_bytes(type, *canonical)};
    case content_format::kOmaTlv: {
      auto bytes = value_to_tlv_bytes(type, *canonical);
      const tlv::Entry entry =
          path.is_resource()
              ? tlv::resource(path.resource_id(), std::move(bytes))
              : tlv::resource_instance(path.resource_instance_id(), std::move(bytes));
      return encode_tlv_payload(std::span(&entry, 1));
    }
    default:
      return Error{"content format " + std::to_string(format) + " is not supported for writing"};
  }
}

Result<Payload> encode_batch_unchecked(const Path& base, std::span<const BatchItem> items) {
  if (base.depth() < 1 || base.depth() > 3) {
    return Error{"a batch needs an object, object instance or resource base path, not " +
                 base.to_string()};
  }
  std::map<Path, Bytes> leaves;
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
    if (!leaves.emplace(*path, value_to_tlv_bytes(item.type, *canonical)).second) {
      return Error{where + "duplicate path " + path->to_string()};
    }
  }

  std::vector<tlv::Entry> top;
  if (base.is_resource()) {
    // Every leaf is an instance of the base resource (join only goes deeper).
    top.push_back(tlv::multiple_resource(base.resource_id(), {}));
    for (auto& [path, bytes] : leaves) {
      top.back().children.push_back(
          tlv::resource_instance(path.resource_instance_id(), std::move(bytes)));
    }
  } else if (base.is_object_instance()) {
    for (auto& [path, bytes] : leaves) {
      auto appended = append_leaf(top, path, std::move(bytes));
      if (!appended) return Error{appended.error()};
    }
  } else {
    for (auto& [path, bytes] : leaves) {
      if (top.empty() || top.back().id != path.instance_id()) {
        top.push_back(tlv::object_instance(path.instance_id(), {}));
      }
      auto appended = append_leaf(top.back().children, path, std::move(bytes));
      if (!appended) return Error{appended.error()};
    }
  }
  return encode_tlv_payload(top);
}

}  // namespace

Result<std::vector<Content>> decode(std::uint16_t format, std::span<const std::uint8_t> payload,
                                    const Path& request_path, const TypeLookup& lookup) {
  try {
    switch (format) {
      case content_format::kTextPlain:
      case content_format::kLegacyText:
      case content_format::kOctetStream:
      case content_format::kLegacyOpaque:
        return decode_single(format, payload, request_path, lookup);
      case content_format::kOmaTlv:
      case content_format::kLegacyTlv:
        return decode_tlv(payload, request_path, lookup);
      case content_format::kOmaJson:
      case content_format::kLegacyJson:
        return decode_oma_json(payload, request_path, lookup);
      case content_format::kSenmlJson:
        return decode_senml_json(payload, request_path, lookup);
      default:
        return Error{"unsupported content format " + std::to_string(format)};
    }
  } catch (const std::exception& error) {
    // Should not happen (all JSON access is type-checked first); never let it escape.
    return Error{std::string("cannot decode payload: ") + error.what()};
  }
}

std::uint16_t single_value_format(ResourceType type) {
  return type == ResourceType::Opaque ? content_format::kOctetStream : content_format::kTextPlain;
}

Result<Payload> encode_value(const Path& path, ResourceType type, const json& value,
                             std::uint16_t format) {
  try {
    return encode_value_unchecked(path, type, value, format);
  } catch (const std::exception& error) {
    return Error{std::string("cannot encode value: ") + error.what()};
  }
}

Result<Payload> encode_batch(const Path& base, std::span<const BatchItem> items) {
  try {
    return encode_batch_unchecked(base, items);
  } catch (const std::exception& error) {
    return Error{std::string("cannot encode batch: ") + error.what()};
  }
}

Result<json> check_value(ResourceType type, const json& value) {
  try {
    return canonical_value(type, value);
  } catch (const std::exception& error) {
    return Error{std::string("cannot check value: ") + error.what()};
  }
}

}  // namespace gatemq::gateway::lwm2m
