#include "core/broker/outbound_mailbox.hpp"

namespace gatemq::broker {

bool OutboundMailbox::push(Outbound item) {
  std::lock_guard lock(mutex_);
  items_.push_back(std::move(item));
  if (drain_scheduled_) return false;
  drain_scheduled_ = true;
  return true;
}

std::vector<Outbound> OutboundMailbox::take() {
  std::vector<Outbound> taken;
  std::lock_guard lock(mutex_);
  taken.swap(items_);
  drain_scheduled_ = false;
  return taken;
}

}  // namespace gatemq::broker
