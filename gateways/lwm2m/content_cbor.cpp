// SenML CBOR, content format 112 (RFC 8428 §6, LwM2M 1.1 TS §7.4.6): the SenML pack as a CBOR
// array of maps whose keys are integer labels (bn = -2, n = 0, v = 2, ...) plus LwM2M's text key
// "vlo" for object links. Each record is turned into the JSON object SenML JSON would have
// given, and decode_senml_records() (content_json.cpp) applies the very same rules: base name +
// name, typing through the TypeLookup, request path, duplicates.
//
// nlohmann::json::from_cbor cannot be used: it only takes text-string map keys, and SenML CBOR's
// are integers. Hence the small reader below, which accepts:
//   - major types 0-5 and 7 with definite lengths; indefinite-length strings, arrays and maps
//     (additional information 31) are refused with an error, as are tags (major type 6): RFC 8428
//     senders need neither;
//   - half, single and double floats (non-finite ones are refused: JSON cannot carry them);
//   - true/false; null, undefined and other simple values are refused.
// Every length and count is checked against the bytes left before use, nesting is capped, and
// nothing reads past the input: a hostile payload gives an Error, never a crash.
// The encoder (encode_batch_senml_cbor) writes the same shape: definite lengths, doubles.
#include <bit>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <string>

#include "gateways/lwm2m/content_formats.hpp"
#include "gateways/lwm2m/content_values.hpp"

namespace gatemq::gateway::lwm2m::detail {
namespace {

using nlohmann::json;

// A SenML record is a map inside the pack array; values of unknown labels may nest a little
// more. Anything deeper is hostile.
constexpr int kMaxDepth = 8;
constexpr int kRecordValueDepth = 2;  // pack array 0, record map 1, its values 2

enum class Major : std::uint8_t {
  Unsigned = 0,
  Negative = 1,
  Bytes = 2,
  Text = 3,
  Array = 4,
  Map = 5,
  Tag = 6,
  Simple = 7,  // also floats
};

// The initial byte and argument of one data item (RFC 8949 §3).
struct Head {
  Major major;
  std::uint8_t info;       // additional information: 25/26/27 say which float for Simple
  std::uint64_t argument;  // value, length or count; the raw bits for floats
};

double half_to_double(std::uint16_t half) {
  const int exponent = (half >> 10) & 0x1F;
  const int mantissa = half & 0x3FF;
  double value;
  if (exponent == 0) {
    value = std::ldexp(mantissa, -24);
  } else if (exponent != 31) {
    value = std::ldexp(mantissa + 1024, exponent - 25);
  } else {
    value = mantissa == 0 ? std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::quiet_NaN();
  }
  return (half & 0x8000) ? -value : value;
}

class CborReader {
 public:
  explicit CborReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool at_end() const { return offset_ == bytes_.size(); }
  std::size_t remaining() const { return bytes_.size() - offset_; }

  Result<Head> read_head() {
    if (at_end()) return fail("truncated item");
    const std::uint8_t initial = bytes_[offset_++];
    Head head{static_cast<Major>(initial >> 5), static_cast<std::uint8_t>(initial & 0x1F), 0};
    if (head.info < 24) {
      head.argument = head.info;
      return head;
    }
    if (head.info == 31) {
      return fail(head.major == Major::Simple ? "unexpected break"
                                              : "indefinite-length items are not supported");
    }
    if (head.info > 27) return fail("reserved additional information " + std::to_string(head.info));
    const std::size_t size = std::size_t{1} << (head.info - 24);  // 1, 2, 4 or 8 bytes
    if (remaining() < size) return fail("truncated item");
    for (std::size_t i = 0; i < size; ++i) head.argument = (head.argument << 8) | bytes_[offset_++];
    return head;
  }

  // The next `length` bytes (a string's content), checked against what is left.
  Result<std::span<const std::uint8_t>> read_bytes(std::uint64_t length) {
    if (length > remaining()) {
      return fail("string length " + std::to_string(length) + " exceeds the " +
                  std::to_string(remaining()) + " bytes left");
    }
    const auto out = bytes_.subspan(offset_, static_cast<std::size_t>(length));
    offset_ += out.size();
    return out;
  }

