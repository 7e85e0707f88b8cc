// Path routing of the REST API, independent of the HTTP library: every resource lives under
// /api/v4/, with the seed's /api/v2/ and /api/v3/ accepted as aliases. Patterns name their
// parameters in braces ("/clients/{clientid}"); "{topic...}" takes the rest of the path, slashes
// included. Unknown paths answer 404 and known paths with another method 405, in the envelope.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/percent_encoding.hpp"
#include "management/envelope.hpp"
#include "management/pagination.hpp"

namespace gatemq::management {

struct Request {
  std::string method;
  std::string path;                           // after the /api/vN prefix, e.g. "/clients/c1"
  std::map<std::string, std::string> params;  // from the pattern, percent-decoded
  QueryParams query;
  std::string body;

  const std::string& param(const std::string& name) const { return params.at(name); }
  // The body as JSON; throws ApiError 400/109 when it is not JSON.
  Json json_body() const;
};

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;  // without the prefix: "/clients/{clientid}"
    std::string summary;  // one line for docs/management.md
  };

  void add(std::string method, std::string pattern, std::string summary, Handler handler);
  const std::vector<Route>& routes() const { return routes_; }

  // Answers one request. `target` is the raw request target (path and query, still
  // percent-encoded). Exceptions from handlers become error responses.
  Response dispatch(const std::string& method, std::string_view target, std::string body) const;

 private:
  std::vector<Route> routes_;
  std::vector<Handler> handlers_;
};

// "/api/v4/clients" -> "/clients"; nullopt when the prefix is not /api/v2, v3 or v4.
std::optional<std::string_view> strip_api_prefix(std::string_view path);
using net::percent_decode;
QueryParams parse_query(std::string_view query);

}  // namespace gatemq::management
