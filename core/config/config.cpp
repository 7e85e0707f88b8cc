#include "core/config/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/config/keys.hpp"
#include "core/config/values.hpp"

extern char** environ;

namespace gatemq::config {

namespace {

constexpr std::string_view kEnvironmentPrefix = "GATEMQ_";

using Entry = RawEntry;

// Where the plugins' section files are (the seed's key), and its older gatemq spelling.
constexpr std::string_view kPluginsEtcDir = "plugins.etc_dir";
constexpr std::string_view kGatewayEtcDir = "gateway.etc_dir";

// listener.<kind>.*, in the order Settings::listeners keeps them.
constexpr auto kKinds = std::to_array<std::string_view>({"tcp", "ssl", "ws", "wss"});

// The whole file; nullopt when `required` is false and the file does not exist.
std::optional<std::string> read_file(const std::filesystem::path& path, bool required) {
  std::error_code error;
  if (!required && !std::filesystem::exists(path, error)) return std::nullopt;
  if (std::filesystem::is_directory(path, error)) {
    throw ConfigError(path.string() + ": cannot open: " + std::strerror(EISDIR));
  }
  std::ifstream input(path, std::ios::binary);
  if (!input) throw ConfigError(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << input.rdbuf();
  if (input.bad()) throw ConfigError(path.string() + ": cannot read: " + std::strerror(errno));
  return text.str();
}

[[noreturn]] void bad_value(const Entry& entry, const std::invalid_argument& expected) {
  throw ConfigError(entry.origin + ": " + entry.key + ": '" + entry.value + "' is not " +
                    expected.what());
}

// `key = value` lines; blank lines and lines starting with '#' are skipped. Only whole-line
// comments: values such as topic filters may contain '#'.
std::vector<Entry> read_entries(std::string_view text, const std::string& source) {
  std::vector<Entry> entries;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    line = values::trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto origin = source + ":" + std::to_string(line_number);
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      throw ConfigError(origin + ": expected 'key = value', got '" + std::string(line) + "'");
    }
    auto key = std::string(values::trim(line.substr(0, equals)));
    if (key.empty()) throw ConfigError(origin + ": missing key before '='");
    entries.push_back({std::move(key), std::string(values::trim(line.substr(equals + 1))), origin});
  }
  return entries;
}

// GATEMQ_ZONE__EXTERNAL__IDLE_TIMEOUT -> zone.external.idle_timeout. Variables without "__"
// (GATEMQ_BIN, GATEMQ_E2E_TARGET, ...) are not configuration, unless they name a top-level key
// (GATEMQ_ALLOW_ANONYMOUS).
std::vector<Entry> environment_entries(const Environment& environment) {
  std::vector<Entry> entries;
  for (const auto& [name, value] : environment) {
    if (!name.starts_with(kEnvironmentPrefix)) continue;
    std::string key;
    for (std::size_t i = kEnvironmentPrefix.size(); i < name.size(); ++i) {
      if (name.compare(i, 2, "__") == 0) {
        key += '.';
        ++i;
      } else {
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
      }
    }
    if (name.find("__") == std::string::npos && !keys::is_top_level(key)) continue;
    entries.push_back({std::move(key), value, "environment " + name});
  }
  return entries;
}

// Applies entries in order (a later duplicate wins), then resolves zones and listeners.
class Builder {
 public:
  // Starts from the built-in listeners (external and internal, as in the seed).
  explicit Builder(const std::vector<SectionSpec>& sections) : sections_(sections) {
    for (const auto& defaults : settings_.listeners) {
      auto& listener = listener_named(defaults.kind, defaults.name, "built-in default");
      listener.settings = defaults;
      listener.has_address = true;
      listener.access.clear();
      std::uint64_t index = 0;
      for (const auto& rule : defaults.access_rules) listener.access[++index] = rule;
    }
  }

  void apply(const Entry& entry) {
    if (entry.key.starts_with("os_mon.cpu_")) cpu_watermark_origin_ = entry.origin;
    try {
      apply_or_throw(entry);
    } catch (const std::invalid_argument& e) {
      bad_value(entry, e);
    }
  }

