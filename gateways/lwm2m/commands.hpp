// MQTT commands to a device (JSON on lwm2m.topics.command) and the JSON the gateway publishes
// back (responses, notifications). Pure: a command becomes a description of one CoAP request,
// typed through the object definitions; the libcoap side (server.cpp) sends it.
//
//   {"reqID": 1, "msgType": "read", "data": {"path": "/3/0/0"}}
//   -> {"reqID": 1, "msgType": "read",
//       "data": {"reqPath": "/3/0/0", "code": "2.05", "codeMsg": "content",
//                "content": [{"path": "/3/0/0", "value": "gatemq-sim"}]}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/lwm2m/content.hpp"
#include "gateways/lwm2m/object_registry.hpp"
#include "gateways/lwm2m/path.hpp"

namespace gatemq::gateway::lwm2m {

enum class Method { Get, Post, Put, Delete };

// The CoAP request a command becomes (the token is the sender's business).
struct DeviceRequest {
  Method method = Method::Get;
  Path path;
  std::vector<std::string> query;  // Uri-Query values, "pmin=10"
  std::optional<std::uint16_t> content_format;
  std::optional<std::uint16_t> accept;
  std::optional<std::uint32_t> observe;  // 0 register, 1 deregister (RFC 7641 §2)
  std::vector<std::uint8_t> payload;
};

enum class CommandKind {
  Read,
  Discover,
  Write,
  WriteAttributes,
  Execute,
  Create,
  Delete,
  Observe,
  CancelObserve
};

struct Command {
  nlohmann::json echo = nlohmann::json::object();  // every top-level field but "data"
  std::string req_path;                            // data.path or data.basePath, as given
  CommandKind kind = CommandKind::Read;
  DeviceRequest request;
  std::string error;  // non-empty: refused with 4.00 before reaching the device

  bool ok() const { return error.empty(); }
};

// Parses and checks one command payload. Never throws: a bad one comes back with `error` set
// and as much of `echo` and `req_path` as could be read. `device_format` is the device's
// structured format (Lwm2mSettings::format_for): the Accept of reads and observations and the
// format of batch writes and creates, unless the command names one (data.format).
Command parse_command(std::string_view payload, const ObjectRegistry& registry,
                      std::uint16_t device_format = content_format::kOmaTlv);

// CoAP response codes as LwM2M/MQTT clients see them: 0x45 -> "2.05", "content".
std::string code_text(std::uint8_t code);
std::string code_message(std::uint8_t code);

// Codes the gateway itself answers with.
inline constexpr std::uint8_t kBadRequest = 0x80;          // 4.00
inline constexpr std::uint8_t kBadGateway = 0xA2;          // 5.02: undecodable device response
inline constexpr std::uint8_t kGatewayTimeout = 0xA4;      // 5.04: the device never answered
inline constexpr std::uint8_t kServiceUnavailable = 0xA3;  // 5.03: the device deregistered

// {...echo, "data": {"reqPath", "code", "codeMsg"[, "content"]}}
nlohmann::json response_message(const nlohmann::json& echo, const std::string& req_path,
                                std::uint8_t code,
                                const std::optional<nlohmann::json>& content = std::nullopt);

// [{"path": "/3/0/0", "value": ...}, ...]
nlohmann::json content_json(const std::vector<Content>& values);

// The links of a Discover answer, one string each; nullopt when it is not link format.
std::optional<nlohmann::json> discover_json(std::string_view payload);

// JSON text for MQTT: invalid UTF-8 from a device is replaced, never thrown on.
std::string dump(const nlohmann::json& value);

// Types of resources from the object definitions, for decode().
TypeLookup type_lookup(const ObjectRegistry& registry);

}  // namespace gatemq::gateway::lwm2m
