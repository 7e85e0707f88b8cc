#include "management/envelope.hpp"

namespace gatemq::management {

Response ok(Json data) {
  Json body = Json::object();
  body["code"] = 0;
  body["data"] = std::move(data);
  return Response{200, std::move(body), {}};
}

Response ok_page(Json items, const PageMeta& meta) {
  Json body = Json::object();
  body["code"] = 0;
  body["data"] = std::move(items);
  body["meta"] = Json{{"page", meta.page}, {"limit", meta.limit}, {"count", meta.count}};
  return Response{200, std::move(body), {}};
}

Response error(int status, ErrorCode code, const std::string& message) {
  Json body = Json::object();
  body["code"] = static_cast<int>(code);
  body["message"] = message;
  return Response{status, std::move(body), {}};
}

Response error(const ApiError& e) {
  return error(e.status(), e.code(), e.what());
}

}  // namespace gatemq::management
