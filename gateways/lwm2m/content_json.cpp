// The JSON content formats: OMA-JSON (11543, LwM2M 1.0 TS §6.4.4) and SenML JSON (110, RFC 8428
// and LwM2M 1.1 TS §7.4.5). Both are lists of records naming a resource and carrying one value;
// they differ in the field names and in where the base name lives.
#include <cmath>
#include <string>
#include <string_view>

#include "gateways/lwm2m/content_formats.hpp"
#include "gateways/lwm2m/content_values.hpp"

namespace gatemq::gateway::lwm2m::detail {
namespace {

using nlohmann::json;

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

}  // namespace

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
  return decode_senml_records(*document, request_path, lookup);
}

Result<std::vector<Content>> decode_senml_records(const json& records, const Path& request_path,
                                                  const TypeLookup& lookup) {
  Collector collector(request_path, lookup);
  std::string base_name;  // RFC 8428 §4.1: a base field applies until the next one replaces it
  double base_value = 0;
  std::size_t index = 0;
  for (const auto& record : records) {
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

}  // namespace gatemq::gateway::lwm2m::detail

namespace gatemq::gateway::lwm2m {
namespace {

using nlohmann::json;

// RFC 8428 §4.3: SenML JSON carries data as base64url without padding.
std::string base64url(std::span<const std::uint8_t> bytes) {
  auto text = detail::base64_encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (auto& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

// The value field of one record; `value` is canonical for `type`.
std::pair<const char*, json> senml_json_value(ResourceType type, const json& value) {
  switch (type) {
    case ResourceType::Boolean:
      return {"vb", value};
    case ResourceType::String:
    case ResourceType::CoreLink:
      return {"vs", value};
    case ResourceType::Opaque:
      return {"vd", base64url(detail::base64_decode(value.get_ref<const std::string&>())
                                  .value_or(detail::Bytes{}))};
    case ResourceType::ObjectLink:
      return {"vlo", value};
    default:  // Integer, Unsigned Integer, Time, Float
      return {"v", value};
  }
}

Result<Payload> encode_senml_json_unchecked(const Path& base, std::span<const BatchItem> items) {
  auto leaves = detail::batch_leaves(base, items);
  if (!leaves) return Error{leaves.error()};
  // The same records as encode_batch_senml_cbor: the first carries the base name.
  const std::string base_name = base.is_root() ? "/" : base.to_string() + "/";
  json records = json::array();
  for (const auto& [path, typed] : *leaves) {
    json record = json::object();
    if (records.empty()) record["bn"] = base_name;
    record["n"] = path.to_string().substr(base_name.size());
    auto [key, value] = senml_json_value(typed.type, typed.value);
    record[key] = std::move(value);
    records.push_back(std::move(record));
  }
  return Payload{content_format::kSenmlJson, detail::to_bytes(records.dump())};
}

}  // namespace

Result<Payload> encode_batch_senml_json(const Path& base, std::span<const BatchItem> items) {
  try {
    return encode_senml_json_unchecked(base, items);
  } catch (const std::exception& error) {
    return Error{std::string("cannot encode batch: ") + error.what()};
  }
}

}  // namespace gatemq::gateway::lwm2m
