// MQTT 5 properties (spec 2.2.2): which packet may carry which, their wire form and checks.
#pragma once

#include <cstdint>
#include <string>

#include "core/mqtt/packet.hpp"
#include "core/mqtt/wire.hpp"

namespace gatemq::mqtt {

// Where a property block sits: a packet type, or the will properties of a CONNECT.
enum class PropertyContext : std::uint8_t {
  Will = 0,
  Connect = 1,
  Connack,
  Publish,
  Puback,
  Pubrec,
  Pubrel,
  Pubcomp,
  Subscribe,
  Suback,
  Unsubscribe,
  Unsuback,
  Pingreq,
  Pingresp,
  Disconnect,
  Auth,
};

inline PropertyContext context_of(PacketType type) {
  return static_cast<PropertyContext>(type);
}

// Reads a property length and the properties after it; throws wire::WireError.
Properties read_properties(wire::Reader& reader, PropertyContext context);
// Appends the property length and the properties.
void write_properties(std::string& out, const Properties& properties);
// Bytes write_properties would append, length prefix included.
std::size_t properties_size(const Properties& properties);

}  // namespace gatemq::mqtt
