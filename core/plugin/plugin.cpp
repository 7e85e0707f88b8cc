#include "core/plugin/plugin.hpp"

#include <algorithm>
#include <cctype>

namespace gatemq::plugin {

namespace {

std::string normalized(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

bool answers_to(const Descriptor& descriptor, const std::string& wanted) {
  if (normalized(descriptor.name) == wanted) return true;
  return std::any_of(descriptor.aliases.begin(), descriptor.aliases.end(),
                     [&](const std::string& alias) { return normalized(alias) == wanted; });
}

}  // namespace

std::string_view type_name(Kind kind) {
  // The words of the seed's plugin "type" field.
  switch (kind) {
    case Kind::Gateway:
      return "protocol";
    case Kind::Auth:
      return "auth";
    case Kind::Hook:
      return "hook";
    case Kind::Backend:
      return "backend";
    case Kind::Bridge:
      return "bridge";
    case Kind::Feature:
      break;
  }
  return "feature";
}

void Registry::add(Descriptor descriptor) {
  std::vector<std::string> names{descriptor.name};
  names.insert(names.end(), descriptor.aliases.begin(), descriptor.aliases.end());
  for (const auto& name : names) {
    const auto wanted = normalized(name);
    for (const auto& known : descriptors_) {
      if (answers_to(known, wanted)) {
        throw std::invalid_argument("plugin " + descriptor.name + ": the name " + name +
                                    " is taken by " + known.name);
      }
    }
  }
  descriptors_.push_back(std::move(descriptor));
}

const Descriptor& Registry::find(std::string_view name) const {
  const auto wanted = normalized(name);
  for (const auto& descriptor : descriptors_) {
    if (answers_to(descriptor, wanted)) return descriptor;
  }
  throw NotFound("no such plugin: " + std::string(name));
}

std::vector<config::SectionSpec> Registry::sections() const {
  std::vector<config::SectionSpec> sections;
  for (const auto& descriptor : descriptors_) {
    sections.push_back({descriptor.name, descriptor.key_prefix});
  }
  return sections;
}

}  // namespace gatemq::plugin
