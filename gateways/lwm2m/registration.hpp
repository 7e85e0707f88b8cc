// The Registration interface's inputs (OMA LwM2M TS 1.0 §5.3, TS 1.1 §6.2): the Uri-Query
// parameters of Register / Update and the CoRE link-format object list (RFC 6690). Pure and
// hostile-input safe: anything malformed is refused with a reason, never half-accepted.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/lwm2m/path.hpp"

namespace gatemq::gateway::lwm2m {

// Register / Update query parameters; each is absent when the device did not send it.
struct RegistrationQuery {
  std::optional<std::string> endpoint;    // ep
  std::optional<std::uint64_t> lifetime;  // lt, seconds
  std::optional<std::string> version;     // lwm2m
  std::optional<std::string> binding;     // b
  bool queue_mode = false;                // LwM2M 1.1 `Q` parameter
};

// Parses the Uri-Query options. Refused: a parameter twice, an empty or non-UTF-8 / control
// character value, a non-numeric `lt`, an unknown version or binding. Unknown parameters
// (sms, and future ones) are ignored, as TS 1.0 §5.3.1 lets servers do.
Result<RegistrationQuery> parse_registration_query(const std::vector<std::string>& options);

// An endpoint name that can become a client id and a topic level: 1-256 UTF-8 bytes, no control
// characters, no MQTT wildcard or level separator.
bool valid_endpoint_name(std::string_view name);

// The object list of a Register / Update payload.
struct ObjectLinks {
  std::string alternate_path = "/";  // the link with rt="oma.lwm2m", else "/"
  std::vector<std::string> objects;  // "/3/0", "/5", in payload order, alternate path removed
};

// Parses `</>;rt="oma.lwm2m",</1/0>,</3/0>;ver=1.1,</5>`. Each link must be an object or object
// instance under the alternate path; anything else is refused.
Result<ObjectLinks> parse_object_links(std::string_view payload);

// Splits a link-format document into its links ("<...>;attr=..."), commas inside <> or quoted
// strings kept; nullopt when a link is unbalanced.
std::optional<std::vector<std::string>> split_links(std::string_view payload);

}  // namespace gatemq::gateway::lwm2m
