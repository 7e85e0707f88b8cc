// MqttChannel's flow control as a publisher: after its input went to subscribers that are
// behind (broker::PublishCongestion), it reads nothing more until they caught up or the zone's
// max_publisher_hold passed (docs/configuration.md, "Flow control").
#include "core/net/mqtt_channel.hpp"

namespace gatemq::net {

bool MqttChannel::hold_for(std::vector<broker::PublishCongestion::Entry>& congested) {
  if (!hold_.begin(congested, shared_from_this())) return false;
  broker_.metrics().add(broker::Metric::PublishersHeld);
  timers_.arm_after(kPauseDeadline, zone_.max_publisher_hold, shared_from_this());
  return true;
}

void MqttChannel::on_subscriber_caught_up(std::uint32_t hold) {
  if (!hold_.caught_up(hold)) return;
  timers_.cancel(kPauseDeadline);
  end_hold();
}

void MqttChannel::end_hold() {
  hold_.end();  // late wake-ups of this hold are ignored
  if (state_ == State::Closed || state_ == State::Closing) return;
  if (input_used_ < input_.size()) {
    on_read({}, {});  // the input held back comes before anything read later
    return;
  }
  read_or_pause();
}

}  // namespace gatemq::net