  // A container's count of items: each takes at least one byte, so a count above the bytes
  // left is a lie (and must not size anything).
  Result<std::size_t> check_count(std::uint64_t items_per_entry, std::uint64_t count) {
    if (count > remaining() / items_per_entry) {
      return fail("count " + std::to_string(count) + " exceeds the " + std::to_string(remaining()) +
                  " bytes left");
    }
    return static_cast<std::size_t>(count);
  }

  // Skips one complete item (the value of a label this decoder does not use).
  Result<bool> skip_item(int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    auto head = read_head();
    if (!head) return Error{head.error()};
    switch (head->major) {
      case Major::Unsigned:
      case Major::Negative:
      case Major::Simple:
        return true;
      case Major::Bytes:
      case Major::Text: {
        auto skipped = read_bytes(head->argument);
        if (!skipped) return Error{skipped.error()};
        return true;
      }
      case Major::Array:
      case Major::Map: {
        const std::uint64_t per_entry = head->major == Major::Map ? 2 : 1;
        auto count = check_count(per_entry, head->argument);
        if (!count) return Error{count.error()};
        for (std::size_t i = 0; i < *count * per_entry; ++i) {
          auto skipped = skip_item(depth + 1);
          if (!skipped) return skipped;
        }
        return true;
      }
      case Major::Tag:
        break;
    }
    return fail("tags are not supported");
  }

