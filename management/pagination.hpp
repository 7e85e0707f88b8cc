// Pagination of list endpoints: `_page` (from 1) and `_limit` query parameters, as EMQX's
// management API spells them, with the seed's `curr_page`/`page_size` accepted too.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "management/envelope.hpp"

namespace gatemq::management {

using QueryParams = std::multimap<std::string, std::string>;

struct PageRequest {
  std::uint64_t page = 1;
  std::uint64_t limit = 10000;
};

// Throws ApiError 400/108 for a value that is not a positive integer. A `_limit` above
// `max_limit` (management.max_row_limit) is capped to it.
PageRequest parse_page(const QueryParams& query, std::uint64_t max_limit);

// The items of one page, and the envelope's meta for it.
template <class T>
std::vector<T> page_of(std::vector<T> items, const PageRequest& request, PageMeta& meta) {
  meta = PageMeta{request.page, request.limit, items.size()};
  const auto first = (request.page - 1) * request.limit;
  if (first >= items.size()) return {};
  const auto last = std::min<std::uint64_t>(items.size(), first + request.limit);
  return std::vector<T>(std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(first)),
                        std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(last)));
}

// The value of a query parameter, if given.
const std::string* query_value(const QueryParams& query, const std::string& name);

}  // namespace gatemq::management
