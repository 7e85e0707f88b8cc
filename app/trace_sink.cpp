#include "app/trace_sink.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "app/logging.hpp"

namespace gatemq::app {

void TraceSink::start(const management::TraceView& trace) {
  if (trace.kind != "client" && trace.kind != "topic") {
    throw std::invalid_argument("a trace is of a client or a topic, not '" + trace.kind + "'");
  }
  if (trace.name.empty()) throw std::invalid_argument("a trace needs a client id or topic");
  const auto level = log_level_named(trace.level);
  std::unique_ptr<spdlog::sinks::basic_file_sink_st> file;
  try {
    file = std::make_unique<spdlog::sinks::basic_file_sink_st>(trace.file);
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("cannot open " + trace.file + ": " + e.what());
  }
  file->set_pattern(kLogPattern);
  std::lock_guard lock(mutex_);
  std::erase_if(traces_, [&](const Trace& t) {
    return t.view.kind == trace.kind && t.view.name == trace.name;
  });
  traces_.push_back(Trace{trace, level, std::move(file)});
}

bool TraceSink::stop(const std::string& kind, const std::string& name) {
  std::lock_guard lock(mutex_);
  return std::erase_if(traces_, [&](const Trace& t) {
           return t.view.kind == kind && t.view.name == name;
         }) > 0;
}

std::vector<management::TraceView> TraceSink::list() {
  std::lock_guard lock(mutex_);
  std::vector<management::TraceView> views;
  for (const auto& trace : traces_) views.push_back(trace.view);
  return views;
}

void TraceSink::sink_it_(const spdlog::details::log_msg& message) {
  const std::string_view text(message.payload.data(), message.payload.size());
  for (auto& trace : traces_) {
    if (message.level < trace.level || text.find(trace.view.name) == std::string_view::npos) {
      continue;
    }
    trace.file->log(message);
    // Traces are read while the node runs, often with tail -f.
    trace.file->flush();
  }
}

void TraceSink::flush_() {
  for (auto& trace : traces_) trace.file->flush();
}

}  // namespace gatemq::app
