#include "gateways/lwm2m/path.hpp"

#include <algorithm>
#include <charconv>

namespace gatemq::gateway::lwm2m {
namespace {

// One id segment: ASCII digits only, no sign, no leading zero (so each id has one spelling and
// text comparisons of paths stay meaningful), 0..kMaxId.
std::optional<std::uint16_t> parse_id(std::string_view segment) {
  if (segment.empty() || segment.size() > 5) return std::nullopt;
  if (!std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  if (segment.size() > 1 && segment.front() == '0') return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), value);
  if (error != std::errc{} || end != segment.data() + segment.size() || value > Path::kMaxId) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::string quoted(std::string_view text) {
  // Hostile input may be long or binary; keep the message short and printable.
  constexpr std::size_t kShown = 40;
  std::string out = "'";
  for (const char c : text.substr(0, kShown)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > kShown) out += "...";
  out += "'";
  return out;
}

// Appends the '/'-separated segments of `segments` (no leading '/') to `path`.
Result<Path> append_segments(Path path, std::string_view segments, std::string_view original) {
  while (true) {
    const auto slash = segments.find('/');
    const auto segment = segments.substr(0, slash);
    const auto id = parse_id(segment);
    if (!id) {
      if (segment.empty()) return Error{"empty segment in LwM2M path " + quoted(original)};
      return Error{"invalid id " + quoted(segment) + " in LwM2M path " + quoted(original) +
                   " (expected a decimal 0..65534)"};
    }
    auto deeper = path.child(*id);
    if (!deeper) return Error{"LwM2M path " + quoted(original) + " has more than 4 levels"};
    path = *deeper;
    if (slash == std::string_view::npos) return path;
    segments.remove_prefix(slash + 1);
  }
}

}  // namespace

std::optional<Path> Path::from_ids(std::initializer_list<std::uint16_t> ids) {
  Path path;
  for (const auto id : ids) {
    auto deeper = path.child(id);
    if (!deeper) return std::nullopt;
    path = *deeper;
  }
  return path;
}

Result<Path> Path::parse(std::string_view text, bool allow_root) {
  if (text.empty() || text.front() != '/') {
    return Error{"LwM2M path " + quoted(text) + " must start with '/'"};
  }
  if (text == "/") {
    if (allow_root) return Path{};
    return Error{"the root path '/' is not allowed here"};
  }
  return append_segments(Path{}, text.substr(1), text);
}

std::optional<Path> Path::child(std::uint16_t id) const {
  if (depth_ >= kMaxDepth || id > kMaxId) return std::nullopt;
  Path deeper = *this;
  deeper.ids_[deeper.depth_++] = id;
  return deeper;
}

Path Path::parent() const {
  Path up = *this;
  if (up.depth_ > 0) up.ids_[--up.depth_] = 0;
  return up;
}

std::string Path::to_string() const {
  if (depth_ == 0) return "/";
  std::string text;
  for (std::size_t i = 0; i < depth_; ++i) {
    text += '/';
    text += std::to_string(ids_[i]);
  }
  return text;
}

bool Path::starts_with(const Path& prefix) const {
  return prefix.depth_ <= depth_ &&
         std::equal(prefix.ids_.begin(), prefix.ids_.begin() + prefix.depth_, ids_.begin());
}

Result<Path> Path::join(std::string_view relative) const {
  auto segments = relative;
  if (!segments.empty() && segments.front() == '/') segments.remove_prefix(1);
  if (segments.empty()) return Error{"empty relative LwM2M path " + quoted(relative)};
  return append_segments(*this, segments, relative);
}

std::strong_ordering operator<=>(const Path& a, const Path& b) {
  const auto common = std::min(a.depth_, b.depth_);
  for (std::size_t i = 0; i < common; ++i) {
    if (const auto order = a.ids_[i] <=> b.ids_[i]; order != 0) return order;
  }
  return a.depth_ <=> b.depth_;
}

}  // namespace gatemq::gateway::lwm2m