  // Errors name the byte offset, which is what one needs to read a hex dump.
  Error fail(const std::string& what) const {
    return Error{"CBOR: " + what + " at byte " + std::to_string(offset_)};
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

// A scalar item as JSON: integers, text (UTF-8 checked), floats, booleans; a byte string as
// JSON binary, which only "vd" turns into base64 (any other field then fails its type check).
Result<json> read_scalar(CborReader& reader) {
  auto head = reader.read_head();
  if (!head) return Error{head.error()};
  switch (head->major) {
    case Major::Unsigned:
      return json(head->argument);
    case Major::Negative:
      // -1 - argument; below -2^63 nothing in LwM2M fits.
      if (head->argument > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return reader.fail("negative integer out of range (signed 64-bit)");
      }
      return json(-1 - static_cast<std::int64_t>(head->argument));
    case Major::Bytes: {
      auto bytes = reader.read_bytes(head->argument);
      if (!bytes) return Error{bytes.error()};
      return json::binary(Bytes(bytes->begin(), bytes->end()));
    }
    case Major::Text: {
      auto text = reader.read_bytes(head->argument);
      if (!text) return Error{text.error()};
      if (!is_valid_utf8(*text)) return reader.fail("text string is not valid UTF-8");
      return json(std::string(as_text(*text)));
    }
    case Major::Array:
    case Major::Map:
      return reader.fail("nested arrays and maps are not SenML values");
    case Major::Tag:
      return reader.fail("tags are not supported");
    case Major::Simple:
      break;
  }
  double number = 0;
  switch (head->info) {
    case 20:
      return json(false);
    case 21:
      return json(true);
    case 25:
      number = half_to_double(static_cast<std::uint16_t>(head->argument));
      break;
    case 26:
      number = widen_float(std::bit_cast<float>(static_cast<std::uint32_t>(head->argument)));
      break;
    case 27:
      number = std::bit_cast<double>(head->argument);
      break;
    default:
      return reader.fail("unsupported simple value " + std::to_string(head->argument));
  }
  if (!std::isfinite(number)) return reader.fail("float is not finite (JSON cannot carry it)");
  return json(number);
}

// RFC 8428 Table 6 labels and their SenML JSON names; nullptr for labels this gateway ignores.
const char* field_name(std::int64_t label) {
  switch (label) {
    case -1:
      return "bver";
    case -2:
      return "bn";
    case -3:
      return "bt";
    case -4:
      return "bu";
    case -5:
      return "bv";
    case -6:
      return "bs";
    case 0:
      return "n";
    case 1:
      return "u";
    case 2:
      return "v";
    case 3:
      return "vs";
    case 4:
      return "vb";
    case 5:
      return "s";
    case 6:
      return "t";
    case 7:
      return "ut";
    case 8:
      return "vd";
    default:
      return nullptr;
  }
}

// The SenML JSON name of a map key, or nullptr when its value is to be skipped (unknown labels
// and text keys other than LwM2M's "vlo", like unknown fields in SenML JSON).
Result<const char*> read_key(CborReader& reader) {
  auto head = reader.read_head();
  if (!head) return Error{head.error()};
  switch (head->major) {
    case Major::Unsigned:
      return head->argument <= 8 ? field_name(static_cast<std::int64_t>(head->argument)) : nullptr;
    case Major::Negative:
      return head->argument < 6 ? field_name(-1 - static_cast<std::int64_t>(head->argument))
                                : nullptr;
    case Major::Text: {
      auto text = reader.read_bytes(head->argument);
      if (!text) return Error{text.error()};
      return as_text(*text) == "vlo" ? "vlo" : nullptr;
    }
    default:
      return reader.fail("a record key must be an integer label or a text string");
  }
}

// One record map as the JSON object SenML JSON would have had.
Result<json> read_record(CborReader& reader) {
  auto head = reader.read_head();
  if (!head) return Error{head.error()};
  if (head->major != Major::Map) return reader.fail("a record must be a map");
  auto pairs = reader.check_count(2, head->argument);
  if (!pairs) return Error{pairs.error()};
  json record = json::object();
  for (std::size_t i = 0; i < *pairs; ++i) {
    auto key = read_key(reader);
    if (!key) return Error{key.error()};
    if (*key == nullptr) {
      auto skipped = reader.skip_item(kRecordValueDepth);
      if (!skipped) return Error{skipped.error()};
      continue;
    }
    auto value = read_scalar(reader);
    if (!value) return Error{value.error()};
    if (record.contains(*key)) return reader.fail(std::string("'") + *key + "' appears twice");
    if (std::strcmp(*key, "vd") == 0) {
      // Opaque data is a byte string in CBOR (base64 text only in SenML JSON).
      if (!value->is_binary()) return reader.fail("'vd' must be a byte string");
      *value = base64_encode(value->get_binary());
    }
    record[*key] = std::move(value).value();
  }
  return record;
}

}  // namespace

Result<std::vector<Content>> decode_senml_cbor(std::span<const std::uint8_t> payload,
                                               const Path& request_path, const TypeLookup& lookup) {
  CborReader reader(payload);
  auto head = reader.read_head();
  if (!head) return Error{head.error()};
  if (head->major != Major::Array) return Error{"SenML CBOR payload must be an array"};
  auto count = reader.check_count(1, head->argument);
  if (!count) return Error{count.error()};
  json records = json::array();
  for (std::size_t i = 0; i < *count; ++i) {
    auto record = read_record(reader);
    if (!record) return Error{"record " + std::to_string(i) + ": " + record.error()};
    records.push_back(std::move(record).value());
  }
  if (!reader.at_end()) return reader.fail("trailing bytes after the SenML pack");
  return decode_senml_records(records, request_path, lookup);
}

// ---- Encoding ---------------------------------------------------------------------------------
namespace {

// The RFC 8428 labels the encoder writes.
constexpr std::int64_t kBaseNameLabel = -2;
constexpr std::int64_t kNameLabel = 0;
constexpr std::int64_t kValueLabel = 2;
constexpr std::int64_t kStringValueLabel = 3;
constexpr std::int64_t kBooleanValueLabel = 4;
constexpr std::int64_t kDataValueLabel = 8;

class CborWriter {
 public:
  void head(Major major, std::uint64_t argument) {
    const auto initial = static_cast<std::uint8_t>(static_cast<unsigned>(major) << 5);
    if (argument < 24) {
      bytes_.push_back(static_cast<std::uint8_t>(initial | argument));
      return;
    }
    int size_log2 = 3;  // the shortest of 1, 2, 4 or 8 argument bytes (RFC 8949 §4.2.1)
    if (argument <= 0xFF) {
      size_log2 = 0;
    } else if (argument <= 0xFFFF) {
      size_log2 = 1;
    } else if (argument <= 0xFFFFFFFF) {
      size_log2 = 2;
    }
    bytes_.push_back(static_cast<std::uint8_t>(initial | (24 + size_log2)));
    for (int shift = (8 << size_log2) - 8; shift >= 0; shift -= 8) {
      bytes_.push_back(static_cast<std::uint8_t>(argument >> shift));
    }
  }
  void integer(std::int64_t value) {
    // -1 - value cannot overflow for a negative value.
    value >= 0 ? head(Major::Unsigned, static_cast<std::uint64_t>(value))
               : head(Major::Negative, static_cast<std::uint64_t>(-1 - value));
  }
  void text(std::string_view value) {
    head(Major::Text, value.size());
    bytes_.insert(bytes_.end(), value.begin(), value.end());
  }
  void data(std::span<const std::uint8_t> value) {
    head(Major::Bytes, value.size());
    bytes_.insert(bytes_.end(), value.begin(), value.end());
  }
  void number(double value) {  // always a double: exact, and simple
    bytes_.push_back(0xFB);
    const auto bits = std::bit_cast<std::uint64_t>(value);
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes_.push_back(static_cast<std::uint8_t>(bits >> shift));
    }
  }
  void boolean(bool value) { bytes_.push_back(value ? 0xF5 : 0xF4); }
  Bytes take() { return std::move(bytes_); }

