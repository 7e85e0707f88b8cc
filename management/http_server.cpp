#include "management/http_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

namespace gatemq::management {

namespace {
// Idle keep-alive connections hold a pool thread; a short timeout also bounds how long a stop
// waits for them.
constexpr time_t kKeepAliveSeconds = 2;
// A batch of publishes can be large, but not unbounded.
constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;
}  // namespace

HttpServer::HttpServer(const config::ManagementSettings& settings, ApiContext context)
    : settings_(settings),
      context_(std::move(context)),
      credentials_{settings.app_id, settings.app_secret},
      server_(std::make_unique<httplib::Server>()) {
  context_.max_row_limit = settings_.max_row_limit;
  register_api(router_, context_);
  auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    // get_header_value returns a copy: keep it alive while the view is used.
    const auto header = request.get_header_value("Authorization");
    std::optional<std::string_view> authorization;
    if (request.has_header("Authorization")) authorization = header;
    std::vector<std::pair<std::string, std::string>> headers;
    int status = 200;
    std::string content;
    handle(request.method, request.target, authorization, request.body, status, content, headers);
    response.status = status;
    for (auto& [name, value] : headers) response.set_header(name, value);
    response.set_content(content, "application/json");
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  server_->Options(".*", handler);
  // Errors httplib answers itself (a body over the limit, an unparsable request line) get the
  // envelope too; answers our handler already wrote keep theirs.
  const httplib::Server::HandlerWithResponse error_handler = [](const httplib::Request&,
                                                                httplib::Response& response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const auto reason = response.status == 413
                            ? "request body over " + std::to_string(kMaxBodyBytes) + " bytes"
                            : "bad request (HTTP " + std::to_string(response.status) + ")";
    response.set_content(error(response.status, ErrorCode::Unknown, reason).body.dump(),
                         "application/json");
    return httplib::Server::HandlerResponse::Handled;
  };
  server_->set_error_handler(error_handler);
  server_->set_keep_alive_timeout(kKeepAliveSeconds);
  server_->set_payload_max_length(kMaxBodyBytes);
}

HttpServer::~HttpServer() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::handle(const std::string& method, const std::string& target,
                        std::optional<std::string_view> authorization, std::string body,
                        int& status, std::string& content,
                        std::vector<std::pair<std::string, std::string>>& headers) {
  auto response = check_basic_auth(authorization, credentials_).value_or(Response{0, {}, {}});
  if (response.status == 0) response = router_.dispatch(method, target, std::move(body));
  spdlog::debug("management API: {} {} -> {}", method, target, response.status);
  status = response.status;
  // Client ids and paths come from the network and need not be UTF-8: replace, never throw.
  content = response.body.dump(-1, ' ', false, Json::error_handler_t::replace);
  headers = std::move(response.headers);
}

void HttpServer::start() {
  if (!server_->bind_to_port(settings_.address, settings_.port)) {
    throw std::runtime_error("management.listener.http: cannot bind " + settings_.address + ":" +
                             std::to_string(settings_.port));
  }
  thread_ = std::thread([this] {
    if (!server_->listen_after_bind()) spdlog::error("management API stopped unexpectedly");
    listen_returned_ = true;
  });
  // httplib's stop() does nothing until the server runs: wait for that, so a stop right after
  // start cannot be lost (and leave join() waiting forever).
  while (!server_->is_running() && !listen_returned_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpServer::stop() {
  server_->stop();
}

std::string HttpServer::description() const {
  return "http:management on " + settings_.address + ":" + std::to_string(settings_.port);
}

}  // namespace gatemq::management
