// Flapping detection: a client id that disconnects `threshold` times within `window` is banned
// for `ban_for` (zone `enable_flapping_detect`, `flapping_threshold = N, window`,
// `flapping_banned_expiry_interval`). Thread-safe; called from every worker on disconnect.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gatemq::broker {

class FlappingDetector {
 public:
  using Clock = std::chrono::steady_clock;
  struct Policy {
    std::uint32_t threshold = 10;
    std::chrono::milliseconds window{60000};
  };

  // Records one disconnect; true when it crosses the threshold (the counting starts over).
  bool record(const std::string& client_id, const Policy& policy, Clock::time_point now);
  std::size_t tracked() const;

 private:
  struct Track {
    Clock::time_point window_start;
    std::uint32_t count = 0;
    std::chrono::milliseconds window{0};
  };
  void purge_locked(Clock::time_point now);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Track> tracks_;
  std::size_t records_since_purge_ = 0;
};

}  // namespace gatemq::broker
