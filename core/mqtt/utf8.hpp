// The UTF-8 rule every MQTT string follows (spec 1.5.4): well-formed, no surrogates, nothing
// above U+10FFFF and no U+0000. Shared by the codec and topic validation.
#pragma once

#include <string_view>

namespace gatemq::mqtt {

bool is_valid_mqtt_utf8(std::string_view text);

}  // namespace gatemq::mqtt
