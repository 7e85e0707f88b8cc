#include "core/broker/shared_dispatch.hpp"

#include <algorithm>
#include <functional>
#include <random>
#include <stdexcept>

namespace gatemq::broker {

SharedDispatch::Strategy SharedDispatch::parse(std::string_view name) {
  if (name == "random") return Strategy::random;
  if (name == "round_robin") return Strategy::round_robin;
  if (name == "sticky") return Strategy::sticky;
  if (name == "hash" || name == "hash_clientid") return Strategy::hash_clientid;
  if (name == "hash_topic") return Strategy::hash_topic;
  throw std::invalid_argument("one of: random round_robin sticky hash hash_clientid hash_topic");
}

std::size_t SharedDispatch::pick(const std::string& group_key, std::span<const Candidate> members,
                                 std::string_view publisher_id, std::string_view topic) {
  // Eligible members in client-id order, so hashing and rotation do not depend on the order
  // subscriptions happened to be stored in.
  std::vector<std::size_t> eligible;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].online) eligible.push_back(i);
  }
  if (eligible.empty()) {
    eligible.resize(members.size());
    for (std::size_t i = 0; i < members.size(); ++i) eligible[i] = i;
  }
  std::ranges::sort(eligible, {}, [&](std::size_t i) { return members[i].client_id; });
  const auto count = eligible.size();
  const auto random_index = [count] {
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_int_distribution<std::size_t>(0, count - 1)(engine);
  };
  switch (strategy_) {
    case Strategy::random:
      return eligible[random_index()];
    case Strategy::round_robin: {
      std::lock_guard lock(mutex_);
      return eligible[next_[group_key]++ % count];
    }
    case Strategy::sticky: {
      std::lock_guard lock(mutex_);
      auto& chosen = sticky_[group_key];
      for (auto i : eligible) {
        if (members[i].client_id == chosen) return i;
      }
      const auto i = eligible[random_index()];
      chosen = std::string(members[i].client_id);
      return i;
    }
    case Strategy::hash_clientid:
      return eligible[std::hash<std::string_view>{}(publisher_id) % count];
    case Strategy::hash_topic:
      return eligible[std::hash<std::string_view>{}(topic) % count];
  }
  return eligible.front();
}

}  // namespace gatemq::broker
