// The management REST API's HTTP/1.1 server (cpp-httplib). httplib serves each connection on a
// thread of its own pool and blocks, so it never runs on the broker's I/O workers: it has its own
// accept thread and handlers reach the broker only through its thread-safe calls.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "core/config/settings.hpp"
#include "management/api.hpp"
#include "management/basic_auth.hpp"
#include "management/router.hpp"

namespace httplib {
class Server;
}

namespace gatemq::management {

class HttpServer {
 public:
  HttpServer(const config::ManagementSettings& settings, ApiContext context);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds management.listener.http and starts serving; throws std::runtime_error naming the
  // address when the port cannot be bound.
  void start();
  // Stops accepting; returns at once (the serving thread ends by itself, joined later).
  void stop();
  std::string description() const;  // "http:management on 0.0.0.0:8080"
  const Router& router() const { return router_; }

 private:
  void handle(const std::string& method, const std::string& target,
              std::optional<std::string_view> authorization, std::string body, int& status,
              std::string& content, std::vector<std::pair<std::string, std::string>>& headers);

  config::ManagementSettings settings_;
  ApiContext context_;
  Router router_;
  Credentials credentials_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace gatemq::management
