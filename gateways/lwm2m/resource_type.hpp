// The data types of LwM2M resources (OMA LwM2M 1.1 Appendix C), shared by the object
// definitions (which declare them) and the content formats (which encode and decode them).
#pragma once

#include <optional>
#include <string_view>

namespace gatemq::gateway::lwm2m {

enum class ResourceType {
  None,  // executable resources carry no value
  String,
  Integer,
  UnsignedInteger,
  Float,
  Boolean,
  Opaque,
  Time,
  ObjectLink,
  CoreLink,
};

// The XML spelling ("String", "Integer", "Unsigned Integer", "Float", "Boolean", "Opaque",
// "Time", "Objlnk", "Corelnk", empty for none); nullopt for anything else.
constexpr std::optional<ResourceType> parse_resource_type(std::string_view text) {
  if (text.empty()) return ResourceType::None;
  if (text == "String") return ResourceType::String;
  if (text == "Integer") return ResourceType::Integer;
  if (text == "Unsigned Integer") return ResourceType::UnsignedInteger;
  if (text == "Float") return ResourceType::Float;
  if (text == "Boolean") return ResourceType::Boolean;
  if (text == "Opaque") return ResourceType::Opaque;
  if (text == "Time") return ResourceType::Time;
  if (text == "Objlnk") return ResourceType::ObjectLink;
  if (text == "Corelnk") return ResourceType::CoreLink;
  return std::nullopt;
}

}  // namespace gatemq::gateway::lwm2m
