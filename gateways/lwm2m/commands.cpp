#include "gateways/lwm2m/commands.hpp"

#include <cmath>

#include "gateways/lwm2m/registration.hpp"

namespace gatemq::gateway::lwm2m {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxBatchItems = 1024;

struct Refusal {
  std::string reason;
};

const json* member(const json& object, const char* key) {
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::string required_string(const json& data, const char* key) {
  const auto* value = member(data, key);
  if (!value || !value->is_string()) throw Refusal{std::string("data.") + key + " missing"};
  return value->get<std::string>();
}

Path parse_path_or_refuse(const std::string& text) {
  auto path = Path::parse(text);
  if (!path) throw Refusal{"bad path '" + text + "': " + path.error()};
  return *path;
}

// The object must have an XML definition, and a resource path a defined resource: without the
// types nothing can be encoded or decoded faithfully.
const ResourceDefinition* require_definition(const ObjectRegistry& registry, const Path& path) {
  if (path.is_root()) throw Refusal{"the root path is not a target"};
  const auto* object = registry.find(path.object_id());
  if (!object) throw Refusal{"no object definition for /" + std::to_string(path.object_id())};
  if (path.depth() < 3) return nullptr;
  const auto* resource = object->find(path.resource_id());
  if (!resource) throw Refusal{"no resource definition for " + path.to_string()};
  return resource;
}

// MQTT clients often send every value as a string ("value": "42"): numbers and booleans are
// taken from their text when the resource type asks for them.
json coerce(ResourceType type, const json& value) {
  if (!value.is_string()) return value;
  const auto& text = value.get_ref<const std::string&>();
  switch (type) {
    case ResourceType::Integer:
    case ResourceType::UnsignedInteger:
    case ResourceType::Time:
    case ResourceType::Float: {
      auto parsed = json::parse(text, nullptr, false);
      return parsed.is_number() ? parsed : value;
    }
    case ResourceType::Boolean:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      return value;
    default:
      return value;
  }
}

ResourceType value_type(const json& item, const ResourceDefinition* definition) {
  if (const auto* type = member(item, "type")) {
    if (!type->is_string()) throw Refusal{"type is not a string"};
    auto parsed = parse_resource_type(type->get<std::string>());
    if (!parsed || *parsed == ResourceType::None) {
      throw Refusal{"unknown type '" + type->get<std::string>() + "'"};
    }
    return *parsed;
  }
  if (!definition || definition->type == ResourceType::None) throw Refusal{"no type for value"};
  return definition->type;
}

// data.format, when the command names one ("senml-cbor"); refused when it is not a format.
std::optional<std::uint16_t> named_format(const json& data) {
  const auto* name = member(data, "format");
  if (!name) return std::nullopt;
  if (!name->is_string()) throw Refusal{"data.format is not a string"};
  const auto& text = name->get_ref<const std::string&>();
  const auto format = content_format::from_name(text);
  if (!format || *format == content_format::kLinkFormat) {
    throw Refusal{"unknown format '" + text +
                  "' (text, opaque, tlv, json, senml-json or senml-cbor)"};
  }
  return format;
}

void single_write(const json& data, const ObjectRegistry& registry, Command& command) {
  const auto path = parse_path_or_refuse(command.req_path);
  if (path.depth() < 3) throw Refusal{"a single write needs a resource path"};
  const auto* definition = require_definition(registry, path);
  const auto* value = member(data, "value");
  if (!value) throw Refusal{"data.value missing"};
  const auto type = value_type(data, definition);
  const auto coerced = coerce(type, *value);
  // One value goes as text (opaque for Opaque), which every device takes, unless named.
  const auto format = named_format(data).value_or(single_value_format(type));
  auto payload = encode_value(path, type, coerced, format);
  if (!payload) throw Refusal{payload.error()};
  command.request = DeviceRequest{Method::Put, path, {}, payload->format, {}, {}, payload->bytes};
}

// The items of a batch (write or create), paths relative to `base`; an absolute path under
// `base` is taken too.
std::vector<BatchItem> batch_items(const json& data, const ObjectRegistry& registry,
                                   const Path& base) {
  const auto* content = member(data, "content");
  if (!content || !content->is_array() || content->empty()) {
    throw Refusal{"data.content must be a non-empty array"};
  }
  if (content->size() > kMaxBatchItems) throw Refusal{"data.content has too many items"};
  std::vector<BatchItem> items;
  for (const auto& entry : *content) {
    if (!entry.is_object()) throw Refusal{"data.content items must be objects"};
    auto relative = required_string(entry, "path");
    const auto base_text = base.to_string();
    if (relative.starts_with(base_text + "/")) relative = relative.substr(base_text.size() + 1);
    // Object-level bases (Create) take "0/5700" (instance given) or "5700" (device chooses).
    const Path anchor =
        base.is_object() && relative.find('/') == std::string::npos ? *base.child(0) : base;
    auto full = anchor.join(relative);
    if (!full) throw Refusal{"bad content path '" + relative + "': " + full.error()};
    if (full->depth() < 3) throw Refusal{"content path '" + relative + "' is not a resource"};
    const auto* definition = require_definition(registry, *full);
    const auto* value = member(entry, "value");
    if (!value) throw Refusal{"a content item has no value"};
    const auto type = value_type(entry, definition);
    items.push_back(BatchItem{relative, type, coerce(type, *value)});
  }
  return items;
}

void batch_write(const json& data, const ObjectRegistry& registry, std::uint16_t device_format,
                 Command& command) {
  const auto base = parse_path_or_refuse(command.req_path);
  if (base.depth() < 2 || base.depth() > 3) {
    throw Refusal{"basePath must be an object instance or a resource"};
  }
  require_definition(registry, base);
  const auto items = batch_items(data, registry, base);
  auto payload = encode_batch_as(named_format(data).value_or(device_format), base, items);
  if (!payload) throw Refusal{payload.error()};
  // POST on an instance is the partial update (only the given resources change, TS 1.0
  // §5.4.3); on a multiple resource PUT replaces its instances as a whole.
  const auto method = base.depth() == 2 ? Method::Post : Method::Put;
  command.request = DeviceRequest{method, base, {}, payload->format, {}, {}, payload->bytes};
}

void create(const json& data, const ObjectRegistry& registry, std::uint16_t device_format,
            Command& command) {
  const auto base = parse_path_or_refuse(command.req_path);
  if (!base.is_object()) throw Refusal{"basePath of a create must be an object"};
  require_definition(registry, base);
  auto items = batch_items(data, registry, base);
  // All "0/5700" (one new instance with its id) or all "5700" (the device picks the id).
  const bool with_instance = items.front().path.find('/') != std::string::npos;
  for (const auto& item : items) {
    if ((item.path.find('/') != std::string::npos) != with_instance) {
      throw Refusal{"create content mixes instance and resource paths"};
    }
  }
  const auto format = named_format(data).value_or(device_format);
  // TLV can leave the instance out (resource TLVs at the top); SenML names every value by its
  // full path, which needs the instance id.
  if (!with_instance && format != content_format::kOmaTlv) {
    throw Refusal{"a create in " + content_format::name_of(format) +
                  " needs the instance id in each path (\"0/5700\")"};
  }
  auto payload =
      with_instance ? encode_batch_as(format, base, items) : encode_batch(*base.child(0), items);
  if (!payload) throw Refusal{payload.error()};
  command.request = DeviceRequest{Method::Post, base, {}, payload->format, {}, {}, payload->bytes};
}

// pmin/pmax: non-negative integers (seconds); gt/lt/st: numbers, st not negative.
std::string attribute_text(const char* name, const json& value) {
  json number = coerce(ResourceType::Float, value);
  if (!number.is_number() || !std::isfinite(number.get<double>())) {
    throw Refusal{std::string(name) + " is not a number"};
  }
  const bool period = std::string_view(name) == "pmin" || std::string_view(name) == "pmax";
  if (period) {
    if (!number.is_number_unsigned() &&
        !(number.is_number_integer() && number.get<std::int64_t>() >= 0)) {
      throw Refusal{std::string(name) + " must be a non-negative integer"};
    }
    return std::to_string(number.get<std::uint64_t>());
  }
  if (std::string_view(name) == "st" && number.get<double>() < 0) throw Refusal{"st is negative"};
  if (number.is_number_integer()) return std::to_string(number.get<std::int64_t>());
  return number.dump();
}

void write_attributes(const json& data, const ObjectRegistry& registry, Command& command) {
  const auto path = parse_path_or_refuse(command.req_path);
  require_definition(registry, path);
  std::vector<std::string> query;
  for (const auto* name : {"pmin", "pmax", "gt", "lt", "st"}) {
    if (const auto* value = member(data, name))
      query.push_back(std::string(name) + "=" + attribute_text(name, *value));
  }
  if (query.empty()) throw Refusal{"no attribute (pmin, pmax, gt, lt, st) given"};
  command.request = DeviceRequest{Method::Put, path, std::move(query), {}, {}, {}, {}};
}

void execute(const json& data, const ObjectRegistry& registry, Command& command) {
  const auto path = parse_path_or_refuse(command.req_path);
  if (!path.is_resource()) throw Refusal{"execute needs a resource path"};
  require_definition(registry, path);
  std::vector<std::uint8_t> payload;
  if (const auto* args = member(data, "args")) {
    if (!args->is_string()) throw Refusal{"data.args is not a string"};
    const auto& text = args->get_ref<const std::string&>();
    payload.assign(text.begin(), text.end());
  }
  std::optional<std::uint16_t> format;
  if (!payload.empty()) format = content_format::kTextPlain;
  command.request = DeviceRequest{Method::Post, path, {}, format, {}, {}, std::move(payload)};
}

void parse_data(const json& data, const std::string& type, const ObjectRegistry& registry,
                std::uint16_t device_format, Command& command) {
  const bool batch = (type == "write" && member(data, "basePath")) || type == "create";
  command.req_path = required_string(data, batch ? "basePath" : "path");
  if (type == "read" || type == "discover" || type == "observe" || type == "cancel-observe" ||
      type == "delete") {
    const auto path = parse_path_or_refuse(command.req_path);
    require_definition(registry, path);
    DeviceRequest request{type == "delete" ? Method::Delete : Method::Get, path};
    // Reads and observations ask for a format: without Accept a device answers in its own
    // default, which for a LwM2M 1.1 device without TLV may be one it cannot produce (5.00).
    const auto accept = named_format(data).value_or(device_format);
    if (type == "read") {
      command.kind = CommandKind::Read;
      request.accept = accept;
    } else if (type == "discover") {
      command.kind = CommandKind::Discover;
      request.accept = content_format::kLinkFormat;
    } else if (type == "observe") {
      command.kind = CommandKind::Observe;
      request.observe = 0;
      request.accept = accept;
    } else if (type == "cancel-observe") {
      command.kind = CommandKind::CancelObserve;
      request.observe = 1;
      request.accept = accept;
    } else {
      if (path.depth() != 2) throw Refusal{"delete needs an object instance path"};
      command.kind = CommandKind::Delete;
    }
    command.request = std::move(request);
  } else if (type == "write") {
    command.kind = CommandKind::Write;
    batch ? batch_write(data, registry, device_format, command)
          : single_write(data, registry, command);
  } else if (type == "write-attr") {
    command.kind = CommandKind::WriteAttributes;
    write_attributes(data, registry, command);
  } else if (type == "execute") {
    command.kind = CommandKind::Execute;
    execute(data, registry, command);
  } else if (type == "create") {
    command.kind = CommandKind::Create;
    create(data, registry, device_format, command);
  } else {
    throw Refusal{"unknown msgType '" + type + "'"};
  }
}

}  // namespace

Command parse_command(std::string_view payload, const ObjectRegistry& registry,
                      std::uint16_t device_format) {
  Command command;
  // Bounded nesting: a hostile payload of a million '[' must not exhaust the stack.
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const char c = payload[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  if (deepest > 16) {
    command.error = "command JSON nested too deeply";
    return command;
  }
  const auto document = json::parse(payload, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    command.error = "command is not a JSON object";
    return command;
  }
  for (const auto& [key, value] : document.items()) {
    if (key != "data") command.echo[key] = value;
  }
  try {
    const auto* type = member(document, "msgType");
    if (!type || !type->is_string()) throw Refusal{"msgType missing"};
    const auto* data = member(document, "data");
    if (!data || !data->is_object()) throw Refusal{"data missing"};
    // What the response names as reqPath, even when the rest is refused.
    for (const auto* key : {"path", "basePath"}) {
      if (const auto* path = member(*data, key); path && path->is_string()) {
        command.req_path = path->get<std::string>();
        break;
      }
    }
    parse_data(*data, type->get<std::string>(), registry, device_format, command);
  } catch (const Refusal& refusal) {
    command.error = refusal.reason;
  } catch (const json::exception& e) {
    command.error = e.what();
  }
  return command;
}

std::string code_text(std::uint8_t code) {
  const auto detail = code & 0x1F;
  return std::to_string(code >> 5) + "." + (detail < 10 ? "0" : "") + std::to_string(detail);
}

std::string code_message(std::uint8_t code) {
  switch (code) {
    case 0x41:
      return "created";
    case 0x42:
      return "deleted";
    case 0x43:
      return "valid";
    case 0x44:
      return "changed";
    case 0x45:
      return "content";
    case 0x5F:
      return "continue";
    case 0x80:
      return "bad_request";
    case 0x81:
      return "unauthorized";
    case 0x82:
      return "bad_option";
    case 0x83:
      return "forbidden";
    case 0x84:
      return "not_found";
    case 0x85:
      return "method_not_allowed";
    case 0x86:
      return "not_acceptable";
    case 0x88:
      return "request_entity_incomplete";
    case 0x8C:
      return "precondition_failed";
    case 0x8D:
      return "request_entity_too_large";
    case 0x8F:
      return "unsupported_content_format";
    case 0xA0:
      return "internal_server_error";
    case 0xA1:
      return "not_implemented";
    case 0xA2:
      return "bad_gateway";
    case 0xA3:
      return "service_unavailable";
    case 0xA4:
      return "gateway_timeout";
    case 0xA5:
      return "proxying_not_supported";
    default:
      return "unknown";
  }
}

json response_message(const json& echo, const std::string& req_path, std::uint8_t code,
                      const std::optional<json>& content) {
  json message = echo;
  json data = {{"reqPath", req_path}, {"code", code_text(code)}, {"codeMsg", code_message(code)}};
  if (content) data["content"] = *content;
  message["data"] = std::move(data);
  return message;
}

json content_json(const std::vector<Content>& values) {
  json list = json::array();
  for (const auto& value : values) {
    list.push_back({{"path", value.path.to_string()}, {"value", value.value}});
  }
  return list;
}

std::optional<json> discover_json(std::string_view payload) {
  auto links = split_links(payload);
  if (!links) return std::nullopt;
  json list = json::array();
  for (auto& link : *links) list.push_back(std::move(link));
  return list;
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

TypeLookup type_lookup(const ObjectRegistry& registry) {
  return [&registry](std::uint16_t object, std::uint16_t resource) -> std::optional<ResourceType> {
    const auto* definition = registry.resource(object, resource);
    if (!definition) return std::nullopt;
    return definition->type;
  };
}

}  // namespace gatemq::gateway::lwm2m
