#include "core/broker/workers.hpp"

namespace gatemq::broker {

Workers::Workers(unsigned count) {
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) {
    contexts_.push_back(std::make_unique<Context>(1));
    guards_.emplace_back(asio::make_work_guard(*contexts_.back()));
  }
}

Workers::~Workers() {
  stop();
  join();
  // A handler left on one context may own an object with timers or sockets on another (a
  // listener's handshake step runs on the connection's worker). Destroying every context's pending
  // handlers first, while all services still exist, keeps those objects' destructors safe.
  for (auto& context : contexts_) context->shutdown();
}

asio::io_context& Workers::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void Workers::start() {
  for (auto& context : contexts_) {
    threads_.emplace_back([&context] { context->run(); });
  }
}

void Workers::stop() {
  guards_.clear();
  for (auto& context : contexts_) context->stop();
}

void Workers::join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace gatemq::broker
