// MQTT-SN topic ids (spec §3, §6.5-§6.10): the gateway-wide predefined ids and one client's
// normal ids from REGISTER. Pure data, no I/O: the channel owns one registry per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateways/mqtt-sn/codec.hpp"

namespace gatemq::gateway::mqttsn {

// `mqtt.sn.predefined.topic.<id> = <name>`: known to the gateway and the devices in advance.
class PredefinedTopics {
 public:
  // False when the id is 0 or 0xFFFF (reserved) or the id or the name is already taken.
  bool add(std::uint16_t id, std::string name);
  std::optional<std::string> name_of(std::uint16_t id) const;
  std::optional<std::uint16_t> id_of(std::string_view name) const;
  // The highest predefined id, 0 when there is none: normal ids start after it.
  std::uint16_t highest_id() const { return by_id_.empty() ? 0 : by_id_.rbegin()->first; }
  std::size_t size() const { return by_id_.size(); }
  const std::map<std::uint16_t, std::string>& all() const { return by_id_; }

 private:
  std::map<std::uint16_t, std::string> by_id_;
  std::map<std::string, std::uint16_t, std::less<>> by_name_;
};

// How a topic travels in a PUBLISH to the device.
struct TopicRef {
  TopicIdType type = TopicIdType::normal;
  std::uint16_t id = 0;
  bool operator==(const TopicRef&) const = default;
};

struct Registration {
  ReturnCode return_code = accepted;
  std::uint16_t topic_id = 0;  // 0 unless accepted
  bool added = false;          // a new id (not the one the name already had)
};

class TopicRegistry {
 public:
  // `max_topics` bounds the normal ids of one client (0 = the whole id space).
  TopicRegistry(std::shared_ptr<const PredefinedTopics> predefined, std::size_t max_topics);

  // A normal id for `name`: the same one when already registered. NOT_SUPPORTED for an empty
  // name or one with wildcards (§6.5), and when the ids are exhausted.
  Registration register_topic(std::string_view name);
  // Drops a normal id (the device said it does not know it, or refused it).
  void forget(std::uint16_t topic_id);
  void clear();

  // The topic name a device means by (type, id); nullopt when unknown or reserved.
  std::optional<std::string> resolve(TopicIdType type, std::uint16_t id) const;
  // How to address `name` to the device without a REGISTER: a predefined id, an id it has
  // registered, or a two-character short name; nullopt when a REGISTER must come first.
  std::optional<TopicRef> outbound(std::string_view name) const;
  std::optional<std::uint16_t> registered_id(std::string_view name) const;

  std::size_t size() const { return by_id_.size(); }
  std::uint16_t first_normal_id() const { return first_id_; }

 private:
  std::shared_ptr<const PredefinedTopics> predefined_;
  std::size_t max_topics_;
  std::uint16_t first_id_;
  std::uint16_t next_id_;
  std::map<std::uint16_t, std::string> by_id_;
  std::map<std::string, std::uint16_t, std::less<>> by_name_;
};

// The name carried by a short topic id: its two characters, a trailing NUL dropped (a
// one-character name).
std::string short_topic_name(std::uint16_t topic_id);

}  // namespace gatemq::gateway::mqttsn
