// A value a gateway may swap at run time (hot reload) while I/O threads read it: replaced whole,
// so a reader always holds one consistent version for as long as it keeps the pointer.
#pragma once

#include <atomic>
#include <memory>
#include <utility>

namespace gatemq::gateway {

template <class T>
class LiveValue {
 public:
  explicit LiveValue(T value) : current_(std::make_shared<const T>(std::move(value))) {}
  explicit LiveValue(std::shared_ptr<const T> value) : current_(std::move(value)) {}

  std::shared_ptr<const T> get() const { return current_.load(); }
  void set(T value) { current_.store(std::make_shared<const T>(std::move(value))); }
  void set(std::shared_ptr<const T> value) { current_.store(std::move(value)); }

 private:
  std::atomic<std::shared_ptr<const T>> current_;
};

}  // namespace gatemq::gateway
