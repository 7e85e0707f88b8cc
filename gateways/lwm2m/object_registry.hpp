// LwM2M object definitions (OMA LwM2M XML, the format of the OMA registry) and the registry the
// gateway looks them up in. The XML files are operator-supplied, so every field is checked and a
// bad file is reported and skipped instead of failing the load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/lwm2m/resource_type.hpp"

namespace gatemq::gateway::lwm2m {

struct ResourceDefinition {
  std::uint16_t id = 0;
  std::string name;
  bool readable = false;
  bool writable = false;
  bool executable = false;
  bool multiple = false;  // has resource instances
  bool mandatory = false;
  ResourceType type = ResourceType::None;
  friend bool operator==(const ResourceDefinition&, const ResourceDefinition&) = default;
};

struct ObjectDefinition {
  std::uint16_t id = 0;
  std::string name;
  std::string urn;        // empty when the file gives none
  bool multiple = false;  // may have several instances
  bool mandatory = false;
  std::map<std::uint16_t, ResourceDefinition> resources;

  // nullptr when the object defines no such resource.
  const ResourceDefinition* find(std::uint16_t resource_id) const;
  friend bool operator==(const ObjectDefinition&, const ObjectDefinition&) = default;
};

// Something wrong with one file or directory. An error means the file was skipped; a warning
// means it was loaded but the operator should know (an object replaced, a directory empty).
struct LoadProblem {
  enum class Severity { warning, error };

  Severity severity = Severity::error;
  std::filesystem::path path;  // the file (or directory) concerned
  std::string message;

  bool is_error() const { return severity == Severity::error; }
  // "<path>: <message>", ready for a log line.
  std::string describe() const;
};

// What one XML document defines; `objects` is empty when there is any error.
struct ParsedDefinitions {
  std::vector<ObjectDefinition> objects;
  std::vector<LoadProblem> problems;
};

// Parses one document in the OMA LwM2M XML layout (one or more <Object> under <LWM2M>).
// `origin` only names the source in the problems.
ParsedDefinitions parse_object_definitions(std::string_view xml,
                                           const std::filesystem::path& origin);

class ObjectRegistry;

struct RegistryLoad {
  std::shared_ptr<const ObjectRegistry> registry;  // never null, possibly empty
  std::vector<LoadProblem> problems;

  bool has_errors() const;
};

// Immutable once built: the gateway swaps a whole std::shared_ptr<const ObjectRegistry> on
// reload, so readers never see a half-loaded set.
class ObjectRegistry {
 public:
  ObjectRegistry() = default;
  explicit ObjectRegistry(std::map<std::uint16_t, ObjectDefinition> objects);

  // Reads every `*.xml` file of each directory, files in name order so the outcome does not
  // depend on the file system. A later directory may add objects or replace one with the same
  // id (reported as a warning). Never throws on bad input: problems are returned instead.
  static RegistryLoad load(std::span<const std::filesystem::path> directories);
  static RegistryLoad load(const std::filesystem::path& directory);

  const ObjectDefinition* find(std::uint16_t object_id) const;
  const ResourceDefinition* resource(std::uint16_t object_id, std::uint16_t resource_id) const;
  const std::map<std::uint16_t, ObjectDefinition>& objects() const { return objects_; }
  std::size_t size() const { return objects_.size(); }
  friend bool operator==(const ObjectRegistry&, const ObjectRegistry&) = default;

 private:
  std::map<std::uint16_t, ObjectDefinition> objects_;
};

}  // namespace gatemq::gateway::lwm2m
