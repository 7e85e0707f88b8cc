#include "core/plugin/plugin_config.hpp"

#include <stdexcept>

#include "core/config/keys.hpp"
#include "core/config/values.hpp"

namespace gatemq::plugin {

namespace v = config::values;

namespace {

// `<key> = off` turns a listener off, as `listener.tcp.external = off` does in the main file.
bool is_off(std::string_view value) {
  return v::trim(value) == "off";
}

}  // namespace

PluginConfig::PluginConfig(std::string prefix, const std::vector<config::RawEntry>& entries)
    : prefix_(std::move(prefix)) {
  for (const auto& entry : entries) {
    if (entry.key.starts_with(prefix_)) entries_.insert_or_assign(entry.key, entry);
  }
}

const config::RawEntry* PluginConfig::find(std::string_view key) {
  const auto full = prefix_ + std::string(key);
  used_[full] = true;
  auto found = entries_.find(full);
  return found == entries_.end() ? nullptr : &found->second;
}

bool PluginConfig::has(std::string_view key) const {
  return entries_.contains(prefix_ + std::string(key));
}

template <class T, class Parse>
T PluginConfig::parse(std::string_view key, T fallback, Parse&& parse_value) {
  const auto* entry = find(key);
  if (!entry) return fallback;
  try {
    return parse_value(entry->value);
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(entry->origin + ": " + entry->key + ": '" + entry->value +
                              "' is not " + e.what());
  }
}

PluginConfig::Address PluginConfig::address(std::string_view key, std::string_view fallback) {
  return parse(key, v::listen_address(fallback),
               [](const std::string& value) { return v::listen_address(v::trim(value)); });
}

std::optional<PluginConfig::Address> PluginConfig::listen_address(std::string_view key,
                                                                  std::string_view fallback) {
  const auto read = [](std::string_view value) -> std::optional<Address> {
    if (is_off(value)) return std::nullopt;
    try {
      return v::listen_address(value);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(e.what()) + ", or off");
    }
  };
  return parse(key, read(fallback), [&](const std::string& value) { return read(value); });
}

void PluginConfig::bad_value(std::string_view key, const std::string& value,
                             std::string_view expected) const {
  throw config::ConfigError(prefix_ + std::string(key) + ": '" + value + "' is not " +
                            std::string(expected));
}

std::string PluginConfig::text(std::string_view key, std::string_view fallback) {
  return parse(key, std::string(fallback),
               [](const std::string& value) { return std::string(v::trim(value)); });
}

bool PluginConfig::boolean(std::string_view key, bool fallback) {
  return parse(key, fallback, [](const std::string& value) { return v::boolean(value); });
}

std::chrono::milliseconds PluginConfig::duration(std::string_view key,
                                                 std::chrono::milliseconds fallback) {
  return parse(key, fallback, [](const std::string& value) { return v::duration(value); });
}

std::uint64_t PluginConfig::size(std::string_view key, std::uint64_t fallback) {
  return parse(key, fallback, [](const std::string& value) { return v::size(value); });
}

std::uint64_t PluginConfig::number(std::string_view key, std::uint64_t fallback,
                                   std::uint64_t max) {
  return parse(key, fallback,
               [max](const std::string& value) { return v::unsigned_integer(value, max); });
}

void PluginConfig::ignore(std::string_view key) {
  // A trailing '*' accepts every key below.
  const bool wildcard = key.ends_with("*");
  const auto stem = prefix_ + std::string(wildcard ? key.substr(0, key.size() - 1) : key);
  for (const auto& [full, entry] : entries_) {
    if (wildcard ? full.starts_with(stem) : full == stem) {
      if (!used_[full]) ignored_.push_back(entry.origin + " " + full);
      used_[full] = true;
    }
  }
}