 private:
  Bytes bytes_;
};

// The value label and value of one record. `value` is canonical for `type`.
void write_value(CborWriter& out, ResourceType type, const json& value) {
  switch (type) {
    case ResourceType::Integer:
    case ResourceType::Time:
      out.integer(kValueLabel);
      out.integer(value.get<std::int64_t>());
      return;
    case ResourceType::UnsignedInteger:
      out.integer(kValueLabel);
      out.head(Major::Unsigned, value.get<std::uint64_t>());
      return;
    case ResourceType::Float:
      out.integer(kValueLabel);
      out.number(value.get<double>());
      return;
    case ResourceType::Boolean:
      out.integer(kBooleanValueLabel);
      out.boolean(value.get<bool>());
      return;
    case ResourceType::String:
    case ResourceType::CoreLink:
      out.integer(kStringValueLabel);
      out.text(value.get_ref<const std::string&>());
      return;
    case ResourceType::Opaque:
      out.integer(kDataValueLabel);
      out.data(base64_decode(value.get_ref<const std::string&>()).value_or(Bytes{}));
      return;
    case ResourceType::ObjectLink:
      out.text("vlo");
      out.text(value.get_ref<const std::string&>());
      return;
    case ResourceType::None:
      break;  // refused by canonical_value
  }
}

Result<Payload> encode_senml_cbor_unchecked(const Path& base, std::span<const BatchItem> items) {
  auto leaves = batch_leaves(base, items);
  if (!leaves) return Error{leaves.error()};
  // The base path is the first record's base name; names are relative to it.
  const std::string base_name = base.is_root() ? "/" : base.to_string() + "/";
  CborWriter out;
  out.head(Major::Array, leaves->size());
  bool first = true;
  for (const auto& [path, typed] : *leaves) {
    out.head(Major::Map, first ? 3 : 2);
    if (first) {
      out.integer(kBaseNameLabel);
      out.text(base_name);
      first = false;
    }
    out.integer(kNameLabel);
    out.text(path.to_string().substr(base_name.size()));
    write_value(out, typed.type, typed.value);
  }
  return Payload{content_format::kSenmlCbor, out.take()};
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m::detail

namespace gatemq::gateway::lwm2m {

Result<Payload> encode_batch_senml_cbor(const Path& base, std::span<const BatchItem> items) {
  try {
    return detail::encode_senml_cbor_unchecked(base, items);
  } catch (const std::exception& error) {
    return Error{std::string("cannot encode batch: ") + error.what()};
  }
}

}  // namespace gatemq::gateway::lwm2m