  Settings finish() {
    // Each zone starts from the built-in zone defaults with mqtt.* as set, then its own
    // zone.<name>.* keys apply on top in file order.
    std::map<std::string, ZoneSettings> zones;
    auto zone_named = [&](const std::string& name) -> ZoneSettings& {
      auto [it, inserted] = zones.try_emplace(name, default_zone(name));
      if (inserted) {
        auto& zone = it->second;
        zone.mqtt = settings_.mqtt;
        zone.ignore_loop_deliver = settings_.mqtt.ignore_loop_deliver;
        zone.flapping_threshold = settings_.flapping.threshold;
        zone.flapping_window = settings_.flapping.window;
        zone.flapping_banned_expiry_interval = settings_.flapping.ban;
      }
      return it->second;
    };
    zone_named("external");
    zone_named("internal");
    for (const auto& [name, setter, entry] : zone_entries_) {
      try {
        setter(zone_named(name), entry.value);
      } catch (const std::invalid_argument& e) {
        bad_value(entry, e);
      }
    }
    settings_.listeners.clear();
    for (auto& [id, listener] : listeners_) {
      if (!listener.enabled) continue;
      const auto& [kind, name] = id;
      const auto prefix = "listener." + std::string(kKinds[kind]) + "." + name;
      if (!listener.has_address) {
        throw ConfigError(listener.first_origin + ": " + prefix + " has settings but no address (" +
                          prefix + " = <port>)" + similar_listener(kind, name));
      }
      zone_named(listener.settings.zone);
      listener.settings.access_rules.clear();
      for (const auto& [index, rule] : listener.access) {
        listener.settings.access_rules.push_back(rule);
      }
      settings_.listeners.push_back(listener.settings);
    }
    settings_.zones = std::move(zones);
    if (const auto& os_mon = settings_.os_mon;
        os_mon.cpu_low_watermark > os_mon.cpu_high_watermark) {
      // The CPU alarm clears below the low mark once raised above the high one.
      std::ostringstream message;
      message << cpu_watermark_origin_ << ": os_mon.cpu_low_watermark (" << os_mon.cpu_low_watermark
              << "%) is above os_mon.cpu_high_watermark (" << os_mon.cpu_high_watermark << "%)";
      throw ConfigError(message.str());
    }
    for (auto [credentials, target] : {std::pair{&users_, &settings_.auth.users},
                                       std::pair{&clients_, &settings_.auth.clients}}) {
      for (auto& [index, credential] : *credentials) target->push_back(std::move(credential));
    }
    for (auto& [key, rule] : rewrite_rules_) {
      const auto& [direction, index] = key;
      auto& modules = settings_.modules;
      if (direction != "sub") modules.rewrite_publish.push_back(rule);
      if (direction != "pub") modules.rewrite_subscribe.push_back(rule);
    }
    return std::move(settings_);
  }

 private:
  std::string cpu_watermark_origin_;  // where the last os_mon.cpu_* key was set

  struct PendingListener {
    ListenerSettings settings;
    bool has_address = false;
    bool enabled = true;
    std::string first_origin;
    std::map<std::uint64_t, std::string> access{{1, "allow all"}};  // access.N, in N order
  };

  struct ZoneEntry {
    std::string zone;
    keys::Setter<ZoneSettings> setter;
    Entry entry;
  };

  static ZoneSettings default_zone(const std::string& name) {
    return name == "internal" ? internal_zone_defaults() : ZoneSettings{};
  }

  static std::size_t kind_index(std::string_view kind) {
    return static_cast<std::size_t>(std::ranges::find(kKinds, kind) - kKinds.begin());
  }

  PendingListener& listener_named(std::string_view kind, const std::string& name,
                                  const std::string& origin) {
    auto [it, inserted] = listeners_.try_emplace({kind_index(kind), name});
    if (inserted) {
      auto& settings = it->second.settings;
      settings.kind = std::string(kind);
      settings.name = name;
      if (kind == "ssl" || kind == "wss") settings.tls = TlsSettings{};
      if (kind == "ws" || kind == "wss") settings.websocket = WebSocketSettings{};
      it->second.first_origin = origin;
    }
    return it->second;
  }

  std::string similar_listener(std::size_t kind, const std::string& name) const {
    for (const auto& [id, listener] : listeners_) {
      if (id.first == kind && id.second != name && listener.has_address &&
          keys::edit_distance(name, id.second) <= 2) {
        return " (did you mean 'listener." + std::string(kKinds[kind]) + "." + id.second + "'?)";
      }
    }
    return "";
  }

