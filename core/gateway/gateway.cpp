#include "core/gateway/gateway.hpp"

namespace gatemq::gateway {

std::vector<std::pair<std::string, std::uint64_t>> Gateway::counters() const {
  const auto shared = stats();
  const auto& s = *shared;
  return {{"clients", s.clients.load()},
          {"connects", s.connects.load()},
          {"auth_failures", s.auth_failures.load()},
          {"messages_up", s.messages_up.load()},
          {"messages_down", s.messages_down.load()},
          {"messages_dropped", s.messages_dropped.load()},
          {"malformed", s.malformed.load()}};
}

}  // namespace gatemq::gateway
