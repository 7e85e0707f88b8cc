// A session's output on its way to one connection's thread, kept in the order the session made it.
//
// A session calls its sink under its own lock, from whichever thread touched it, so the order of
// push() calls is the order of the session's deliveries. asio::post alone does not keep that
// order: a post made from the connection's own thread (a resume resending unacknowledged
// messages) waits in that thread's private queue until the running handler returns, and a post
// from another thread (a new message routed meanwhile) can overtake it.
#pragma once

#include <mutex>
#include <vector>

#include "core/broker/delivery.hpp"

namespace gatemq::broker {

class OutboundMailbox {
 public:
  // Queues `item`. True when the caller must schedule a drain: the first item since the last
  // take(). Later items ride along with that drain.
  bool push(Outbound item);
  // Everything queued so far, oldest first.
  std::vector<Outbound> take();

 private:
  std::mutex mutex_;
  std::vector<Outbound> items_;
  bool drain_scheduled_ = false;
};

}  // namespace gatemq::broker
