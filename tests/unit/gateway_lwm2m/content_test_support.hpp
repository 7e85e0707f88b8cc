// What the content-format unit tests share: readable failure output, a type lookup standing in
// for the object registry, and a path parser that fails the test on a typo.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <optional>
#include <ostream>
#include <string_view>

#include "gateways/lwm2m/content.hpp"

namespace gatemq::gateway::lwm2m {

inline void PrintTo(const Path& path, std::ostream* out) {
  *out << path.to_string();
}
inline void PrintTo(const Content& content, std::ostream* out) {
  *out << content.path.to_string() << "=" << content.value.dump();
}

namespace test_support {

inline constexpr std::uint16_t kTypesObject = 9999;  // a test object with one resource per type

// Device (3), Access Control (2), Server (1) and the test object, as the registry would say.
inline std::optional<ResourceType> lookup_type(std::uint16_t object, std::uint16_t resource) {
  using T = ResourceType;
  if (object == 3) {
    if (resource <= 3 || (resource >= 14 && resource <= 16)) return T::String;
    if (resource == 4 || resource == 5) return T::None;
    if (resource >= 6 && resource <= 11) return T::Integer;
    if (resource == 13) return T::Time;
    return std::nullopt;
  }
  if (object == 2 && resource <= 3) return T::Integer;
  if (object == 1 && resource == 1) return T::Integer;
  if (object == 1 && resource == 6) return T::Boolean;
  if (object == kTypesObject) {
    constexpr T kByResource[] = {T::String, T::Integer, T::UnsignedInteger, T::Float,    T::Boolean,
                                 T::Opaque, T::Time,    T::ObjectLink,      T::CoreLink, T::None};
    if (resource < std::size(kByResource)) return kByResource[resource];
  }
  return std::nullopt;
}

inline const TypeLookup kLookup = lookup_type;

inline Path path(std::string_view text) {
  auto parsed = Path::parse(text, /*allow_root=*/true);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : Path{};
}

}  // namespace test_support
}  // namespace gatemq::gateway::lwm2m
