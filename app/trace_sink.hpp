// `gatemq ctl trace` / `/api/v4/trace`: copies the log lines that mention a client id or a topic
// into a file of their own, as emqx_ctl's trace does. It is one more sink of the default logger,
// installed at start-up, so starting and stopping a trace never touches the logger's sink list
// while other threads log; like emqx's, it sees only what the log level lets through.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "management/api.hpp"

namespace gatemq::app {

class TraceSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Replaces a trace of the same kind and name. Throws std::invalid_argument for a kind other
  // than client or topic, or an unknown level; std::runtime_error when the file cannot be opened.
  void start(const management::TraceView& trace);
  bool stop(const std::string& kind, const std::string& name);
  std::vector<management::TraceView> list();

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override;

 private:
  struct Trace {
    management::TraceView view;
    spdlog::level::level_enum level;
    std::unique_ptr<spdlog::sinks::basic_file_sink_st> file;
  };
  std::vector<Trace> traces_;  // guarded by base_sink's mutex_
};

}  // namespace gatemq::app
