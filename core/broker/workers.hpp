// The broker's I/O threads: one io_context per thread, connections spread round-robin.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace gatemq::broker {

class Workers {
  // An io_context whose pending handlers can be destroyed before any context is deleted.
  class Context : public asio::io_context {
   public:
    using asio::execution_context::shutdown;
    using asio::io_context::io_context;
  };

 public:
  explicit Workers(unsigned count);  // 0 = one per core
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& at(std::size_t index) { return *contexts_[index]; }
  // The context for the next new connection (round-robin).
  asio::io_context& next();
  // Runs housekeeping timers; the same thread also serves connections.
  asio::io_context& housekeeping() { return *contexts_.front(); }

  void start();
  void stop();  // asks every loop to finish; join() waits
  void join();

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace gatemq::broker
