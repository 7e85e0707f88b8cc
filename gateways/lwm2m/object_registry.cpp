#include "gateways/lwm2m/object_registry.hpp"

#include <spdlog/spdlog.h>
#include <tinyxml2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "core/config/values.hpp"
#include "core/mqtt/utf8.hpp"

namespace gatemq::gateway::lwm2m {

namespace fs = std::filesystem;

namespace {

// The OMA registry's largest definitions are a few hundred KB; anything far bigger is not an
// object definition and is refused before it is parsed.
constexpr std::size_t max_file_bytes = 4 * 1024 * 1024;
// One broken file can yield an error per item; past this many the rest adds nothing.
constexpr std::size_t max_problems_per_file = 20;
// Names end up in logs, topics and JSON: keep them short.
constexpr std::size_t max_name_bytes = 256;
// Object and resource ids are 16-bit; 65535 (MAX_ID) is reserved by the specification.
constexpr std::uint32_t max_id = 65534;

constexpr std::string_view definition_extension = ".xml";

// A decimal number 0..65534 and nothing else: no sign, no blanks, no hex, no trailing junk.
std::optional<std::uint16_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value > max_id) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

// Quotes operator-supplied text for a problem message, cut short and with everything but
// printable ASCII escaped: a hostile file can neither forge log lines nor slip invalid UTF-8
// into a message that may end up in JSON.
std::string quote_for_message(std::string_view text) {
  constexpr std::size_t max_shown = 40;
  std::string out = "\"";
  for (const char c : text.substr(0, max_shown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F || c == '"' || c == '\\') {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  if (text.size() > max_shown) out += "...";
  out += '"';
  return out;
}

// Element names cannot hold control characters, but they can be arbitrarily long.
std::string shown_element_name(const tinyxml2::XMLElement& element) {
  constexpr std::size_t max_shown = 40;
  const std::string_view name = element.Name();
  return name.size() <= max_shown ? std::string(name)
                                  : std::string(name.substr(0, max_shown)) + "...";
}

// Checks one document and turns it into definitions, collecting every problem on the way so the
// operator can fix a file in one go.
class DefinitionParser {
 public:
  explicit DefinitionParser(const fs::path& origin) : origin_(origin) {}

  ParsedDefinitions parse(std::string_view xml) {
    if (config::values::trim(xml).empty()) {
      error("empty file");
      return finish();
    }
    // No DTD or external entity support in tinyxml2: nothing outside the text is fetched and
    // entity expansion cannot blow up. Its element depth limit guards the stack.
    tinyxml2::XMLDocument document(true, tinyxml2::PRESERVE_WHITESPACE);
    if (document.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
      // Line 0: tinyxml2 stopped before the first line, e.g. at a leading NUL byte.
      const int line = document.ErrorLineNum();
      error(std::string("XML syntax error") +
            (line > 0 ? " at line " + std::to_string(line) : std::string()) + " (" +
            document.ErrorName() + ")");
      return finish();
    }
    const tinyxml2::XMLElement* root = document.RootElement();
    if (root == nullptr || std::string_view(root->Name()) != "LWM2M") {
      error("the root element is not <LWM2M>");
      return finish();
    }
    std::size_t position = 0;
    for (const auto* child = root->FirstChildElement(); child != nullptr && !gave_up();
         child = child->NextSiblingElement()) {
      ++position;
      if (std::string_view(child->Name()) != "Object") {
        error("unexpected element <" + shown_element_name(*child) + "> in <LWM2M>");
        continue;
      }
      parse_object(*child, position);
    }
    if (position == 0) error("no <Object> in <LWM2M>");
    return finish();
  }

 private:
  bool gave_up() const { return problems_.size() >= max_problems_per_file; }

  void error(std::string message) {
    if (problems_.size() < max_problems_per_file) {
      problems_.push_back({LoadProblem::Severity::error, origin_, std::move(message)});
    }
    if (problems_.size() == max_problems_per_file && !gave_up_noted_) {
      gave_up_noted_ = true;
      problems_.back().message +=
          " (at most " + std::to_string(max_problems_per_file) + " problems are listed per file)";
    }
  }

  ParsedDefinitions finish() {
    ParsedDefinitions result;
    // A file is all or nothing: half an object set would be worse than a clear error.
    if (problems_.empty()) result.objects = std::move(objects_);
    result.problems = std::move(problems_);
    return result;
  }

  // The text of an element made only of text (CDATA included); nullopt if it has child elements.
  static std::optional<std::string> text_of(const tinyxml2::XMLElement& element) {
    std::string text;
    for (const auto* node = element.FirstChild(); node != nullptr; node = node->NextSibling()) {
      if (const auto* text_node = node->ToText()) {
        text += text_node->Value();
      } else if (node->ToComment() == nullptr) {
        return std::nullopt;
      }
    }
    return text;
  }

  // The trimmed text of the one child `name` of `parent`; reports it missing, repeated or not
  // plain text.
  std::optional<std::string> required_text(const tinyxml2::XMLElement& parent, const char* name,
                                           const std::string& where) {
    const auto* child = parent.FirstChildElement(name);
    if (child == nullptr) {
      error(where + ": missing <" + name + ">");
      return std::nullopt;
    }
    if (child->NextSiblingElement(name) != nullptr) {
      error(where + ": more than one <" + name + ">");
      return std::nullopt;
    }
    auto text = text_of(*child);
    if (!text) {
      error(where + ": <" + name + "> must hold text only");
      return std::nullopt;
    }
    return std::string(config::values::trim(*text));
  }

  std::optional<std::string> checked_name(const tinyxml2::XMLElement& parent,
                                          const std::string& where) {
    auto name = required_text(parent, "Name", where);
    if (!name) return std::nullopt;
    if (name->empty()) {
      error(where + ": empty <Name>");
    } else if (name->size() > max_name_bytes) {
      error(where + ": <Name> longer than " + std::to_string(max_name_bytes) + " bytes");
    } else if (!mqtt::is_valid_utf8(*name) || has_control_characters(*name)) {
      error(where + ": <Name> " + quote_for_message(*name) + " is not printable UTF-8");
    } else {
      return name;
    }
    return std::nullopt;
  }

  // "Single"/"Multiple" or "Mandatory"/"Optional": true for the first spelling.
  std::optional<bool> choice(const tinyxml2::XMLElement& parent, const char* name,
                             std::string_view when_true, std::string_view when_false,
                             const std::string& where) {
    const auto text = required_text(parent, name, where);
    if (!text) return std::nullopt;
    if (*text == when_true) return true;
    if (*text == when_false) return false;
    error(where + ": <" + name + "> is " + quote_for_message(*text) + ", expected " +
          std::string(when_true) + " or " + std::string(when_false));
    return std::nullopt;
  }

  // urn:oma:lwm2m:{oma|ext|x|...}:<object id>[:<major>.<minor>], naming this object.
  static bool urn_is_valid(std::string_view urn, std::uint16_t object_id) {
    constexpr std::string_view prefix = "urn:oma:lwm2m:";
    if (!urn.starts_with(prefix)) return false;
    std::string_view rest = urn.substr(prefix.size());
    const auto kind_end = rest.find(':');
    if (kind_end == 0 || kind_end == std::string_view::npos) return false;
    const auto kind = rest.substr(0, kind_end);
    if (!std::all_of(kind.begin(), kind.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
      return false;
    }
    rest = rest.substr(kind_end + 1);
    const auto id_end = rest.find(':');
    if (parse_id(rest.substr(0, id_end)) != object_id) return false;
    if (id_end == std::string_view::npos) return true;
    const auto version = rest.substr(id_end + 1);
    const auto dot = version.find('.');
    if (dot == std::string_view::npos) return false;
    const auto digits = [](std::string_view part) {
      return !part.empty() && part.size() <= 3 &&
             std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    return digits(version.substr(0, dot)) && digits(version.substr(dot + 1));
  }

  void parse_object(const tinyxml2::XMLElement& element, std::size_t position) {
    const std::size_t errors_before = problems_.size();
    std::string where = "<Object> #" + std::to_string(position);

    if (const char* object_type = element.Attribute("ObjectType");
        object_type != nullptr && std::string_view(object_type) != "MODefinition") {
      error(where + ": ObjectType is " + quote_for_message(object_type) +
            ", expected MODefinition");
    }
    ObjectDefinition object;
    if (const auto id_text = required_text(element, "ObjectID", where)) {
      if (const auto id = parse_id(*id_text)) {
        object.id = *id;
        where = "object " + std::to_string(object.id);
      } else {
        error(where + ": invalid <ObjectID> " + quote_for_message(*id_text) +
              " (a number 0..65534)");
        return;  // everything else would be reported against an unknown object
      }
    } else {
      return;
    }
    if (const auto name = checked_name(element, where)) object.name = *name;
    // Optional: some hand-written definitions leave the URN out.
    if (element.FirstChildElement("ObjectURN") != nullptr) {
      if (const auto urn = required_text(element, "ObjectURN", where); urn && !urn->empty()) {
        if (urn_is_valid(*urn, object.id)) {
          object.urn = *urn;
        } else {
          error(where + ": <ObjectURN> " + quote_for_message(*urn) +
                " is not urn:oma:lwm2m:<kind>:" + std::to_string(object.id) + "[:<version>]");
        }
      }
    }
    if (const auto multiple = choice(element, "MultipleInstances", "Multiple", "Single", where)) {
      object.multiple = *multiple;
    }
    if (const auto mandatory = choice(element, "Mandatory", "Mandatory", "Optional", where)) {
      object.mandatory = *mandatory;
    }
    const auto* resources = element.FirstChildElement("Resources");
    if (resources == nullptr) {
      error(where + ": missing <Resources>");
    } else if (resources->NextSiblingElement("Resources") != nullptr) {
      error(where + ": more than one <Resources>");
    } else {
      for (const auto* item = resources->FirstChildElement(); item != nullptr && !gave_up();
           item = item->NextSiblingElement()) {
        if (std::string_view(item->Name()) != "Item") {
          error(where + ": unexpected element <" + shown_element_name(*item) + "> in <Resources>");
          continue;
        }
        parse_resource(*item, object, where);
      }
    }
    if (!object_ids_.insert(object.id).second) {
      error(where + ": defined twice in this file");
    }
    if (problems_.size() == errors_before) objects_.push_back(std::move(object));
  }

  void parse_resource(const tinyxml2::XMLElement& item, ObjectDefinition& object,
                      const std::string& object_where) {
    const char* id_text = item.Attribute("ID");
    if (id_text == nullptr) {
      error(object_where + ": <Item> without an ID attribute");
      return;
    }
    const auto id = parse_id(id_text);
    if (!id) {
      error(object_where + ": invalid resource ID " + quote_for_message(id_text) +
            " (a number 0..65534)");
      return;
    }
    const std::string where = object_where + ", resource " + std::to_string(*id);
    const std::size_t errors_before = problems_.size();

    ResourceDefinition resource;
    resource.id = *id;
    if (const auto name = checked_name(item, where)) resource.name = *name;
    if (const auto operations = required_text(item, "Operations", where)) {
      if (*operations == "R") {
        resource.readable = true;
      } else if (*operations == "W") {
        resource.writable = true;
      } else if (*operations == "RW") {
        resource.readable = resource.writable = true;
      } else if (*operations == "E") {
        resource.executable = true;
      } else if (!operations->empty()) {
        error(where + ": <Operations> is " + quote_for_message(*operations) +
              ", expected R, W, RW, E or "
              "nothing");
      }
    }
    if (const auto multiple = choice(item, "MultipleInstances", "Multiple", "Single", where)) {
      resource.multiple = *multiple;
    }
    if (const auto mandatory = choice(item, "Mandatory", "Mandatory", "Optional", where)) {
      resource.mandatory = *mandatory;
    }
    if (const auto type_text = required_text(item, "Type", where)) {
      if (const auto type = parse_resource_type(*type_text)) {
        resource.type = *type;
        // A value that can be read or written needs a type to be encoded or decoded.
        if (resource.type == ResourceType::None && (resource.readable || resource.writable)) {
          error(where + ": a readable or writable resource needs a <Type>");
        }
      } else {
        error(where + ": unknown <Type> " + quote_for_message(*type_text));
      }
    }
    if (problems_.size() != errors_before) return;
    if (!object.resources.emplace(resource.id, std::move(resource)).second) {
      error(where + ": resource ID defined twice");
    }
  }

  const fs::path& origin_;
  std::vector<ObjectDefinition> objects_;
  std::set<std::uint16_t> object_ids_;
  std::vector<LoadProblem> problems_;
  bool gave_up_noted_ = false;
};

LoadProblem problem(LoadProblem::Severity severity, const fs::path& path, std::string message) {
  return {severity, path, std::move(message)};
}

// The definition files of one directory, sorted by name; problems with the directory itself are
// reported. Hidden files are skipped: editors leave lock and backup files there.
std::vector<fs::path> definition_files(const fs::path& directory,
                                       std::vector<LoadProblem>& problems) {
  using Severity = LoadProblem::Severity;
  std::error_code ec;
  const auto status = fs::status(directory, ec);
  if (status.type() == fs::file_type::not_found) {
    problems.push_back(problem(Severity::error, directory, "directory does not exist"));
    return {};
  }
  if (ec) {
    problems.push_back(problem(Severity::error, directory, "cannot access: " + ec.message()));
    return {};
  }
  if (!fs::is_directory(status)) {
    problems.push_back(problem(Severity::error, directory, "not a directory"));
    return {};
  }
  fs::directory_iterator entries(directory, ec);
  if (ec) {
    problems.push_back(
        problem(Severity::error, directory, "cannot read directory: " + ec.message()));
    return {};
  }
  std::vector<fs::path> files;
  const auto consider = [&](const fs::directory_entry& entry) {
    const std::string file_name = entry.path().filename().string();
    if (file_name.starts_with('.') || !file_name.ends_with(definition_extension)) return;
    std::error_code type_error;
    if (entry.is_regular_file(type_error)) {
      files.push_back(entry.path());
    } else {
      problems.push_back(problem(Severity::warning, entry.path(), "not a regular file, skipped"));
    }
  };
  // increment(ec) instead of a range-for: an I/O error mid-listing must not throw.
  while (entries != fs::directory_iterator()) {
    consider(*entries);
    entries.increment(ec);
    if (ec) break;
  }
  if (ec) {
    problems.push_back(
        problem(Severity::error, directory, "cannot read directory: " + ec.message()));
  }
  std::sort(files.begin(), files.end(), [](const fs::path& left, const fs::path& right) {
    return left.filename().native() < right.filename().native();
  });
  if (files.empty() && !ec) {
    problems.push_back(problem(Severity::warning, directory, "no *.xml object definition files"));
  }
  return files;
}

// Reads at most max_file_bytes + 1 bytes, so a huge or endless file (a FIFO, /dev/zero behind a
// symlink) cannot exhaust memory.
std::optional<std::string> read_definition_file(const fs::path& path,
                                                std::vector<LoadProblem>& problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.push_back(problem(LoadProblem::Severity::error, path, "cannot open file"));
    return std::nullopt;
  }
  std::string content;
  std::array<char, 64 * 1024> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    content.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_file_bytes) {
      problems.push_back(problem(LoadProblem::Severity::error, path,
                                 "larger than " + std::to_string(max_file_bytes) + " bytes"));
      return std::nullopt;
    }
  }
  if (in.bad()) {
    problems.push_back(problem(LoadProblem::Severity::error, path, "read error"));
    return std::nullopt;
  }
  return content;
}

}  // namespace

const ResourceDefinition* ObjectDefinition::find(std::uint16_t resource_id) const {
  const auto it = resources.find(resource_id);
  return it == resources.end() ? nullptr : &it->second;
}

std::string LoadProblem::describe() const {
  return path.string() + ": " + message;
}

bool RegistryLoad::has_errors() const {
  return std::any_of(problems.begin(), problems.end(),
                     [](const LoadProblem& problem) { return problem.is_error(); });
}

ParsedDefinitions parse_object_definitions(std::string_view xml, const fs::path& origin) {
  return DefinitionParser(origin).parse(xml);
}

ObjectRegistry::ObjectRegistry(std::map<std::uint16_t, ObjectDefinition> objects)
    : objects_(std::move(objects)) {}

RegistryLoad ObjectRegistry::load(const fs::path& directory) {
  return load(std::span<const fs::path>(&directory, 1));
}

RegistryLoad ObjectRegistry::load(std::span<const fs::path> directories) {
  std::map<std::uint16_t, ObjectDefinition> objects;
  std::map<std::uint16_t, fs::path> defined_in;
  std::vector<LoadProblem> problems;
  std::size_t files_read = 0;

  for (const fs::path& directory : directories) {
    for (const fs::path& file : definition_files(directory, problems)) {
      const auto content = read_definition_file(file, problems);
      if (!content) continue;
      ++files_read;
      auto parsed = parse_object_definitions(*content, file);
      std::move(parsed.problems.begin(), parsed.problems.end(), std::back_inserter(problems));
      for (ObjectDefinition& object : parsed.objects) {
        const std::uint16_t id = object.id;
        if (const auto previous = defined_in.find(id); previous != defined_in.end()) {
          problems.push_back(problem(LoadProblem::Severity::warning, file,
                                     "object " + std::to_string(id) + " (" + object.name +
                                         ") replaces the definition from " +
                                         previous->second.string()));
        }
        defined_in[id] = file;
        objects.insert_or_assign(id, std::move(object));
      }
    }
  }
  spdlog::debug("lwm2m: {} object definitions from {} files, {} problems", objects.size(),
                files_read, problems.size());
  return {std::make_shared<const ObjectRegistry>(std::move(objects)), std::move(problems)};
}

const ObjectDefinition* ObjectRegistry::find(std::uint16_t object_id) const {
  const auto it = objects_.find(object_id);
  return it == objects_.end() ? nullptr : &it->second;
}

const ResourceDefinition* ObjectRegistry::resource(std::uint16_t object_id,
                                                   std::uint16_t resource_id) const {
  const ObjectDefinition* object = find(object_id);
  return object == nullptr ? nullptr : object->find(resource_id);
}

}  // namespace gatemq::gateway::lwm2m
