// The topic and message half of Channel: REGISTER both ways, PUBLISH QoS -1..2 both ways,
// SUBSCRIBE/UNSUBSCRIBE, will updates, and the outbox that holds downlink messages while the
// device sleeps or while a REGISTER waits for its REGACK.
#include <spdlog/spdlog.h>

#include "core/mqtt/reason_code.hpp"
#include "core/router/topic.hpp"
#include "gateways/mqtt-sn/channel.hpp"

namespace gatemq::gateway::mqttsn {

namespace {
// QoS 0 messages the outbox holds for a sleeping client when zone.max_mqueue_len is 0.
constexpr std::size_t kUnlimitedQos0Cap = 10000;

const broker::OutboundPublish* as_publish(const auto& item) {
  return std::get_if<broker::OutboundPublish>(&item);
}
}  // namespace

std::optional<std::string> Channel::topic_name(TopicIdType type, std::uint16_t id) const {
  return registry_.resolve(type, id);
}

// --- uplink ------------------------------------------------------------------------------------

void Channel::handle_register(const Register& reg) {
  const auto levels = zone().mqtt.max_topic_levels;
  Registration result{not_supported, 0, false};
  if (router::has_wildcard(reg.topic_name) || router::is_valid_topic_name(reg.topic_name, levels)) {
    result = registry_.register_topic(reg.topic_name);  // wildcards: NOT_SUPPORTED (§6.5)
  }
  if (result.return_code != accepted) {
    spdlog::debug("{} REGISTER '{}' refused (rc {})", log_name(), reg.topic_name,
                  static_cast<int>(result.return_code));
  }
  transmit(Regack{result.topic_id, reg.msg_id, result.return_code});
}

void Channel::handle_publish(const Publish& publish) {
  const auto reject = [&](ReturnCode code) {
    context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
    transmit(Puback{publish.topic_id, publish.msg_id, code});
  };
  int qos = publish.flags.qos;
  if (qos < 0) {
    if (!context_->settings.enable_qos3) return reject(not_supported);
    qos = 0;  // QoS -1 from a connected client: fire and forget
  }
  if (publish.flags.topic_id_type == TopicIdType::reserved) return reject(not_supported);
  const auto name = topic_name(publish.flags.topic_id_type, publish.topic_id);
  if (!name) return reject(invalid_topic_id);
  std::string payload(publish.data.begin(), publish.data.end());
  const bool retain = publish.flags.retain;
  if (qos == 2) {
    const auto& session = client_->session();
    switch (session->receive_qos2(publish.msg_id)) {
      case broker::Session::Qos2Receive::Duplicate:
        return transmit(Pubrec{publish.msg_id});  // delivered once already
      case broker::Session::Qos2Receive::Full:
        return reject(congestion);
      case broker::Session::Qos2Receive::New:
        break;
    }
    if (!client_->publish(*name, std::move(payload), 2, retain)) {
      session->release_qos2(publish.msg_id);
      transmit(Puback{publish.topic_id, publish.msg_id, not_supported});
      return denied("publish");
    }
    return transmit(Pubrec{publish.msg_id});
  }
  const bool published =
      client_->publish(*name, std::move(payload), static_cast<std::uint8_t>(qos), retain);
  if (qos == 1) {
    transmit(Puback{publish.topic_id, publish.msg_id, published ? accepted : not_supported});
  }
  if (!published) denied("publish");
}

void Channel::denied(std::string_view what) {
  if (!context_->broker.deny_disconnects(client_->info())) return;
  close(broker::CloseKind::Abnormal,
        std::string(what) + " not authorized (acl_deny_action = disconnect)", true);
}

void Channel::handle_pubrel(const Pubrel& pubrel) {
  client_->session()->release_qos2(pubrel.msg_id);
  transmit(Pubcomp{pubrel.msg_id});
}

void Channel::handle_subscribe(const Subscribe& subscribe) {
  const auto refuse_with = [&](ReturnCode code) {
    transmit(Suback{Flags{}, 0, subscribe.msg_id, code});
  };
  const auto qos = static_cast<std::uint8_t>(std::clamp(subscribe.flags.qos, 0, 2));
  std::string filter;
  std::uint16_t topic_id = subscribe.topic_id;
  if (subscribe.flags.topic_id_type == TopicIdType::normal) {
    filter = subscribe.topic_name;
    if (!router::is_valid_topic_filter(filter, zone().mqtt.max_topic_levels)) {
      return refuse_with(not_supported);
    }
    topic_id = 0;  // a wildcard filter: ids come by REGISTER per matching topic (§6.9)
    if (!router::has_wildcard(filter) && !filter.starts_with("$share/") &&
        !filter.starts_with("$queue/")) {
      const auto registration = registry_.register_topic(filter);
      if (registration.return_code != accepted) return refuse_with(registration.return_code);
      topic_id = registration.topic_id;
    }
  } else {
    auto name = topic_name(subscribe.flags.topic_id_type, subscribe.topic_id);
    if (!name) return refuse_with(invalid_topic_id);
    filter = std::move(*name);
  }
  const auto granted = client_->subscribe(filter, qos);
  if (granted >= 0x80) {
    spdlog::info("{} SUBSCRIBE '{}' refused by the broker", log_name(), filter);
    refuse_with(not_supported);
    if (granted == mqtt::rc::kNotAuthorized) denied("subscribe");
    return;
  }
  Flags flags;
  flags.qos = granted;
  transmit(Suback{flags, topic_id, subscribe.msg_id, accepted});
}

void Channel::handle_unsubscribe(const Unsubscribe& unsubscribe) {
  std::optional<std::string> filter;
  if (unsubscribe.flags.topic_id_type == TopicIdType::normal) {
    filter = unsubscribe.topic_name;
  } else {
    filter = topic_name(unsubscribe.flags.topic_id_type, unsubscribe.topic_id);
  }
  if (filter) client_->unsubscribe(*filter);
  transmit(Unsuback{unsubscribe.msg_id});
}

void Channel::handle_will_update(const WillTopicUpd& update) {
  if (!update.flags || update.will_topic.empty()) {
    will_.reset();  // the empty form deletes the will (§5.4.22)
  } else {
    Will will = will_.value_or(Will{});
    will.topic = update.will_topic;
    will.qos = static_cast<std::uint8_t>(std::clamp(update.flags->qos, 0, 2));
    will.retain = update.flags->retain;
    will_ = std::move(will);
  }
  transmit(WillTopicResp{accepted});
}

void Channel::handle_will_message_update(const WillMsgUpd& update) {
  if (!will_) will_ = Will{};
  will_->message.assign(update.will_message.begin(), update.will_message.end());
  transmit(WillMsgResp{accepted});
}

// --- downlink ----------------------------------------------------------------------------------

void Channel::on_outbound(broker::Outbound&& item) {
  // Closed: QoS 1/2 stay in the session for the next connection.
  if (state_ == State::Closed || !client_ || redundant(item)) return;
  if (auto* publish = std::get_if<broker::OutboundPublish>(&item)) {
    enqueue(std::move(*publish));
  } else {
    enqueue(std::get<broker::OutboundPubrel>(item));
  }
  pump();
  finish_wake_if_done();
}

bool Channel::redundant(const broker::Outbound& item) const {
  // A resend of what still waits here (asleep, or behind a REGISTER), or of what went out
  // after the resend was asked for, is not sent twice.
  if (const auto* publish = std::get_if<broker::OutboundPublish>(&item)) {
    if (publish->packet_id == 0 || !publish->dup) return false;
    if (auto sent = sent_.find(publish->packet_id);
        sent != sent_.end() && sent->second.sent_at >= resend_requested_at_) {
      return true;
    }
    return std::any_of(outbox_.begin(), outbox_.end(), [&](const OutItem& queued) {
      const auto* other = as_publish(queued);
      return other && other->packet_id == publish->packet_id;
    });
  }
  const auto id = std::get<broker::OutboundPubrel>(item).packet_id;
  return std::any_of(outbox_.begin(), outbox_.end(), [&](const OutItem& queued) {
    const auto* other = std::get_if<broker::OutboundPubrel>(&queued);
    return other && other->packet_id == id;
  });
}

void Channel::enqueue(OutItem item, bool front) {
  if (const auto* publish = as_publish(item); publish && publish->delivery.qos == 0) {
    const auto& zone_settings = zone();
    const std::size_t cap =
        zone_settings.max_mqueue_len == 0 ? kUnlimitedQos0Cap : zone_settings.max_mqueue_len;
    if ((!listening() && !zone_settings.mqueue_store_qos0) || queued_qos0_ >= cap) {
      context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ++queued_qos0_;
  }
  if (front) {
    outbox_.push_front(std::move(item));
  } else {
    outbox_.push_back(std::move(item));
  }
}

void Channel::pump() {
  while (listening() && !pending_register_ && !outbox_.empty()) {
    if (!send_head()) break;
  }
}

bool Channel::send_head() {
  auto& head = outbox_.front();
  const auto pop = [this] {
    if (const auto* publish = as_publish(outbox_.front()); publish && publish->delivery.qos == 0) {
      --queued_qos0_;
    }
    outbox_.pop_front();
  };
  if (const auto* only = std::get_if<RegisterOnly>(&head)) {
    if (!registry_.outbound(only->topic)) start_register(only->topic);
    if (pending_register_) return false;
    pop();
    return true;
  }
  if (const auto* pubrel = std::get_if<broker::OutboundPubrel>(&head)) {
    transmit(Pubrel{pubrel->packet_id});
    pop();
    return true;
  }
  const auto& publish = std::get<broker::OutboundPublish>(head);
  const auto& delivery = publish.delivery;
  const std::string topic(client_->device_topic(delivery.message->topic));
  const auto ref = registry_.outbound(topic);
  if (!ref) {
    // A topic the device has no id for (a wildcard subscription's match, or after a
    // reconnect): REGISTER it first; this message and everything behind it waits (§6.10).
    start_register(topic);
    if (pending_register_) return false;
    refuse(publish);
    pop();
    return true;
  }
  Publish out;
  out.flags.dup = publish.dup;
  out.flags.qos = delivery.qos;
  out.flags.retain = delivery.retain;
  out.flags.topic_id_type = ref->type;
  out.topic_id = ref->id;
  out.msg_id = delivery.qos == 0 ? 0 : publish.packet_id;
  out.data.assign(delivery.message->payload.begin(), delivery.message->payload.end());
  transmit(out);
  context_->stats->messages_down.fetch_add(1, std::memory_order_relaxed);
  if (delivery.qos > 0) {
    sent_.insert_or_assign(publish.packet_id,
                           Sent{publish, *ref, std::chrono::steady_clock::now()});
  }
  pop();
  return true;
}

void Channel::start_register(const std::string& topic) {
  const auto registration = registry_.register_topic(topic);
  if (registration.return_code != accepted) {
    spdlog::warn("{} cannot give '{}' a topic id (mqtt.sn.max_registered_topics reached?)",
                 log_name(), topic);
    return;
  }
  if (next_register_id_ == 0) next_register_id_ = 1;
  pending_register_ = PendingRegister{next_register_id_++, registration.topic_id, topic,
                                      std::chrono::steady_clock::now()};
  transmit(Register{registration.topic_id, pending_register_->msg_id, topic});
}

void Channel::handle_regack(const Regack& regack) {
  if (!pending_register_ || regack.msg_id != pending_register_->msg_id) return;  // stale
  const auto pending = std::move(*pending_register_);
  pending_register_.reset();
  if (regack.return_code != accepted) {
    // The device refuses the topic: its messages cannot reach it.
    spdlog::info("{} refused REGISTER '{}' (rc {})", log_name(), pending.topic,
                 static_cast<int>(regack.return_code));
    registry_.forget(pending.topic_id);
    std::erase_if(outbox_, [&](const OutItem& item) {
      if (const auto* only = std::get_if<RegisterOnly>(&item)) return only->topic == pending.topic;
      const auto* publish = as_publish(item);
      if (!publish || client_->device_topic(publish->delivery.message->topic) != pending.topic) {
        return false;
      }
      if (publish->delivery.qos == 0) --queued_qos0_;
      refuse(*publish);
      return true;
    });
  }
  pump();
  finish_wake_if_done();
}

void Channel::refuse(const broker::OutboundPublish& publish) {
  context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
  if (publish.packet_id != 0 && client_ && client_->session()) {
    client_->session()->on_delivery_refused(publish.packet_id);
  }
}

void Channel::handle_puback(const Puback& puback) {
  const auto& session = client_->session();
  auto found = sent_.find(puback.msg_id);
  if (puback.return_code == invalid_topic_id) {
    // The device does not know the id (it lost its registrations): REGISTER, then replay.
    if (found != sent_.end()) {
      auto sent = std::move(found->second);
      sent_.erase(found);
      if (sent.topic.type == TopicIdType::normal) registry_.forget(sent.topic.id);
      sent.publish.dup = true;
      enqueue(std::move(sent.publish), true);
      pump();
    } else {
      registry_.forget(puback.topic_id);
    }
    return;
  }
  if (found != sent_.end()) sent_.erase(found);
  if (puback.return_code == accepted) {
    session->on_puback(puback.msg_id);
  } else {
    context_->stats->messages_dropped.fetch_add(1, std::memory_order_relaxed);
    session->on_delivery_refused(puback.msg_id);
  }
  finish_wake_if_done();
}

void Channel::handle_pubrec(const Pubrec& pubrec) {
  sent_.erase(pubrec.msg_id);
  // The session answers with PUBREL (through send()); an unknown id still gets one so the
  // device can finish its side.
  if (!client_->session()->on_pubrec(pubrec.msg_id)) transmit(Pubrel{pubrec.msg_id});
}

void Channel::handle_pubcomp(const Pubcomp& pubcomp) {
  client_->session()->on_pubcomp(pubcomp.msg_id);
  finish_wake_if_done();
}

void Channel::queue_subscription_registrations() {
  // subs_resume: the device learns the ids of its subscribed topics again before the session's
  // messages follow.
  for (const auto& [filter, record] : client_->session()->subscriptions()) {
    const std::string topic(client_->device_topic(filter));
    if (router::has_wildcard(topic) || topic.starts_with("$share/") ||
        topic.starts_with("$queue/") || registry_.outbound(topic)) {
      continue;
    }
    enqueue(RegisterOnly{topic});
  }
}

}  // namespace gatemq::gateway::mqttsn
