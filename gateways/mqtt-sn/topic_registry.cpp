#include "gateways/mqtt-sn/topic_registry.hpp"

namespace gatemq::gateway::mqttsn {

namespace {
constexpr std::uint16_t kLastId = 0xFFFE;  // 0x0000 and 0xFFFF are reserved (§5.3.11)

bool has_wildcard_char(std::string_view name) {
  return name.find_first_of("+#") != std::string_view::npos;
}
}  // namespace

bool PredefinedTopics::add(std::uint16_t id, std::string name) {
  if (id == 0 || id == 0xFFFF || name.empty() || by_id_.contains(id) || by_name_.contains(name)) {
    return false;
  }
  by_name_.emplace(name, id);
  by_id_.emplace(id, std::move(name));
  return true;
}

std::optional<std::string> PredefinedTopics::name_of(std::uint16_t id) const {
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::uint16_t> PredefinedTopics::id_of(std::string_view name) const {
  auto found = by_name_.find(name);
  if (found == by_name_.end()) return std::nullopt;
  return found->second;
}

TopicRegistry::TopicRegistry(std::shared_ptr<const PredefinedTopics> predefined,
                             std::size_t max_topics)
    : predefined_(predefined ? std::move(predefined) : std::make_shared<PredefinedTopics>()),
      max_topics_(max_topics),
      first_id_(static_cast<std::uint16_t>(
          predefined_->highest_id() >= kLastId ? kLastId : predefined_->highest_id() + 1)),
      next_id_(first_id_) {
  const std::size_t space = predefined_->highest_id() >= kLastId ? 0 : kLastId - first_id_ + 1;
  if (max_topics_ == 0 || max_topics_ > space) max_topics_ = space;
}

Registration TopicRegistry::register_topic(std::string_view name) {
  if (name.empty() || has_wildcard_char(name)) return {not_supported, 0, false};
  if (auto found = by_name_.find(name); found != by_name_.end()) {
    return {accepted, found->second, false};
  }
  if (by_id_.size() >= max_topics_) return {not_supported, 0, false};
  // A free id exists (size < max_topics_ <= the id space): take the next one, wrapping.
  while (by_id_.contains(next_id_)) next_id_ = next_id_ == kLastId ? first_id_ : next_id_ + 1;
  const auto id = next_id_;
  next_id_ = next_id_ == kLastId ? first_id_ : next_id_ + 1;
  by_id_.emplace(id, std::string(name));
  by_name_.emplace(std::string(name), id);
  return {accepted, id, true};
}

void TopicRegistry::forget(std::uint16_t topic_id) {
  auto found = by_id_.find(topic_id);
  if (found == by_id_.end()) return;
  by_name_.erase(found->second);
  by_id_.erase(found);
}

void TopicRegistry::clear() {
  by_id_.clear();
  by_name_.clear();
  next_id_ = first_id_;
}

std::optional<std::string> TopicRegistry::resolve(TopicIdType type, std::uint16_t id) const {
  switch (type) {
    case TopicIdType::normal: {
      auto found = by_id_.find(id);
      if (found == by_id_.end()) return std::nullopt;
      return found->second;
    }
    case TopicIdType::predefined:
      return predefined_->name_of(id);
    case TopicIdType::short_name: {
      auto name = short_topic_name(id);
      if (name.empty()) return std::nullopt;
      return name;
    }
    case TopicIdType::reserved:
      break;
  }
  return std::nullopt;
}

std::optional<TopicRef> TopicRegistry::outbound(std::string_view name) const {
  if (auto id = predefined_->id_of(name)) return TopicRef{TopicIdType::predefined, *id};
  if (auto id = registered_id(name)) return TopicRef{TopicIdType::normal, *id};
  if (name.size() == 2) return TopicRef{TopicIdType::short_name, short_name_to_topic_id(name)};
  return std::nullopt;
}

std::optional<std::uint16_t> TopicRegistry::registered_id(std::string_view name) const {
  auto found = by_name_.find(name);
  if (found == by_name_.end()) return std::nullopt;
  return found->second;
}

std::string short_topic_name(std::uint16_t topic_id) {
  auto name = topic_id_to_short_name(topic_id);
  while (!name.empty() && name.back() == '\0') name.pop_back();
  if (name.find('\0') != std::string::npos) return {};
  return name;
}

}  // namespace gatemq::gateway::mqttsn
