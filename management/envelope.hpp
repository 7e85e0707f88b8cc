// The REST API's response shapes: the seed's envelope {"code":0,"data":...,"meta":{...}} and its
// error codes. Pure values, no HTTP: the server turns a Response into bytes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gatemq::management {

using Json = nlohmann::ordered_json;

// The seed's error codes (REST API chapter, "Error Code").
enum class ErrorCode : int {
  Ok = 0,
  BadRpc = 101,  // no such node
  Unknown = 102,
  BadCredentials = 103,
  EmptyCredentials = 104,
  MissingParameter = 107,
  ParameterType = 108,
  NotJson = 109,
  PluginLoaded = 110,    // "plugin has been loaded": load of a loaded plugin
  PluginUnloaded = 111,  // "plugin has been unloaded": unload of a plugin not loaded
  NotOnline = 112,       // "user is not online": no such client
};

struct Response {
  int status = 200;
  Json body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What a handler throws to answer with an error; the router turns it into a Response.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, ErrorCode code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(code) {}
  int status() const { return status_; }
  ErrorCode code() const { return code_; }

 private:
  int status_;
  ErrorCode code_;
};

// One page of a list: which page, how many per page, how many items there are in all.
struct PageMeta {
  std::uint64_t page = 1;
  std::uint64_t limit = 0;
  std::uint64_t count = 0;
};

// {"code":0,"data":data}
Response ok(Json data = Json::object());
// {"code":0,"data":[...],"meta":{"page":..,"limit":..,"count":..}}
Response ok_page(Json items, const PageMeta& meta);
// {"code":N,"message":"..."} with the given HTTP status.
Response error(int status, ErrorCode code, const std::string& message);
Response error(const ApiError& e);

}  // namespace gatemq::management
