#include "core/broker/session.hpp"

#include <algorithm>
#include <iterator>

namespace gatemq::broker {

Session::Session(std::string client_id, SessionLimits limits)
    : client_id_(std::move(client_id)),
      limits_{limits.max_inflight, limits.upgrade_qos, limits.max_awaiting_rel,
              limits.await_rel_timeout},
      queue_(std::move(limits.queue)) {}

void Session::attach(std::shared_ptr<SessionSink> sink, std::uint16_t receive_maximum) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
  queue_filling_ = false;  // the new connection has not been told anything yet
  receive_maximum_ = receive_maximum == 0 ? 65535 : receive_maximum;
  // Resend what is unacknowledged, in the order it was first sent (spec 4.4), no more than the
  // new window holds (spec 4.9); the rest follows as acknowledgements come in.
  const auto now = std::chrono::steady_clock::now();
  const auto window = window_locked();
  std::size_t resent = 0;
  unsent_ = 0;
  for (auto& [sequence, entry] : inflight_) {
    entry.unsent = resent >= window;
    if (entry.unsent) {
      ++unsent_;
    } else {
      resend_locked(entry, now);
      ++resent;
    }
  }
  drain_queue_locked();
}

void Session::resend_locked(InflightEntry& entry, std::chrono::steady_clock::time_point now) {
  entry.sent_at = now;
  if (entry.state == InflightState::AwaitingPubcomp) {
    sink_->send(OutboundPubrel{entry.packet_id});
  } else {
    sink_->send(OutboundPublish{entry.delivery, entry.packet_id, /*dup=*/true});
  }
}

Session::RetryResult Session::retry_unacknowledged(std::chrono::steady_clock::time_point now,
                                                   std::chrono::milliseconds interval) {
  std::lock_guard lock(mutex_);
  RetryResult result;
  if (!sink_) return result;
  for (auto& [sequence, entry] : inflight_) {
    if (entry.unsent) continue;  // drain_queue_locked() sends it when the window opens
    if (now - entry.sent_at >= interval) {
      resend_locked(entry, now);
      ++result.resent;
    }
    // Resends move sent_at, so the earliest due entry is not necessarily the first in order.
    const auto due = entry.sent_at + interval;
    if (!result.next_due || due < *result.next_due) result.next_due = due;
  }
  return result;
}

bool Session::detach(const SessionSink* sink) {
  std::lock_guard lock(mutex_);
  if (sink_.get() != sink) return false;
  sink_.reset();
  // QoS 0 messages in flight are not kept across connections; QoS 1/2 stay for the resume.
  return true;
}

std::vector<Delivery> Session::take_shared_unacknowledged() {
  std::lock_guard lock(mutex_);
  std::vector<Delivery> taken;
  for (auto it = inflight_.begin(); it != inflight_.end();) {
    auto& entry = it->second;
    // Past PUBREC the client has the message: it stays here for PUBREL/PUBCOMP.
    if (entry.delivery.shared_group.empty() || entry.state == InflightState::AwaitingPubcomp) {
      ++it;
      continue;
    }
    if (entry.unsent) --unsent_;
    inflight_by_id_.erase(entry.packet_id);
    taken.push_back(std::move(entry.delivery));
    it = inflight_.erase(it);
  }
  auto queued = queue_.take_if(
      [](const Delivery& delivery) { return delivery.qos > 0 && !delivery.shared_group.empty(); });
  std::move(queued.begin(), queued.end(), std::back_inserter(taken));
  return taken;
}

std::shared_ptr<SessionSink> Session::sink() const {
  std::lock_guard lock(mutex_);
  return sink_;
}

std::size_t Session::window_locked() const {
  const std::size_t configured = limits_.max_inflight == 0 ? 65535 : limits_.max_inflight;
  return std::min<std::size_t>(configured, receive_maximum_);
}

std::uint16_t Session::allocate_packet_id_locked() {
  // The window is at most 65535 wide, so a free id always exists when this is called.
  while (true) {
    const std::uint16_t candidate = next_packet_id_;
    next_packet_id_ = next_packet_id_ == 65535 ? 1 : next_packet_id_ + 1;
    if (!inflight_by_id_.contains(candidate)) return candidate;
  }
}

void Session::deliver(Delivery delivery) {
  std::lock_guard lock(mutex_);
  if (sink_ && !sink_->accepts(delivery)) return;
  const bool window_open = delivery.qos == 0 || inflight_.size() < window_locked();
  if (sink_ && window_open && queue_.empty()) {
    send_now_locked(std::move(delivery));
    return;
  }
  queue_.push(std::move(delivery));
  if (!sink_) return;
  drain_queue_locked();
  note_queue_growth_locked();
}

namespace {
// Queue lengths at which a connected session holds its publishers back and lets them go again.
std::size_t queue_hold_level(std::size_t max_len) {
  return max_len == 0 ? 1000 : std::max<std::size_t>(1, max_len / 2);
}
}  // namespace

void Session::note_queue_growth_locked() {
  if (queue_.size() < queue_hold_level(queue_.max_len())) return;
  queue_filling_ = true;
  sink_->queue_filling();  // every time: each publisher on the way learns of it
}

void Session::note_queue_drain_locked() {
  if (!queue_filling_ || queue_.size() > queue_hold_level(queue_.max_len()) / 2) return;
  queue_filling_ = false;
  sink_->queue_drained();
}