  // Splits "<name>.<rest>" (rest may be empty); throws if the name is not an identifier.
  static std::pair<std::string, std::string_view> split_name(std::string_view key,
                                                             const Entry& entry) {
    const auto dot = key.find('.');
    const auto name = key.substr(0, dot);
    try {
      values::identifier(name);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(entry.origin + ": " + entry.key + ": '" + std::string(name) + "' is not " +
                        e.what());
    }
    return {std::string(name),
            dot == std::string_view::npos ? std::string_view{} : key.substr(dot + 1)};
  }

  void apply_or_throw(const Entry& entry) {
    const std::string_view key = entry.key;
    // Sections owned by gateways are theirs to read and check.
    for (const auto& section : sections_) {
      if (key.starts_with(section.key_prefix)) {
        settings_.section_entries.push_back(entry);
        return;
      }
    }
    // Used while reading, see load_settings().
    if (key == kPluginsEtcDir || key == kGatewayEtcDir) return;
    if (auto setter = keys::global_setter(key)) return setter(settings_, entry.value);
    if (key.starts_with("auth.user.")) return set_credential(users_, "username", entry, 10);
    if (key.starts_with("auth.client.")) return set_credential(clients_, "clientid", entry, 12);
    if (key.starts_with("module.rewrite.")) return set_rewrite_rule(entry);
    if (key.starts_with("mqtt.")) {
      if (auto setter = keys::mqtt_setter(key.substr(5)))
        return setter(settings_.mqtt, entry.value);
    }
    if (key.starts_with("zone.")) {
      const auto [name, sub] = split_name(key.substr(5), entry);
      if (auto setter = keys::zone_setter(sub)) {
        zone_entries_.push_back({name, setter, entry});
        return;
      }
      if (keys::is_ignored_zone_key(sub)) return ignore(entry);
    } else if (const auto kind = listener_kind(key); !kind.empty()) {
      const auto [name, sub] = split_name(key.substr(10 + kind.size()), entry);
      auto& listener = listener_named(kind, name, entry.origin);
      if (sub.empty()) return set_address(listener, entry.value);
      if (sub.starts_with("access.")) {
        std::uint64_t index = 0;
        try {
          index = values::unsigned_integer(sub.substr(7), 1u << 20);
        } catch (const std::invalid_argument&) {
          throw ConfigError(entry.origin + ": unknown key '" + entry.key +
                            "' (access rules are numbered: listener." + std::string(kind) + "." +
                            name + ".access.1)");
        }
        listener.access[index] = std::string(values::trim(entry.value));
        return;
      }
      if (auto setter = keys::listener_setter(kind, sub))
        return setter(listener.settings, entry.value);
      if (keys::is_ignored_listener_key(sub)) return ignore(entry);
    } else if (keys::is_ignored(key)) {
      return ignore(entry);
    }
    throw ConfigError(entry.origin + ": unknown key '" + entry.key + "'" +
                      keys::suggestion(entry.key));
  }

  // "tcp" for listener.tcp.<name>..., and so on; "" for other keys.
  static std::string_view listener_kind(std::string_view key) {
    if (!key.starts_with("listener.")) return {};
    const auto rest = key.substr(9);
    const auto kind = rest.substr(0, rest.find('.'));
    if (kind.size() == rest.size() || kind_index(kind) == kKinds.size()) return {};
    return kKinds[kind_index(kind)];
  }

  // auth.user.<N>.username|password|salt (auth.client.<N>.clientid|...): one credential per N.
  static void set_credential(std::map<std::uint64_t, Credential>& credentials,
                             std::string_view name_field, const Entry& entry,
                             std::size_t prefix_size) {
    const auto rest = std::string_view(entry.key).substr(prefix_size);
    auto dot = rest.find('.');
    std::uint64_t index = 0;
    try {
      index = values::unsigned_integer(rest.substr(0, dot), 1u << 20);
    } catch (const std::invalid_argument&) {
      dot = std::string_view::npos;
    }
    const auto field = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    auto& credential = credentials[index];
    const auto value = std::string(values::trim(entry.value));
    if (field == name_field) {
      credential.name = value;
    } else if (field == "password") {
      credential.password = value;
    } else if (field == "salt") {
      credential.salt = value;
    } else {
      throw ConfigError(entry.origin + ": unknown key '" + entry.key + "' (expected " +
                        entry.key.substr(0, prefix_size) + "<N>." + std::string(name_field) +
                        ", .password or .salt)");
    }
  }

