// LwM2M paths (OMA LwM2M TS resource model): /object/instance/resource/resource-instance, each id a
// decimal 0..65534 (65535 is reserved as "no id"). Pure value type, no allocation beyond the
// string forms. Also holds Result<T>, the error-or-value type shared by the LwM2M content code.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gatemq::gateway::lwm2m {

// A human-readable reason, ready to be sent back to the MQTT side.
struct Error {
  std::string message;
};

// Either a value or an Error. The LwM2M content API never throws; it returns these.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // Precondition: !ok().
  const std::string& error() const { return std::get<Error>(state_).message; }

 private:
  std::variant<T, Error> state_;
};

class Path {
 public:
  static constexpr std::uint16_t kMaxId = 65534;
  static constexpr std::size_t kMaxDepth = 4;

  enum class Level : std::uint8_t { Root, Object, ObjectInstance, Resource, ResourceInstance };

  // The root path "/".
  Path() = default;
  // Up to four ids; nullopt when there are more or one is above kMaxId.
  static std::optional<Path> from_ids(std::initializer_list<std::uint16_t> ids);

  // "/3", "/3/0", "/3/0/1", "/3/0/1/2". Refused: a missing leading '/', empty segments
  // ("/3//1"), a trailing '/', signs, leading zeros ("/03"), ids above 65534, more than four
  // levels. "/" alone is the root and is accepted only with `allow_root`.
  static Result<Path> parse(std::string_view text, bool allow_root = false);

  std::size_t depth() const { return depth_; }
  Level level() const { return static_cast<Level>(depth_); }
  bool is_root() const { return depth_ == 0; }
  bool is_object() const { return depth_ == 1; }
  bool is_object_instance() const { return depth_ == 2; }
  bool is_resource() const { return depth_ == 3; }
  bool is_resource_instance() const { return depth_ == 4; }

  // The id at `index` (0 = object ... 3 = resource instance). Precondition: index < depth().
  std::uint16_t id(std::size_t index) const { return ids_[index]; }
  // Named accessors; each requires the path to be at least that deep.
  std::uint16_t object_id() const { return ids_[0]; }
  std::uint16_t instance_id() const { return ids_[1]; }
  std::uint16_t resource_id() const { return ids_[2]; }
  std::uint16_t resource_instance_id() const { return ids_[3]; }

  // One level deeper; nullopt when already four deep or `id` > kMaxId.
  std::optional<Path> child(std::uint16_t id) const;
  // One level up; the root's parent is the root.
  Path parent() const;

  // Canonical text: "/3/0/1", or "/" for the root.
  std::string to_string() const;

  // True when `prefix` is this path or one of its ancestors (the root prefixes everything).
  bool starts_with(const Path& prefix) const;

  // Appends a relative path to this one: "13", "/13" or "6/0" under "/3/0" give "/3/0/13" and
  // "/3/0/6/0". The relative part obeys the segment rules of parse() and must not be empty; the
  // result must not exceed four levels.
  Result<Path> join(std::string_view relative) const;

  friend bool operator==(const Path& a, const Path& b) {
    return a.depth_ == b.depth_ && a.ids_ == b.ids_;
  }
  // Depth-first order: a parent sorts before its children, siblings by id.
  friend std::strong_ordering operator<=>(const Path& a, const Path& b);

 private:
  std::array<std::uint16_t, kMaxDepth> ids_{};  // unused tail stays 0 so == can compare arrays
  std::uint8_t depth_ = 0;
};

}  // namespace gatemq::gateway::lwm2m