void Session::send_now_locked(Delivery delivery) {
  if (delivery.qos == 0) {
    sink_->send(OutboundPublish{std::move(delivery), 0, false});
    return;
  }
  const std::uint16_t packet_id = allocate_packet_id_locked();
  const std::uint64_t sequence = next_sequence_++;
  const auto state =
      delivery.qos == 1 ? InflightState::AwaitingPuback : InflightState::AwaitingPubrec;
  inflight_by_id_.emplace(packet_id, sequence);
  auto& entry = inflight_
                    .emplace(sequence, InflightEntry{packet_id, state, std::move(delivery),
                                                     std::chrono::steady_clock::now()})
                    .first->second;
  sink_->send(OutboundPublish{entry.delivery, packet_id, false});
}

void Session::drain_queue_locked() {
  const auto now = Clock::now();
  // Held-back resends go first: they are older than anything queued.
  for (auto it = inflight_.begin(); sink_ && unsent_ > 0 && it != inflight_.end(); ++it) {
    if (!it->second.unsent) continue;
    if (inflight_.size() - unsent_ >= window_locked()) return;
    it->second.unsent = false;
    --unsent_;
    resend_locked(it->second, now);
  }
  if (unsent_ > 0) return;
  while (sink_ && !queue_.empty()) {
    Delivery next;
    if (!queue_.pop(next)) break;
    if (next.message->expired(now) || !sink_->accepts(next)) continue;
    if (next.qos > 0 && inflight_.size() >= window_locked()) {
      // Window full: this one waits at the head. Re-queueing keeps its lane's order because the
      // lane it came from is the highest non-empty one.
      queue_.push_front(std::move(next));
      break;
    }
    send_now_locked(std::move(next));
  }
  if (sink_) note_queue_drain_locked();
}

bool Session::remove_inflight_locked(std::uint16_t packet_id, InflightState expected) {
  auto by_id = inflight_by_id_.find(packet_id);
  if (by_id == inflight_by_id_.end()) return false;
  auto entry = inflight_.find(by_id->second);
  if (entry == inflight_.end() || entry->second.state != expected) return false;
  if (entry->second.unsent) --unsent_;
  inflight_.erase(entry);
  inflight_by_id_.erase(by_id);
  return true;
}

bool Session::on_puback(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  if (!remove_inflight_locked(packet_id, InflightState::AwaitingPuback)) return false;
  drain_queue_locked();
  return true;
}

bool Session::on_pubrec(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  auto by_id = inflight_by_id_.find(packet_id);
  if (by_id == inflight_by_id_.end()) return false;
  auto& entry = inflight_.at(by_id->second);
  if (entry.state == InflightState::AwaitingPuback) return false;
  // A repeated PUBREC (after our PUBREL was lost) just gets the PUBREL again.
  entry.state = InflightState::AwaitingPubcomp;
  entry.sent_at = std::chrono::steady_clock::now();
  entry.delivery.message.reset();  // the payload is no longer needed
  if (sink_) sink_->send(OutboundPubrel{packet_id});
  return true;
}

bool Session::on_pubcomp(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  if (!remove_inflight_locked(packet_id, InflightState::AwaitingPubcomp)) return false;
  drain_queue_locked();
  return true;
}

void Session::on_delivery_refused(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  auto by_id = inflight_by_id_.find(packet_id);
  if (by_id == inflight_by_id_.end()) return;
  auto entry = inflight_.find(by_id->second);
  if (entry != inflight_.end() && entry->second.unsent) --unsent_;
  inflight_.erase(by_id->second);
  inflight_by_id_.erase(by_id);
  drain_queue_locked();
}

void Session::expire_awaiting_rel_locked(std::chrono::steady_clock::time_point now) {
  if (limits_.await_rel_timeout.count() <= 0) return;
  std::erase_if(awaiting_rel_,
                [&](const auto& item) { return now - item.second >= limits_.await_rel_timeout; });
}

Session::Qos2Receive Session::receive_qos2(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  if (awaiting_rel_.contains(packet_id)) return Qos2Receive::Duplicate;
  const auto now = Clock::now();
  if (limits_.max_awaiting_rel != 0 && awaiting_rel_.size() >= limits_.max_awaiting_rel) {
    expire_awaiting_rel_locked(now);
    if (awaiting_rel_.size() >= limits_.max_awaiting_rel) return Qos2Receive::Full;
  }
  awaiting_rel_.emplace(packet_id, now);
  return Qos2Receive::New;
}

bool Session::release_qos2(std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  return awaiting_rel_.erase(packet_id) > 0;
}

bool Session::add_subscription(const std::string& filter, SubscriptionRecord record) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = subscriptions_.insert_or_assign(filter, std::move(record));
  return inserted;
}

bool Session::remove_subscription(const std::string& filter) {
  std::lock_guard lock(mutex_);
  return subscriptions_.erase(filter) > 0;
}

std::map<std::string, SubscriptionRecord> Session::subscriptions() const {
  std::lock_guard lock(mutex_);
  return subscriptions_;
}

std::size_t Session::subscription_count() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

void Session::set_expiry_interval(std::uint32_t seconds) {
  std::lock_guard lock(mutex_);
  expiry_interval_ = seconds;
}

std::uint32_t Session::expiry_interval() const {
  std::lock_guard lock(mutex_);
  return expiry_interval_;
}

Session::Stats Session::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{inflight_.size(), queue_.size(), queue_.dropped(), awaiting_rel_.size(),
               subscriptions_.size()};
}

}  // namespace gatemq::broker
