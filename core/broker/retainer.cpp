#include "core/broker/retainer.hpp"

#include "core/router/topic.hpp"

namespace gatemq::broker {

namespace {
// The broker's own retained $SYS topics do not use up max_retained_messages.
bool is_system(const std::string& topic) {
  return topic.starts_with("$SYS/");
}
}  // namespace

bool Retainer::expired(const MessagePtr& message, Clock::time_point now) const {
  if (message->expired(now)) return true;
  return limits_.expiry_interval.count() > 0 &&
         now - message->received_at >= limits_.expiry_interval;
}

Retainer::StoreResult Retainer::store(const MessagePtr& message) {
  std::lock_guard lock(mutex_);
  if (message->payload.empty()) {
    if (messages_.erase(message->topic) > 0 && is_system(message->topic)) --system_entries_;
    return StoreResult::Deleted;
  }
  if (limits_.max_payload_size != 0 && message->payload.size() > limits_.max_payload_size) {
    return StoreResult::RefusedTooLarge;
  }
  auto existing = messages_.find(message->topic);
  if (existing != messages_.end()) {
    existing->second = message;
    return StoreResult::Stored;
  }
  const bool system = is_system(message->topic);
  const auto user_entries = [this] { return messages_.size() - system_entries_; };
  if (!system && limits_.max_retained_messages != 0 &&
      user_entries() >= limits_.max_retained_messages) {
    // Expired messages make room before a new topic is refused.
    const auto now = Clock::now();
    std::erase_if(messages_, [&](const auto& item) {
      const bool gone = expired(item.second, now);
      if (gone && is_system(item.first)) --system_entries_;
      return gone;
    });
    if (user_entries() >= limits_.max_retained_messages) return StoreResult::RefusedFull;
  }
  messages_.emplace(message->topic, message);
  if (system) ++system_entries_;
  return StoreResult::Stored;
}

std::vector<MessagePtr> Retainer::match(std::string_view filter) const {
  std::vector<MessagePtr> found;
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  if (!router::has_wildcard(filter)) {
    auto it = messages_.find(std::string(filter));
    if (it != messages_.end() && !expired(it->second, now)) found.push_back(it->second);
    return found;
  }
  for (const auto& [topic, message] : messages_) {
    if (router::topic_matches(filter, topic) && !expired(message, now)) found.push_back(message);
  }
  return found;
}

std::size_t Retainer::size() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

}  // namespace gatemq::broker