void PluginConfig::listener_key(const std::string& full, std::string_view sub,
                                config::ListenerSettings& listener,
                                std::map<std::uint64_t, std::string>& access) {
  const auto& entry = entries_.at(full);
  used_[full] = true;
  try {
    if (sub.starts_with("access.")) {
      access[v::unsigned_integer(sub.substr(7), 1u << 20)] = std::string(v::trim(entry.value));
    } else if (auto setter = config::keys::listener_setter(listener.kind, sub)) {
      setter(listener, entry.value);
    } else if (config::keys::is_ignored_listener_key(sub)) {
      ignored_.push_back(entry.origin + " " + full);
    } else {
      throw config::ConfigError(entry.origin + ": unknown key '" + full + "'");
    }
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(entry.origin + ": " + full + ": '" + entry.value + "' is not " +
                              e.what());
  }
}

void PluginConfig::set_listen_address(const std::string& full, const std::string& value,
                                      config::ListenerSettings& listener) {
  try {
    auto [host, port] = v::listen_address(value);
    listener.bind_address = host;
    listener.port = port;
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(full + ": '" + value + "' is not " + e.what());
  }
}

std::optional<config::ListenerSettings> PluginConfig::listener(
    std::string_view key, std::optional<std::string> default_address,
    const config::ListenerSettings& prototype) {
  const auto stem = prefix_ + std::string(key);
  auto address = std::move(default_address);
  if (auto found = entries_.find(stem); found != entries_.end()) {
    used_[stem] = true;
    address = found->second.value;
  }
  config::ListenerSettings listener = prototype;
  std::map<std::uint64_t, std::string> access{{1, "allow all"}};
  for (const auto& [full, entry] : entries_) {
    if (full.starts_with(stem + ".") && !used_[full]) {
      listener_key(full, std::string_view(full).substr(stem.size() + 1), listener, access);
    }
  }
  if (!address || is_off(*address)) return std::nullopt;
  set_listen_address(stem, *address, listener);
  listener.access_rules.clear();
  for (const auto& [index, rule] : access) listener.access_rules.push_back(rule);
  return listener;
}

std::vector<config::ListenerSettings> PluginConfig::listeners(
    std::string_view group, const std::map<std::string, std::string>& defaults,
    std::string_view default_zone, const config::ListenerSettings& prototype) {
  struct Pending {
    config::ListenerSettings settings;
    std::optional<std::string> address;
    std::map<std::uint64_t, std::string> access{{1, "allow all"}};
  };
  std::map<std::string, Pending> listeners;
  const auto make = [&](const std::string& name) -> Pending& {
    auto [it, inserted] = listeners.try_emplace(name);
    if (inserted) {
      it->second.settings = prototype;
      it->second.settings.name = name;
      it->second.settings.zone = std::string(default_zone);
    }
    return it->second;
  };
  for (const auto& [name, address] : defaults) make(name).address = address;

  const auto stem = prefix_ + std::string(group) + ".";
  for (const auto& [full, entry] : entries_) {
    if (!full.starts_with(stem) || used_[full]) continue;
    const auto rest = std::string_view(full).substr(stem.size());
    const auto dot = rest.find('.');
    auto& pending = make(std::string(rest.substr(0, dot)));
    if (dot == std::string_view::npos) {
      used_[full] = true;
      pending.address = entry.value;
    } else {
      listener_key(full, rest.substr(dot + 1), pending.settings, pending.access);
    }
  }
  std::vector<config::ListenerSettings> result;
  for (auto& [name, pending] : listeners) {
    if (!pending.address || is_off(*pending.address)) continue;
    set_listen_address(stem + name, *pending.address, pending.settings);
    pending.settings.access_rules.clear();
    for (const auto& [index, rule] : pending.access) pending.settings.access_rules.push_back(rule);
    result.push_back(std::move(pending.settings));
  }
  return result;
}

void PluginConfig::finish() const {
  for (const auto& [full, entry] : entries_) {
    auto used = used_.find(full);
    if (used == used_.end() || !used->second) {
      throw config::ConfigError(entry.origin + ": unknown key '" + full + "'");
    }
  }
}

}  // namespace gatemq::plugin
