// Internal to the content-format layer: the decoders of the structured formats, which
// content.cpp's decode() dispatches to. Same contract as decode() (content.hpp).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "gateways/lwm2m/content.hpp"

namespace gatemq::gateway::lwm2m::detail {

// OMA-JSON, LwM2M 1.0 (content_json.cpp).
Result<std::vector<Content>> decode_oma_json(std::span<const std::uint8_t> payload,
                                             const Path& request_path, const TypeLookup& lookup);

// SenML JSON, LwM2M 1.1 (content_json.cpp).
Result<std::vector<Content>> decode_senml_json(std::span<const std::uint8_t> payload,
                                               const Path& request_path, const TypeLookup& lookup);

// The SenML pack once parsed: an array of records, each a JSON object keyed by the SenML JSON
// field names ("bn", "n", "v", "vs", "vb", "vd" as base64, "vlo", ...). Shared by SenML JSON
// and SenML CBOR so both apply the same rules (content_json.cpp).
Result<std::vector<Content>> decode_senml_records(const nlohmann::json& records,
                                                  const Path& request_path,
                                                  const TypeLookup& lookup);

// SenML CBOR, LwM2M 1.1 (content_cbor.cpp).
Result<std::vector<Content>> decode_senml_cbor(std::span<const std::uint8_t> payload,
                                               const Path& request_path, const TypeLookup& lookup);

}  // namespace gatemq::gateway::lwm2m::detail
