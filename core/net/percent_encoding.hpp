// RFC 3986 percent-decoding, for the URIs of every HTTP-like protocol (the REST API's paths and
// queries, CoAP's Uri-Path and Uri-Query options).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gatemq::net {

// Decodes %XX escapes; nullopt on a bad or truncated one. '+' stays '+' (paths, CoAP options)
// unless `plus_is_space` (HTML-form style query strings).
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace gatemq::net
