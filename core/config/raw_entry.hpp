// One `key = value` as read, with where it came from, for sections parsed outside the core
// settings (gateways).
#pragma once

#include <string>

namespace gatemq::config {

struct RawEntry {
  std::string key;
  std::string value;
  std::string origin;  // "file:line" or "environment GATEMQ_X"

  bool operator==(const RawEntry&) const = default;
};

}  // namespace gatemq::config
