#include "management/router.hpp"

#include <spdlog/spdlog.h>

namespace gatemq::management {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return segments;
}

// How well `path` fits `pattern`: nullopt when it does not, else the number of literal segments
// (more literals win, so "/clients/username/{u}" beats a parameter in the same place).
std::optional<int> match(std::string_view pattern, const std::vector<std::string_view>& segments,
                         std::string_view raw_path, std::map<std::string, std::string>& params) {
  const auto parts = split_path(pattern);
  int literals = 0;
  std::size_t i = 0;
  for (; i < parts.size(); ++i) {
    const auto part = parts[i];
    const bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    if (is_param && part.ends_with("...}")) {
      if (i >= segments.size()) return std::nullopt;
      // The rest of the raw path from this segment on, so "t/+/x" survives as one topic.
      const auto offset = static_cast<std::size_t>(segments[i].data() - raw_path.data());
      auto decoded = percent_decode(raw_path.substr(offset));
      if (!decoded) return std::nullopt;
      params[std::string(part.substr(1, part.size() - 5))] = std::move(*decoded);
      return literals;
    }
    if (i >= segments.size()) return std::nullopt;
    if (is_param) {
      auto decoded = percent_decode(segments[i]);
      if (!decoded) return std::nullopt;
      params[std::string(part.substr(1, part.size() - 2))] = std::move(*decoded);
    } else if (part == segments[i]) {
      ++literals;
    } else {
      return std::nullopt;
    }
  }
  if (i != segments.size()) return std::nullopt;
  return literals;
}

}  // namespace

std::optional<std::string_view> strip_api_prefix(std::string_view path) {
  for (std::string_view prefix : {"/api/v4", "/api/v3", "/api/v2"}) {
    if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return path.substr(prefix.size());
    }
  }
  return std::nullopt;
}

QueryParams parse_query(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                                : percent_decode(pair.substr(eq + 1), true);
      if (!key || !value) {
        throw ApiError(400, ErrorCode::ParameterType, "bad percent-encoding in the query");
      }
      params.emplace(std::move(*key), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return params;
}

Json Request::json_body() const {
  try {
    return Json::parse(body);
  } catch (const Json::parse_error&) {
    throw ApiError(400, ErrorCode::NotJson, "request body is not JSON");
  }
}

void Router::add(std::string method, std::string pattern, std::string summary, Handler handler) {
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(summary)});
  handlers_.push_back(std::move(handler));
}

Response Router::dispatch(const std::string& method, std::string_view target,
                          std::string body) const {
  try {
    const auto question = target.find('?');
    const auto raw_path = target.substr(0, question);
    const auto query =
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    const auto path = strip_api_prefix(raw_path);
    if (!path) {
      return error(404, ErrorCode::Unknown, "not found: " + std::string(raw_path));
    }
    const auto segments = split_path(*path);
    std::optional<std::size_t> best;
    int best_score = -1;
    std::map<std::string, std::string> best_params;
    std::string allowed;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      std::map<std::string, std::string> params;
      const auto score = match(routes_[i].pattern, segments, *path, params);
      if (!score) continue;
      if (routes_[i].method != method) {
        if (allowed.find(routes_[i].method) == std::string::npos) {
          allowed += (allowed.empty() ? "" : ", ") + routes_[i].method;
        }
        continue;
      }
      if (*score > best_score) {
        best = i;
        best_score = *score;
        best_params = std::move(params);
      }
    }
    if (!best) {
      if (allowed.empty()) {
        return error(404, ErrorCode::Unknown, "not found: " + std::string(raw_path));
      }
      auto response = error(405, ErrorCode::Unknown,
                            "method " + method + " not allowed on " + std::string(raw_path));
      response.headers.emplace_back("Allow", allowed);
      return response;
    }
    Request request{method, std::string(*path), std::move(best_params), parse_query(query),
                    std::move(body)};
    return handlers_[*best](request);
  } catch (const ApiError& e) {
    return error(e);
  } catch (const std::exception& e) {
    spdlog::error("management API: {} {}: {}", method, target, e.what());
    return error(500, ErrorCode::Unknown, e.what());
  }
}

}  // namespace gatemq::management
