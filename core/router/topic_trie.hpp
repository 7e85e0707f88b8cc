// The subscription index: filter -> (key -> value), matched against a topic.
// Wildcard-free filters live in one hash map (one lookup per publish); wildcard filters in a trie
// of levels with dedicated `+` and `#` children. Not thread-safe: the broker locks around it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/router/topic.hpp"

namespace gatemq::router {

template <class Key, class Value>
class TopicTrie {
 public:
  void insert(std::string_view filter, const Key& key, Value value) {
    if (!has_wildcard(filter)) {
      auto& entries = exact_[std::string(filter)];
      if (entries.subscribers.empty()) ++filters_;
      if (put(entries.subscribers, key, std::move(value))) ++size_;
      entries.filter = filter;
      return;
    }
    Node* node = &root_;
    for_each_level(filter, [&](std::string_view level) { node = &node->child(level); });
    node->filter = filter;
    if (node->subscribers.empty()) ++filters_;
    if (put(node->subscribers, key, std::move(value))) ++size_;
  }

  bool erase(std::string_view filter, const Key& key) {
    if (!has_wildcard(filter)) {
      auto found = exact_.find(std::string(filter));
      if (found == exact_.end() || !remove(found->second.subscribers, key)) return false;
      if (found->second.subscribers.empty()) {
        exact_.erase(found);
        --filters_;
      }
      --size_;
      return true;
    }
    std::vector<std::string> levels;
    for_each_level(filter, [&](std::string_view level) { levels.emplace_back(level); });
    bool filter_emptied = false;
    if (!erase_in(root_, levels, 0, key, filter_emptied)) return false;
    if (filter_emptied) --filters_;
    --size_;
    return true;
  }

  // Calls f(filter, key, value) for every subscription whose filter matches `topic`.
  template <class F>
  void match(std::string_view topic, F&& f) const {
    if (!exact_.empty()) {
      auto found = exact_.find(std::string(topic));
      if (found != exact_.end()) {
        for (const auto& [key, value] : found->second.subscribers) {
          f(found->second.filter, key, value);
        }
      }
    }
    if (root_.empty()) return;
    std::vector<std::string_view> levels;
    for_each_level(topic, [&](std::string_view level) { levels.push_back(level); });
    // Topics starting with `$` are not matched by a wildcard in the first level.
    const bool system_topic = !topic.empty() && topic.front() == '$';
    match_in(root_, levels, 0, system_topic, f);
  }

  std::size_t size() const { return size_; }             // (filter, key) pairs
  std::size_t filter_count() const { return filters_; }  // distinct filters
  bool empty() const { return size_ == 0; }

 private:
  using Subscribers = std::vector<std::pair<Key, Value>>;

  struct ExactEntries {
    std::string filter;
    Subscribers subscribers;
  };

  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>> children;
    std::unique_ptr<Node> plus;
    std::unique_ptr<Node> hash;
    std::string filter;  // the full filter ending here, when subscribers is non-empty
    Subscribers subscribers;

    Node& child(std::string_view level) {
      std::unique_ptr<Node>* slot;
      if (level == "+") {
        slot = &plus;
      } else if (level == "#") {
        slot = &hash;
      } else {
        slot = &children[std::string(level)];
      }
      if (!*slot) *slot = std::make_unique<Node>();
      return **slot;
    }
    bool empty() const { return children.empty() && !plus && !hash && subscribers.empty(); }
  };

  // Returns true when `key` was new for this filter.
  static bool put(Subscribers& subscribers, const Key& key, Value value) {
    for (auto& [existing, existing_value] : subscribers) {
      if (existing == key) {
        existing_value = std::move(value);
        return false;
      }
    }
    subscribers.emplace_back(key, std::move(value));
    return true;
  }

  static bool remove(Subscribers& subscribers, const Key& key) {
    for (auto it = subscribers.begin(); it != subscribers.end(); ++it) {
      if (it->first == key) {
        *it = std::move(subscribers.back());
        subscribers.pop_back();
        return true;
      }
    }
    return false;
  }

  static bool erase_in(Node& node, const std::vector<std::string>& levels, std::size_t depth,
                       const Key& key, bool& filter_emptied) {
    if (depth == levels.size()) {
      if (!remove(node.subscribers, key)) return false;
      filter_emptied = node.subscribers.empty();
      return true;
    }
    const auto& level = levels[depth];
    std::unique_ptr<Node>* slot = nullptr;
    typename std::unordered_map<std::string, std::unique_ptr<Node>>::iterator named;
    if (level == "+") {
      slot = &node.plus;
    } else if (level == "#") {
      slot = &node.hash;
    } else {
      named = node.children.find(level);
      if (named == node.children.end()) return false;
      slot = &named->second;
    }
    if (!*slot || !erase_in(**slot, levels, depth + 1, key, filter_emptied)) return false;
    if ((*slot)->empty()) {  // prune the branch this subscription kept alive
      if (level == "+" || level == "#") {
        slot->reset();
      } else {
        node.children.erase(named);
      }
    }
    return true;
  }

  template <class F>
  static void match_in(const Node& node, const std::vector<std::string_view>& levels,
                       std::size_t depth, bool system_topic, F& f) {
    const bool wildcards_allowed = !(system_topic && depth == 0);
    // `#` matches this level and everything below, including "nothing below" (a/# matches a).
    if (node.hash && wildcards_allowed) emit(*node.hash, f);
    if (depth == levels.size()) {
      emit(node, f);
      return;
    }
    if (node.plus && wildcards_allowed) match_in(*node.plus, levels, depth + 1, system_topic, f);
    if (!node.children.empty()) {
      auto found = node.children.find(std::string(levels[depth]));
      if (found != node.children.end()) {
        match_in(*found->second, levels, depth + 1, system_topic, f);
      }
    }
  }

  template <class F>
  static void emit(const Node& node, F& f) {
    for (const auto& [key, value] : node.subscribers) f(node.filter, key, value);
  }

  std::unordered_map<std::string, ExactEntries> exact_;
  Node root_;
  std::size_t size_ = 0;
  std::size_t filters_ = 0;
};

}  // namespace gatemq::router
