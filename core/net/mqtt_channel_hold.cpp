// MqttChannel's flow control as a publisher: after its input went to subscribers that are
// behind (broker::PublishCongestion), it reads nothing more until they caught up or the zone's
// max_publisher_hold passed (docs/configuration.md, "Flow control").
#include <asio/post.hpp>

#include "core/net/mqtt_channel.hpp"

namespace gatemq::net {

bool MqttChannel::hold_for(std::vector<broker::PublishCongestion::Entry>& congested) {
  const std::uint32_t hold = ++hold_;
  std::uint32_t behind = 0;
  for (auto& entry : congested) {
    const auto alive = entry.owner.lock();  // keeps the mailbox alive while we register
    if (!alive) continue;
    const bool waits = entry.mailbox->wait_for_drain([self = weak_from_this(), hold] {
      // On the subscriber's thread: come back to ours.
      if (auto channel = self.lock()) {
        asio::post(channel->executor(),
                   [channel, hold] { channel->on_subscriber_caught_up(hold); });
      }
    });
    if (waits) ++behind;
  }
  congested.clear();
  if (behind == 0) return false;
  holding_for_ = behind;
  broker_.metrics().add(broker::Metric::PublishersHeld);
  timers_.arm_after(kPauseDeadline, zone_.max_publisher_hold, shared_from_this());
  return true;
}

void MqttChannel::on_subscriber_caught_up(std::uint32_t hold) {
  if (hold != hold_ || holding_for_ == 0) return;  // a hold that already ended
  if (--holding_for_ > 0) return;
  timers_.cancel(kPauseDeadline);
  end_hold();
}

void MqttChannel::end_hold() {
  holding_for_ = 0;
  ++hold_;  // late wake-ups of this hold are ignored
  if (state_ == State::Closed || state_ == State::Closing) return;
  if (input_used_ < input_.size()) {
    on_read({}, {});  // the input held back comes before anything read later
    return;
  }
  read_or_pause();
}

}  // namespace gatemq::net
