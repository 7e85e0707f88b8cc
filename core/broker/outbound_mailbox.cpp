#include "core/broker/outbound_mailbox.hpp"

#include <algorithm>

namespace gatemq::broker {

namespace {
// Per-packet framing, packet id and length bytes beyond topic and payload, roughly.
constexpr std::size_t kPacketOverhead = 16;

// This thread's open PublishCongestion scope, if any, and its list.
thread_local bool scope_open = false;
thread_local std::vector<PublishCongestion::Entry> congested;
}  // namespace

BacklogLimits BacklogLimits::for_buffer(std::size_t max_buffer,
                                        std::chrono::milliseconds max_hold) {
  // Hold publishers back well before anything is dropped, and let them go again early enough
  // that the subscriber's socket never runs dry while they refill.
  const std::size_t hold = std::clamp<std::size_t>(max_buffer / 8, 16 * 1024, 1024 * 1024);
  return BacklogLimits{std::min(hold, max_buffer), std::min(hold, max_buffer) / 2, max_buffer,
                       max_hold};
}

const BacklogLimits& BacklogLimits::defaults() {
  static const BacklogLimits limits = for_buffer(8 * 1024 * 1024, std::chrono::milliseconds(100));
  return limits;
}

OutboundMailbox::~OutboundMailbox() {
  // Publishers waiting for this connection go on reading: it will not drain any more.
  std::vector<Waiter> woken;
  {
    std::lock_guard lock(mutex_);
    woken.swap(waiters_);
  }
  for (auto& waiter : woken) waiter.wake();
}

std::size_t OutboundMailbox::accounted_size(const Outbound& item) {
  if (const auto* publish = std::get_if<OutboundPublish>(&item)) {
    const auto& message = publish->delivery.message;
    if (message) return message->topic.size() + message->payload.size() + kPacketOverhead;
  }
  return kPacketOverhead;
}

bool OutboundMailbox::push(Outbound item, const std::weak_ptr<void>& owner) {
  const std::size_t size = accounted_size(item);
  const auto* publish = std::get_if<OutboundPublish>(&item);
  const bool qos0 = publish && publish->packet_id == 0;
  bool report = false;
  bool dropped = false;
  bool drain_needed = false;
  {
    std::lock_guard lock(mutex_);
    if (qos0 && backlog_bytes_ + size > limits_.drop_qos0_above) {
      dropped = true;
    } else {
      items_.push_back(std::move(item));
      queued_bytes_ += size;
      backlog_bytes_ += size;
      drain_needed = !drain_scheduled_;
      drain_scheduled_ = true;
    }
    report = backlog_bytes_ > limits_.hold_publishers_above && should_hold_locked();
  }
  if (dropped) {
    metrics_.add(Metric::MessagesDroppedSlowSubscriber);
    metrics_.message_dropped(0);
  }
  if (report) PublishCongestion::report(*this, owner);
  return drain_needed;
}

OutboundMailbox::Batch OutboundMailbox::take() {
  Batch batch;
  std::lock_guard lock(mutex_);
  batch.items.swap(items_);
  batch.bytes = queued_bytes_;
  queued_bytes_ = 0;
  drain_scheduled_ = false;
  // Keep about what the last burst needed, so a steady stream does not regrow the vector on
  // every drain, but do not keep a huge one after a spike.
  if (batch.items.capacity() <= 1024) items_.reserve(batch.items.size());
  return batch;
}

std::vector<Outbound> OutboundMailbox::take_and_release() {
  auto batch = take();
  release(batch.bytes);
  return std::move(batch.items);
}

bool OutboundMailbox::should_hold_locked() {
  if (limits_.max_hold.count() <= 0 || lagging_) return false;
  const auto now = std::chrono::steady_clock::now();
  if (!congested_) {
    congested_ = true;
    last_progress_ = now;
  }
  if (now - last_progress_ > limits_.max_hold) {
    lagging_ = true;  // it stopped reading: publishers no longer wait for it, shed instead
    return false;
  }
  return true;
}

void OutboundMailbox::check_caught_up_locked(std::vector<Waiter>& woken) {
  if (backlog_bytes_ >= limits_.resume_publishers_below || session_queue_filling_) return;
  congested_ = false;
  lagging_ = false;
  if (waiters_.empty()) return;
  woken.swap(waiters_);
}

void OutboundMailbox::release(std::size_t bytes) {
  if (bytes == 0) return;
  std::vector<Waiter> woken;
  {
    std::lock_guard lock(mutex_);
    backlog_bytes_ -= std::min(bytes, backlog_bytes_);
    if (congested_) last_progress_ = std::chrono::steady_clock::now();
    check_caught_up_locked(woken);
  }
  for (auto& waiter : woken) waiter.wake();
}

void OutboundMailbox::session_queue_filling(const std::weak_ptr<void>& owner) {
  bool report = false;
  {
    std::lock_guard lock(mutex_);
    session_queue_filling_ = true;
    report = should_hold_locked();
  }
  if (report) PublishCongestion::report(*this, owner);
}

void OutboundMailbox::session_queue_drained() {
  std::vector<Waiter> woken;
  {
    std::lock_guard lock(mutex_);
    session_queue_filling_ = false;
    check_caught_up_locked(woken);
  }
  for (auto& waiter : woken) waiter.wake();
}

bool OutboundMailbox::wait_for_drain(const void* waiter, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  if (lagging_) return false;
  if (backlog_bytes_ < limits_.resume_publishers_below && !session_queue_filling_) return false;
  const auto earlier = std::ranges::find(waiters_, waiter, &Waiter::key);
  if (earlier != waiters_.end()) {
    earlier->wake = std::move(wake);
  } else {
    waiters_.push_back({waiter, std::move(wake)});
  }
  return true;
}

std::size_t OutboundMailbox::backlog_bytes() const {
  std::lock_guard lock(mutex_);
  return backlog_bytes_;
}

PublishCongestion::Scope::Scope() : was_open_(scope_open) {
  // Nested scopes (a publish that publishes, such as a will on takeover) share the outer list.
  if (!was_open_) congested.clear();
  scope_open = true;
}

PublishCongestion::Scope::~Scope() {
  scope_open = was_open_;
  // The weak references would keep the connections' memory (make_shared) until the next scope.
  if (!was_open_) congested.clear();
}

std::vector<PublishCongestion::Entry>& PublishCongestion::Scope::entries() {
  return congested;
}

bool PublishCongestion::reported() {
  return scope_open && !congested.empty();
}

void PublishCongestion::report(OutboundMailbox& mailbox, const std::weak_ptr<void>& owner) {
  if (!scope_open) return;
  // A batch of input usually floods one subscriber: most reports repeat the last entry.
  for (const auto& entry : congested) {
    if (entry.mailbox == &mailbox) return;
  }
  congested.push_back({owner, &mailbox});
}

}  // namespace gatemq::broker
