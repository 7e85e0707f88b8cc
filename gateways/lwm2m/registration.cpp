#include "gateways/lwm2m/registration.hpp"

#include <charconv>

namespace gatemq::gateway::lwm2m {

namespace {

constexpr std::size_t kMaxEndpointName = 256;
constexpr std::size_t kMaxLinks = 1024;

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = code << 6 | (next & 0x3F);
    }
    // Overlong forms, surrogates and code points beyond U+10FFFF are not UTF-8.
    if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
        (extra == 3 && code < 0x10000) || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

bool printable(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return false;
  }
  return valid_utf8(text);
}

// LwM2M 1.0 bindings (U, UQ, S, SQ, US, UQS) and 1.1 ones (any of U, S, N, T once each; queue
// mode is then the separate Q parameter, but "UQ" is still accepted from 1.1 devices).
bool valid_binding(std::string_view binding) {
  if (binding.empty() || binding.size() > 5) return false;
  std::string seen;
  for (const char c : binding) {
    if (std::string_view("UQSNT").find(c) == std::string_view::npos) return false;
    if (seen.find(c) != std::string::npos) return false;
    seen.push_back(c);
  }
  return true;
}

}  // namespace

bool valid_endpoint_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxEndpointName || !printable(name)) return false;
  return name.find_first_of("+#/") == std::string_view::npos;
}

Result<RegistrationQuery> parse_registration_query(const std::vector<std::string>& options) {
  RegistrationQuery query;
  for (const auto& option : options) {
    const auto equals = option.find('=');
    const std::string_view name(option.data(), std::min(equals, option.size()));
    const std::string_view value = equals == std::string::npos
                                       ? std::string_view{}
                                       : std::string_view(option).substr(equals + 1);
    if (name == "Q" && equals == std::string::npos) {
      if (query.queue_mode) return Error{"Q given twice"};
      query.queue_mode = true;
      continue;
    }
    const auto once = [&](auto& field) -> bool { return !field.has_value(); };
    if (name == "ep") {
      if (!once(query.endpoint)) return Error{"ep given twice"};
      if (!valid_endpoint_name(value)) return Error{"bad endpoint name"};
      query.endpoint = std::string(value);
    } else if (name == "lt") {
      if (!once(query.lifetime)) return Error{"lt given twice"};
      std::uint64_t seconds = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (value.empty() || error != std::errc{} || end != value.data() + value.size()) {
        return Error{"bad lifetime"};
      }
      query.lifetime = seconds;
    } else if (name == "lwm2m") {
      if (!once(query.version)) return Error{"lwm2m given twice"};
      if (value != "1.0" && value != "1.1" && value != "1.2")
        return Error{"unsupported lwm2m version"};
      query.version = std::string(value);
    } else if (name == "b") {
      if (!once(query.binding)) return Error{"b given twice"};
      if (!valid_binding(value)) return Error{"bad binding"};
      query.binding = std::string(value);
    } else if (!printable(option)) {
      return Error{"bad query parameter"};
    }
  }
  return query;
}

std::optional<std::vector<std::string>> split_links(std::string_view payload) {
  std::vector<std::string> links;
  std::string current;
  bool in_target = false;
  bool in_quotes = false;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const char c = payload[i];
    if (in_quotes) {
      if (c == '\\' && i + 1 < payload.size()) {  // an escaped character inside quotes
        current.push_back(c);
        current.push_back(payload[++i]);
        continue;
      }
      if (c == '"') in_quotes = false;
    } else if (in_target) {
      if (c == '>') in_target = false;
      if (c == '<') return std::nullopt;
    } else if (c == '<') {
      in_target = true;
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      links.push_back(std::move(current));
      current.clear();
      if (links.size() > kMaxLinks) return std::nullopt;
      continue;
    }
    current.push_back(c);
  }
  if (in_target || in_quotes) return std::nullopt;
  links.push_back(std::move(current));
  // Whitespace around links is tolerated (some clients pretty-print); an empty link is not.
  for (auto& link : links) {
    const auto first = link.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return std::nullopt;
    link = link.substr(first, link.find_last_not_of(" \t\r\n") - first + 1);
    if (link.front() != '<') return std::nullopt;
  }
  return links;
}

Result<ObjectLinks> parse_object_links(std::string_view payload) {
  ObjectLinks result;
  if (payload.empty()) return result;
  if (!printable(payload)) return Error{"object links are not printable UTF-8"};
  auto links = split_links(payload);
  if (!links) return Error{"malformed link format"};
  struct Link {
    std::string target;
    bool lwm2m_root = false;
  };
  std::vector<Link> parsed;
  for (const auto& text : *links) {
    const auto close = text.find('>');
    Link link{text.substr(1, close - 1)};
    const auto attributes = std::string_view(text).substr(close + 1);
    if (!attributes.empty() && attributes.front() != ';') return Error{"malformed link: " + text};
    link.lwm2m_root = attributes.find("rt=\"oma.lwm2m\"") != std::string_view::npos;
    parsed.push_back(std::move(link));
  }
  for (const auto& link : parsed) {
    if (!link.lwm2m_root) continue;
    auto root = link.target;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (root.empty() || root.front() != '/') return Error{"bad alternate path"};
    result.alternate_path = root;
    break;
  }
  const std::string prefix = result.alternate_path == "/" ? "" : result.alternate_path;
  for (const auto& link : parsed) {
    if (link.lwm2m_root) continue;
    if (!link.target.starts_with(prefix + "/")) return Error{"link outside the alternate path"};
    const auto path = Path::parse(std::string_view(link.target).substr(prefix.size()));
    if (!path || path->depth() > 2)
      return Error{"not an object or object instance: " + link.target};
    result.objects.push_back(path->to_string());
  }
  return result;
}

}  // namespace gatemq::gateway::lwm2m
