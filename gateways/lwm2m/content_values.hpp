// Internal to the content-format layer (content*.cpp): the value helpers every format shares.
// Checking a JSON value against a resource type and converting it to and from the TLV/text
// forms, base64, object links, and the Collector that enforces the path rules of a decoded
// payload (at or under the request path, resources or resource instances only, no duplicates).
// Not part of the public API; see content.hpp for that.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/lwm2m/content.hpp"
#include "gateways/lwm2m/tlv.hpp"

namespace gatemq::gateway::lwm2m::detail {

using Bytes = std::vector<std::uint8_t>;

// ---- Base64 (RFC 4648) ----------------------------------------------------------------------

// Standard alphabet with padding (what the MQTT side sees for Opaque values).
std::string base64_encode(std::span<const std::uint8_t> bytes);

// Takes the standard and the URL-safe alphabet, with or without padding, since SenML "vd" is
// base64url without padding (RFC 8428) while LwM2M 1.0 JSON and MQTT clients use the standard
// one. Refuses whitespace, stray characters, misplaced padding and non-zero leftover bits.
std::optional<Bytes> base64_decode(std::string_view text);

// ---- Bytes and text ---------------------------------------------------------------------------

// nlohmann refuses to dump invalid UTF-8, so nothing else may reach a JSON string.
bool is_valid_utf8(std::span<const std::uint8_t> bytes);

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline Bytes to_bytes(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// "Unsigned Integer", "Objlnk", ... for error messages.
const char* type_name(ResourceType type);

// Short, printable excerpt of hostile text for error messages.
std::string excerpt(std::string_view text);

template <typename Integer>
std::optional<Integer> parse_decimal(std::string_view text) {
  Integer value{};
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

// "objectId:instanceId", each 0..65535 (65535 on both sides is the spec's "no link").
std::optional<tlv::ObjectLink> parse_object_link(std::string_view text);
std::string format_object_link(tlv::ObjectLink link);

// Shortest decimal form that reads back as the same double.
std::string format_float(double value);

// A 4-byte float widened to the double with the same shortest decimal form, so 1.1f reads as
// 1.1 rather than 1.100000023841858 (what the device meant, and what a reader expects).
double widen_float(float value);

// ---- Values: canonical JSON <-> bytes ---------------------------------------------------------

// The canonical JSON form of `value` for `type` (content.hpp's conventions) or why it does not
// fit.
Result<nlohmann::json> canonical_value(ResourceType type, const nlohmann::json& value);

// Binary form used inside TLV (and raw for octet-stream). `value` must already be canonical.
Bytes value_to_tlv_bytes(ResourceType type, const nlohmann::json& value);

// text/plain form (TS Appendix C): decimal numbers, "0"/"1" booleans, base64 opaque. `value`
// must already be canonical.
std::string value_to_text(ResourceType type, const nlohmann::json& value);

// The value type of a resource or resource-instance path; nullopt when unknown and for
// executable resources (a device sending bytes for one is treated like an unknown resource
// rather than failing the whole payload).
std::optional<ResourceType> known_value_type(const TypeLookup& lookup, const Path& path);

// `path` cut down to at most `depth` levels.
Path truncated(Path path, std::size_t depth);

// ---- Encoding: batches -------------------------------------------------------------------------

// One checked value of a batch write, at its full path.
struct BatchLeaf {
  ResourceType type = ResourceType::String;
  nlohmann::json value;  // canonical
};

// The items of a batch under `base`, in path order, each a resource or resource instance with a
// canonical value and given once; or the first item that is not, named in the error.
Result<std::map<Path, BatchLeaf>> batch_leaves(const Path& base, std::span<const BatchItem> items);

// ---- Decoding: the path rules ------------------------------------------------------------------

// Collects the values of one payload with their paths, refusing duplicates, paths outside the
// request and paths above resource level.
class Collector {
 public:
  Collector(const Path& request_path, const TypeLookup& lookup)
      : request_path_(request_path), lookup_(lookup) {}

  std::optional<ResourceType> type_of(const Path& path) const {
    return known_value_type(lookup_, path);
  }

  // `path` must name a resource or resource instance under the request path.
  Result<bool> add(const Path& path, Result<nlohmann::json> value);

  const Path& request_path() const { return request_path_; }
  std::vector<Content> take() { return std::move(contents_); }

 private:
  Path request_path_;
  const TypeLookup& lookup_;
  std::set<Path> seen_;
  std::vector<Content> contents_;
};

}  // namespace gatemq::gateway::lwm2m::detail
