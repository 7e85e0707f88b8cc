#include "management/pagination.hpp"

#include <charconv>

namespace gatemq::management {

namespace {
std::uint64_t positive(const std::string& name, const std::string& text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0) {
    throw ApiError(400, ErrorCode::ParameterType,
                   name + " must be a positive integer, not '" + text + "'");
  }
  return value;
}
}  // namespace

const std::string* query_value(const QueryParams& query, const std::string& name) {
  const auto found = query.find(name);
  return found == query.end() ? nullptr : &found->second;
}

PageRequest parse_page(const QueryParams& query, std::uint64_t max_limit) {
  PageRequest request;
  request.limit = max_limit;
  for (const char* name : {"_page", "curr_page"}) {
    if (const auto* value = query_value(query, name)) request.page = positive(name, *value);
  }
  for (const char* name : {"_limit", "page_size"}) {
    if (const auto* value = query_value(query, name)) {
      request.limit = std::min(positive(name, *value), max_limit);
    }
  }
  return request;
}

}  // namespace gatemq::management
