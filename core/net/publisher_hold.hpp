// A publishing connection's wait for the subscribers its input fed that are behind
// (broker::PublishCongestion): it registers with each one's mailbox and learns, on its own
// executor, when the last of them caught up. The connection stops reading meanwhile and bounds
// the wait with its own timer (max_publisher_hold), so one stuck subscriber holds nobody for
// long. Used on the connection's executor only.
#pragma once

#include <asio/post.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/broker/outbound_mailbox.hpp"

namespace gatemq::net {

class PublisherHold {
 public:
  // Starts a hold for `congested` (emptied): each mailbox still behind calls
  // `owner->on_subscriber_caught_up(id)` on `owner->executor()` when it caught up; the hold is
  // over when caught_up(id) says so. False when none of them needs waiting for any more.
  template <class Owner>
  bool begin(std::vector<broker::PublishCongestion::Entry>& congested,
             const std::shared_ptr<Owner>& owner) {
    const std::uint32_t id = ++current_;
    std::uint32_t behind = 0;
    for (auto& entry : congested) {
      const auto alive = entry.owner.lock();  // keeps the mailbox alive while we register
      if (!alive) continue;
      // Keyed by the publisher: a hold that ended on its timer leaves its registration behind,
      // and the next one replaces it instead of piling up beside it.
      const bool waits = entry.mailbox->wait_for_drain(
          owner.get(), [weak = std::weak_ptr<Owner>(owner), id] {
            // On the subscriber's thread: come back to the publisher's.
            if (auto publisher = weak.lock()) {
              asio::post(publisher->executor(),
                         [publisher, id] { publisher->on_subscriber_caught_up(id); });
            }
          });
      if (waits) ++behind;
    }
    congested.clear();
    behind_ = behind;
    return behind > 0;
  }

  // One subscriber of hold `id` caught up: true when that ended the current hold.
  bool caught_up(std::uint32_t id) {
    if (id != current_ || behind_ == 0) return false;  // a hold that already ended
    return --behind_ == 0;
  }

  // Ends the current hold early (its time is up, or the connection closes): its late wake-ups
  // are ignored.
  void end() {
    behind_ = 0;
    ++current_;
  }

  bool holding() const { return behind_ > 0; }

 private:
  std::uint32_t current_ = 0;  // which hold is the current one
  std::uint32_t behind_ = 0;   // subscribers still behind in it; 0 = not holding
};

}  // namespace gatemq::net
