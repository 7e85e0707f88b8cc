// Which member of a shared-subscription group ($share/<group>/<filter>, $queue/<filter>) gets a
// message: broker.shared_subscription_strategy = random | round_robin | sticky | hash (the
// publisher's client id; hash_clientid is the same) | hash_topic. Online members are preferred;
// a group with none online still gets the message, queued in one member's session.
#pragma once

#include <cstddef>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gatemq::broker {

class SharedDispatch {
 public:
  enum class Strategy { random, round_robin, sticky, hash_clientid, hash_topic };
  // Throws std::invalid_argument for a name that is none of the strategies.
  static Strategy parse(std::string_view name);

  explicit SharedDispatch(Strategy strategy) : strategy_(strategy) {}

  struct Candidate {
    std::string_view client_id;
    bool online = false;
  };
  // Index into `members` (not empty) of the one to deliver to. `group_key` names the group and
  // its filter; thread-safe.
  std::size_t pick(const std::string& group_key, std::span<const Candidate> members,
                   std::string_view publisher_id, std::string_view topic);

 private:
  Strategy strategy_;
  std::mutex mutex_;  // round-robin positions and sticky choices
  std::unordered_map<std::string, std::size_t> next_;
  std::unordered_map<std::string, std::string> sticky_;  // group key -> client id
};

}  // namespace gatemq::broker
