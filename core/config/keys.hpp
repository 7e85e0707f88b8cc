// The catalogue of configuration keys: which keys gatemq acts on (and how each value is parsed
// into Settings), which keys the seed documents for features gatemq does not have yet (accepted
// and reported as ignored), and "did you mean" suggestions for everything else.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/config/settings.hpp"

namespace gatemq::config::keys {

// Parses a value into its field; throws std::invalid_argument naming what was expected.
template <class Target>
using Setter = std::function<void(Target&, std::string_view)>;

// Whole keys outside zones and listeners: node.name, mqtt.max_packet_size, log.level, ...
Setter<Settings> global_setter(std::string_view key);
// mqtt.<name>, also valid as zone.<zone>.<name>.
Setter<MqttSettings> mqtt_setter(std::string_view name);
// zone.<zone>.<name>, including the mqtt.<name> overrides.
Setter<ZoneSettings> zone_setter(std::string_view name);
// listener.<kind>.<listener>.<name>: every kind's common keys, TLS keys for ssl and wss,
// WebSocket keys for ws and wss. The address itself and access.N are handled by the loader.
Setter<ListenerSettings> listener_setter(std::string_view kind, std::string_view name);

// The rule for keys gatemq accepts without acting on them:
//  - every key of a subsystem gatemq does not have yet (listener.http.*, cluster.*, rpc.*,
//    auth.*, bridge.*, plugins.*, module.*, ...), by prefix;
//  - inside the namespaces gatemq does implement (node, log, broker, mqtt, acl, zone.<z>,
//    listener.<kind>.<l>), exactly the names the seed documents (node.cookie, log.<level>.file,
//    zone.<z>.enable_flapping_detect, listener.ws.<l>.compress, ...).
// Anything else that gatemq does not act on is an unknown key.
bool is_ignored(std::string_view key);
bool is_ignored_zone_key(std::string_view name);
bool is_ignored_listener_key(std::string_view name);

// A key without dots that gatemq knows (allow_anonymous, acl_file, ...).
bool is_top_level(std::string_view key);

// " (did you mean 'zone.external.idle_timeout'?)" for the closest known key, or "".
std::string suggestion(std::string_view key);

// Levenshtein distance, for suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace gatemq::config::keys
