// MqttChannel's output half: session deliveries arrive through a cross-thread mailbox, are
// encoded into one pending buffer and written in batches, with a send timeout.
#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <utility>

#include "core/mqtt/reason_code.hpp"
#include "core/net/mqtt_channel.hpp"

namespace gatemq::net {

namespace {
namespace rc = mqtt::rc;
using broker::CloseKind;

const mqtt::Properties kNoProperties;
constexpr std::size_t kKeepWriteCapacity = 64 * 1024;
}  // namespace

// ---------------------------------------------------------------------------------------------
// Output

void MqttChannel::send(broker::Outbound item) {
  // QoS 0 output past the zone's max_output_buffer is refused (and counted) by the mailbox;
  // QoS 1/2 output is bounded by the inflight window instead.
  if (mailbox_.push(std::move(item), weak_from_this())) {
    asio::post(transport_->executor(), [self = shared_from_this()] { self->drain_mailbox(); });
  }
}

void MqttChannel::drain_mailbox() {
  auto batch = mailbox_.take();
  for (auto& item : batch.items) write_outbound(std::move(item));
  pending_backlog_ += batch.bytes;
  flush();
}

bool MqttChannel::accepts(const broker::Delivery& delivery) const {
  if (client_max_packet_size_ == 0) return true;
  const auto& message = *delivery.message;
  // Upper bound: the forwarded properties plus expiry (5 bytes) and subscription id (5 bytes).
  const auto topic = std::string_view(message.topic)
                         .substr(std::min(message.topic.size(), client_.mountpoint.size()));
  const auto size = mqtt::encoded_publish_size(topic, message.properties, message.payload.size(),
                                               delivery.qos, version_) +
                    10;
  return size <= client_max_packet_size_;
}

void MqttChannel::write_outbound(broker::Outbound&& item) {
  if (state_ != State::Connected) return;  // QoS 1/2 stay in the session for the next connection
  if (auto* pubrel = std::get_if<broker::OutboundPubrel>(&item)) {
    write_packet(mqtt::Pubrel{pubrel->packet_id, rc::kSuccess, {}});
    return;
  }
  auto& metrics = broker_.metrics();
  auto& publish = std::get<broker::OutboundPublish>(item);
  const auto& delivery = publish.delivery;
  const auto& message = *delivery.message;
  const auto now = broker::Clock::now();
  if (message.expired(now)) {
    metrics.message_expired(delivery.qos);
    if (publish.packet_id != 0) session_->on_delivery_refused(publish.packet_id);
    return;
  }
  std::string topic = strip_mountpoint(message.topic);
  metrics.packet_sent(mqtt::PacketType::Publish);
  const mqtt::PublishHeader header{publish.dup, delivery.qos, delivery.retain, publish.packet_id};
  if (!is_v5()) {
    mqtt::encode_publish(header, topic, kNoProperties, message.payload, version_, pending_);
    return;
  }
  const bool needs_own_properties =
      message.expires_at || delivery.subscription_id || client_topic_alias_max_ != 0;
  if (!needs_own_properties) {
    mqtt::encode_publish(header, topic, message.properties, message.payload, version_, pending_);
    return;
  }
  mqtt::Properties properties = message.properties;
  properties.message_expiry_interval = message.remaining_expiry(now);
  if (delivery.subscription_id) properties.subscription_identifiers = {*delivery.subscription_id};
  std::string_view wire_topic = topic;
  if (client_topic_alias_max_ != 0) {
    auto& outbound = aliases().outbound;
    auto known = outbound.find(topic);
    if (known != outbound.end()) {
      properties.topic_alias = known->second;
      wire_topic = {};
    } else if (outbound.size() < client_topic_alias_max_) {
      const auto alias = static_cast<std::uint16_t>(outbound.size() + 1);
      outbound.emplace(topic, alias);
      properties.topic_alias = alias;
    }
  }
  mqtt::encode_publish(header, wire_topic, properties, message.payload, version_, pending_);
}

void MqttChannel::write_packet(const mqtt::Packet& packet) {
  // The variant's alternatives are in packet type order, CONNECT first.
  broker_.metrics().packet_sent(static_cast<mqtt::PacketType>(packet.index() + 1));
  mqtt::encode(packet, version_, pending_);
  flush();
}

void MqttChannel::flush() {
  if (write_in_progress_) return;  // on_written() flushes the rest
  if (pending_.empty() || state_ == State::Closed) {
    // What was taken from the mailbox produced nothing to write (expired, refused, closed).
    mailbox_.release(std::exchange(pending_backlog_, 0));
    return;
  }
  writing_.swap(pending_);
  pending_.clear();
  writing_backlog_ = std::exchange(pending_backlog_, 0);
  write_in_progress_ = true;
  transport_->async_write(
      asio::buffer(writing_),
      [self = shared_from_this()](const std::error_code& error, std::size_t bytes) {
        self->broker_.metrics().add(broker::Metric::BytesSent, bytes);
        self->on_written(error);
      });
  if (context_->send_timeout.count() > 0) {
    timers_.arm_after(kSendDeadline, context_->send_timeout, shared_from_this());
  }
}

void MqttChannel::on_send_timeout() {
  if (state_ == State::Closed) return;
  spdlog::warn("{} send timeout: the client has not read for {} ms{}", client_.log_name(),
               context_->send_timeout.count(), context_->send_timeout_close ? ", closing" : "");
  if (!context_->send_timeout_close) return;
  close(CloseKind::Abnormal, "send timeout");
  finish_close();
}

void MqttChannel::on_written(const std::error_code& error) {
  write_in_progress_ = false;
  writing_.clear();
  // Wakes the publishers held back for this connection once it is below the resume level.
  mailbox_.release(std::exchange(writing_backlog_, 0));
  // A burst may have grown the buffer a lot; an idle connection should not keep that.
  if (writing_.capacity() > kKeepWriteCapacity) writing_.shrink_to_fit();
  timers_.cancel(kSendDeadline);
  if (state_ == State::Closed) return;
  if (error) {
    close(CloseKind::Abnormal, "write error: " + error.message());
    finish_close();
    return;
  }
  if (!pending_.empty()) {
    flush();
  } else if (close_after_flush_) {
    finish_close();
  }
}

}  // namespace gatemq::net