  // module.rewrite.rule.<N> (both directions), module.rewrite.pub.rule.<N> (PUBLISH topics) and
  // module.rewrite.sub.rule.<N> (SUBSCRIBE filters): kept in N order per direction.
  void set_rewrite_rule(const Entry& entry) {
    auto rest = std::string_view(entry.key).substr(15);
    std::string direction = "both";
    for (std::string_view prefix : {"pub.", "sub."}) {
      if (rest.starts_with(prefix)) {
        direction = std::string(prefix.substr(0, 3));
        rest.remove_prefix(4);
      }
    }
    std::uint64_t index = 0;
    try {
      if (!rest.starts_with("rule.")) throw std::invalid_argument("");
      index = values::unsigned_integer(rest.substr(5), 1u << 20);
    } catch (const std::invalid_argument&) {
      throw ConfigError(entry.origin + ": unknown key '" + entry.key +
                        "' (expected module.rewrite[.pub|.sub].rule.<N>)");
    }
    rewrite_rules_[{direction, index}] = {entry.origin + " " + entry.key,
                                          std::string(values::trim(entry.value))};
  }

  static void set_address(PendingListener& listener, std::string_view value) {
    if (values::trim(value) == "off") {
      listener.enabled = false;
      return;
    }
    auto [host, port] = values::listen_address(value);
    listener.settings.bind_address = std::move(host);
    listener.settings.port = port;
    listener.has_address = true;
    listener.enabled = true;
  }

  void ignore(const Entry& entry) {
    settings_.ignored_keys.push_back(entry.origin + " " + entry.key);
  }

  const std::vector<SectionSpec>& sections_;
  Settings settings_;
  std::vector<ZoneEntry> zone_entries_;
  std::map<std::uint64_t, Credential> users_, clients_;  // auth.user.N / auth.client.N by N
  // (direction, N) -> (where it was written, rule text)
  std::map<std::pair<std::string, std::uint64_t>, std::pair<std::string, std::string>>
      rewrite_rules_;
  // Keyed by (index in kKinds, name): tcp listeners first, as Settings documents.
  std::map<std::pair<std::size_t, std::string>, PendingListener> listeners_;
};

Settings build(const std::vector<Entry>& entries, const std::vector<SectionSpec>& sections) {
  Builder builder(sections);
  for (const auto& entry : entries) builder.apply(entry);
  return builder.finish();
}

}  // namespace

Environment process_environment() {
  Environment environment;
  for (char** variable = environ; variable && *variable; ++variable) {
    std::string_view text(*variable);
    if (!text.starts_with(kEnvironmentPrefix)) continue;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

Settings parse_settings(std::string_view text, const std::string& source,
                        const Environment& environment, const std::vector<SectionSpec>& sections) {
  auto entries = read_entries(text, source);
  auto overrides = environment_entries(environment);
  entries.insert(entries.end(), overrides.begin(), overrides.end());
  return build(entries, sections);
}

Settings load_settings(const std::optional<std::filesystem::path>& file,
                       const Environment& environment, const std::vector<SectionSpec>& sections) {
  if (!file) return parse_settings("", "defaults", environment, sections);
  const auto text = read_file(*file, true);
  auto main_entries = read_entries(*text, file->string());
  // Section files (etc/plugins/<plugin>.conf next to the main file, or in plugins.etc_dir) come
  // first, so the main file and then the environment override them.
  std::filesystem::path etc_dir = file->parent_path() / "plugins";
  for (const auto& entry : main_entries) {
    if (entry.key == kPluginsEtcDir || entry.key == kGatewayEtcDir) {
      etc_dir = std::string(values::trim(entry.value));
    }
  }
  std::vector<Entry> entries;
  for (const auto& section : sections) {
    const auto path = etc_dir / (section.name + ".conf");
    if (auto section_text = read_file(path, false)) {
      auto section_entries = read_entries(*section_text, path.string());
      for (auto& entry : section_entries) {
        if (!entry.key.starts_with(section.key_prefix)) {
          throw ConfigError(entry.origin + ": '" + entry.key + "' does not belong in " +
                            path.filename().string() + " (its keys start with " +
                            section.key_prefix + ")");
        }
      }
      entries.insert(entries.end(), section_entries.begin(), section_entries.end());
    }
  }
  entries.insert(entries.end(), main_entries.begin(), main_entries.end());
  auto overrides = environment_entries(environment);
  entries.insert(entries.end(), overrides.begin(), overrides.end());
  return build(entries, sections);
}

}  // namespace gatemq::config
