#include "core/broker/flapping_detector.hpp"

namespace gatemq::broker {

namespace {
// Stale tracks are swept every this many records, so memory follows recent disconnects only.
constexpr std::size_t kPurgeEvery = 1024;
}  // namespace

bool FlappingDetector::record(const std::string& client_id, const Policy& policy,
                              Clock::time_point now) {
  if (policy.threshold == 0) return false;
  std::lock_guard lock(mutex_);
  if (++records_since_purge_ >= kPurgeEvery) purge_locked(now);
  auto& track = tracks_[client_id];
  if (track.count == 0 || now - track.window_start > policy.window) {
    track.window_start = now;
    track.count = 0;
  }
  track.window = policy.window;
  if (++track.count < policy.threshold) return false;
  tracks_.erase(client_id);
  return true;
}

std::size_t FlappingDetector::tracked() const {
  std::lock_guard lock(mutex_);
  return tracks_.size();
}

void FlappingDetector::purge_locked(Clock::time_point now) {
  records_since_purge_ = 0;
  std::erase_if(tracks_, [now](const auto& item) {
    return now - item.second.window_start > item.second.window;
  });
}

}  // namespace gatemq::broker
