// The UTF-8 rule every MQTT string follows (spec 1.5.4): well-formed, no surrogates, nothing
// above U+10FFFF and no U+0000. Shared by the codec and topic validation.
#pragma once

#include <string_view>

namespace gatemq::mqtt {

bool is_valid_mqtt_utf8(std::string_view text);
// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF; U+0000
// allowed. For every other protocol's text (LwM2M values, object definitions, ...).
bool is_valid_utf8(std::string_view text);

}  // namespace gatemq::mqtt
