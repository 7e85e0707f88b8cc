// The public entry points of the content-format layer (content.hpp): decode() dispatch, the
// single-value formats (text/plain, octet-stream) and OMA-TLV both ways. The JSON formats are in
// content_json.cpp, SenML CBOR in content_cbor.cpp, the shared value helpers in
// content_values.cpp.
#include "gateways/lwm2m/content.hpp"

#include <charconv>
#include <cmath>
#include <exception>
#include <map>
#include <string_view>

#include "gateways/lwm2m/content_formats.hpp"
#include "gateways/lwm2m/content_values.hpp"
#include "gateways/lwm2m/tlv.hpp"

namespace gatemq::gateway::lwm2m {
namespace {

using nlohmann::json;
using namespace detail;

// ---- Decoding: TLV and single values ---------------------------------------------------------

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
    case content_format::kSenmlCbor:
    case content_format::kSenmlJson: {
      // One record named from the parent: bn "/3/0/", n "14".
      const BatchItem item{std::to_string(path.id(path.depth() - 1)), type, *canonical};
      return encode_batch_as(format, path.parent(), std::span(&item, 1));
    }
    default:
      return Error{"content format " + content_format::name_of(format) +
                   " is not supported for writing a value"};
  }
}

Result<Payload> encode_batch_unchecked(const Path& base, std::span<const BatchItem> items) {
  if (base.depth() < 1 || base.depth() > 3) {
    return Error{"a batch needs an object, object instance or resource base path, not " +
                 base.to_string()};
  }
  auto checked = batch_leaves(base, items);
  if (!checked) return Error{checked.error()};
  std::map<Path, Bytes> leaves;
  for (const auto& [path, leaf] : *checked) {
    leaves.emplace(path, value_to_tlv_bytes(leaf.type, leaf.value));
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

constexpr std::pair<std::string_view, std::uint16_t> kFormatNames[] = {
    {"text", content_format::kTextPlain},       {"link", content_format::kLinkFormat},
    {"opaque", content_format::kOctetStream},   {"tlv", content_format::kOmaTlv},
    {"json", content_format::kOmaJson},         {"senml-json", content_format::kSenmlJson},
    {"senml-cbor", content_format::kSenmlCbor},
};

}  // namespace

std::optional<std::uint16_t> content_format::from_name(std::string_view name) {
  for (const auto& [known, format] : kFormatNames) {
    if (known == name) return format;
  }
  return std::nullopt;
}

std::string content_format::name_of(std::uint16_t format) {
  for (const auto& [name, known] : kFormatNames) {
    if (known == format) return std::string(name);
  }
  return std::to_string(format);
}

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
      case content_format::kSenmlCbor:
        return decode_senml_cbor(payload, request_path, lookup);
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

Result<Payload> encode_batch_as(std::uint16_t format, const Path& base,
                                std::span<const BatchItem> items) {
  switch (format) {
    case content_format::kOmaTlv:
      return encode_batch(base, items);
    case content_format::kSenmlCbor:
      return encode_batch_senml_cbor(base, items);
    case content_format::kSenmlJson:
      return encode_batch_senml_json(base, items);
    default:
      return Error{"content format " + content_format::name_of(format) +
                   " cannot carry several values (tlv, senml-cbor or senml-json can)"};
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
