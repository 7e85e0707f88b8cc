// The LwM2M content-format layer: turns a device's CoAP payload into JSON values for the MQTT
// side and JSON values from MQTT commands into CoAP payloads for the device. Pure functions, no
// I/O; every payload is treated as hostile. Nothing here throws: failures come back as an Error
// whose message can be forwarded to the MQTT client as is.
//
// JSON value conventions (both directions):
//   String, Corelnk          -> JSON string (UTF-8)
//   Integer, Time            -> JSON integer (signed 64-bit; Time is seconds since the epoch)
//   Unsigned Integer         -> JSON integer (0..2^64-1)
//   Float                    -> JSON number
//   Boolean                  -> JSON true / false
//   Opaque                   -> JSON string, standard base64 with padding (RFC 4648 §4)
//   Objlnk                   -> JSON string "objectId:instanceId", e.g. "3:0"
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/lwm2m/path.hpp"
#include "gateways/lwm2m/resource_type.hpp"

namespace gatemq::gateway::lwm2m {

// CoAP Content-Format numbers (IANA CoAP registry, LwM2M TS §7.4).
namespace content_format {
inline constexpr std::uint16_t kTextPlain = 0;
inline constexpr std::uint16_t kLinkFormat = 40;  // discover answers, registration payloads
inline constexpr std::uint16_t kOctetStream = 42;
inline constexpr std::uint16_t kSenmlJson = 110;
inline constexpr std::uint16_t kSenmlCbor = 112;
inline constexpr std::uint16_t kOmaTlv = 11542;
inline constexpr std::uint16_t kOmaJson = 11543;
// Numbers used by pre-1.0 drafts and still sent by some old clients; decoded as their
// registered equivalents (text, TLV, JSON, opaque).
inline constexpr std::uint16_t kLegacyText = 1541;
inline constexpr std::uint16_t kLegacyTlv = 1542;
inline constexpr std::uint16_t kLegacyJson = 1543;
inline constexpr std::uint16_t kLegacyOpaque = 1544;

// The names commands and lwm2m.default_format_1_1 use: "text", "opaque", "tlv", "json"
// (OMA-JSON), "senml-json", "senml-cbor" (and "link" for link format); nullopt for another.
std::optional<std::uint16_t> from_name(std::string_view name);
// The name of `format` as above, or its number.
std::string name_of(std::uint16_t format);
}  // namespace content_format

// One value: a resource (/o/i/r) or a resource instance (/o/i/r/ri).
struct Content {
  Path path;
  nlohmann::json value;
  friend bool operator==(const Content&, const Content&) = default;
};

// The type of resource `resource` of object `object` from the object definitions; nullopt when
// the object or resource is unknown.
using TypeLookup =
    std::function<std::optional<ResourceType>(std::uint16_t object, std::uint16_t resource)>;

// Decodes a device payload. `request_path` is the path the payload answers (read, observe
// notification; the root "/" for composite operations): the payload's values must lie at or
// under it. Supported formats: text/plain and octet-stream (single resource or resource
// instance paths only), OMA-TLV, OMA-JSON (LwM2M 1.0), SenML JSON and SenML CBOR (LwM2M 1.1;
// definite lengths only, no tags, see content_cbor.cpp). One Content
// per resource or resource instance, in payload order; a path appearing twice is an error.
//
// Unknown types (lookup gives nullopt, or the resource is declared executable): TLV and opaque
// values, which carry no type of their own, become Opaque (base64), which loses nothing and lets
// the MQTT side decode them itself; text becomes a String; JSON formats keep the JSON type the
// device used.
Result<std::vector<Content>> decode(std::uint16_t format, std::span<const std::uint8_t> payload,
                                    const Path& request_path, const TypeLookup& lookup);

// A payload ready to send, with its Content-Format option.
struct Payload {
  std::uint16_t format = content_format::kTextPlain;
  std::vector<std::uint8_t> bytes;
  friend bool operator==(const Payload&, const Payload&) = default;
};

// The format to use for writing one value: octet-stream for Opaque, text/plain otherwise.
std::uint16_t single_value_format(ResourceType type);

// Encodes one value for a resource or resource-instance `path` after checking it against `type`
// (e.g. "abc" or 2^63 for an Integer, or bad base64 for an Opaque, are errors). `format` is
// text/plain, octet-stream (Opaque only), OMA-TLV, SenML CBOR or SenML JSON (one record named
// relative to the parent path: bn "/3/0/", n "14").
Result<Payload> encode_value(const Path& path, ResourceType type, const nlohmann::json& value,
                             std::uint16_t format);

// One value of a batch write, with a path relative to the batch's base path ("13", "/13",
// "6/0").
struct BatchItem {
  std::string path;
  ResourceType type = ResourceType::String;
  nlohmann::json value;
};

// Encodes a batch as OMA-TLV. Base path levels and the item paths they take:
//   object          /3      -> "0/13", "0/6/1": object instance TLVs (for Create)
//   object instance /3/0    -> "13", "6/1":    resource / multiple resource TLVs
//   resource        /3/0/6  -> "0", "1":        one multiple resource TLV of resource instances
// Items must name resources or resource instances, once each; a resource given both as a value
// and through instances is an error. Instances of one resource are grouped whatever their order.
Result<Payload> encode_batch(const Path& base, std::span<const BatchItem> items);

// Encodes a batch as SenML CBOR (LwM2M 1.1): one record per item in path order, the first with
// the base path as its base name ("/3/0/"), each named relative to it ("13", "6/1"). Any base
// path, the root included (for composite operations); items must name resources or resource
// instances, once each.
Result<Payload> encode_batch_senml_cbor(const Path& base, std::span<const BatchItem> items);

// The same records as SenML JSON (LwM2M 1.1): "v", "vs", "vb", "vd" (base64url, no padding,
// RFC 8428 §4.3) and "vlo".
Result<Payload> encode_batch_senml_json(const Path& base, std::span<const BatchItem> items);

// A batch in `format`: OMA-TLV (encode_batch), SenML CBOR or SenML JSON; any other format is an
// error naming it (text, opaque and OMA-JSON carry no batch the gateway writes).
Result<Payload> encode_batch_as(std::uint16_t format, const Path& base,
                                std::span<const BatchItem> items);

// Converts a JSON value to the canonical JSON form for `type` (the conventions above), or an
// error saying why it does not fit. Exposed for the gateway's own validation of commands.
Result<nlohmann::json> check_value(ResourceType type, const nlohmann::json& value);

}  // namespace gatemq::gateway::lwm2m
