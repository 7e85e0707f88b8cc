#include "core/broker/delayed_publisher.hpp"

#include <asio/post.hpp>
#include <vector>

#include "core/router/topic.hpp"

namespace gatemq::broker {

DelayedPublisher::DelayedPublisher(asio::io_context& context, DelayedLimits limits, Publish publish)
    : limits_(limits),
      publish_(std::move(publish)),
      timer_(std::make_unique<asio::steady_timer>(context)) {}

DelayedPublisher::Outcome DelayedPublisher::hold(const MessagePtr& message) {
  const auto delayed = router::parse_delayed(message->topic);
  if (!delayed) return Outcome::Malformed;
  if (std::chrono::seconds(delayed->seconds) > limits_.max_delay) return Outcome::DelayTooLong;
  auto inner = std::make_shared<Message>(*message);
  inner->topic = std::string(delayed->topic);
  const auto due = Clock::now() + std::chrono::seconds(delayed->seconds);
  std::lock_guard lock(mutex_);
  if (!timer_) return Outcome::Full;  // shutting down
  if (limits_.max_pending != 0 && pending_.size() >= limits_.max_pending) return Outcome::Full;
  pending_.emplace(due, std::move(inner));
  // The timer belongs to the housekeeping thread: re-arm it there.
  if (!armed_for_ || due < *armed_for_) {
    armed_for_ = due;
    asio::post(timer_->get_executor(), [this] {
      std::lock_guard relock(mutex_);
      arm_locked();
    });
  }
  return Outcome::Accepted;
}

std::size_t DelayedPublisher::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void DelayedPublisher::stop() {
  std::lock_guard lock(mutex_);
  pending_.clear();
  armed_for_.reset();
  timer_.reset();
}

void DelayedPublisher::arm_locked() {
  if (!timer_) return;
  if (pending_.empty()) {
    armed_for_.reset();
    return;
  }
  armed_for_ = pending_.begin()->first;
  timer_->expires_at(*armed_for_);
  timer_->async_wait([this](const std::error_code& error) {
    if (!error) on_timer();
  });
}

void DelayedPublisher::on_timer() {
  std::vector<MessagePtr> due;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    while (!pending_.empty() && pending_.begin()->first <= now) {
      due.push_back(std::move(pending_.begin()->second));
      pending_.erase(pending_.begin());
    }
    arm_locked();
  }
  for (const auto& message : due) publish_(message);
}

}  // namespace gatemq::broker
