#include "core/broker/metrics.hpp"

namespace gatemq::broker {

namespace {

// The per-type counter of a packet, or Count when the seed has none for that direction.
Metric received_metric(mqtt::PacketType type) {
  using T = mqtt::PacketType;
  switch (type) {
    case T::Connect:
      return Metric::PacketsConnect;
    case T::Publish:
      return Metric::PacketsPublishReceived;
    case T::Puback:
      return Metric::PacketsPubackReceived;
    case T::Pubrec:
      return Metric::PacketsPubrecReceived;
    case T::Pubrel:
      return Metric::PacketsPubrelReceived;
    case T::Pubcomp:
      return Metric::PacketsPubcompReceived;
    case T::Subscribe:
      return Metric::PacketsSubscribe;
    case T::Unsubscribe:
      return Metric::PacketsUnsubscribe;
    case T::Pingreq:
      return Metric::PacketsPingreq;
    case T::Disconnect:
      return Metric::PacketsDisconnectReceived;
    case T::Auth:
      return Metric::PacketsAuth;
    default:
      return Metric::Count;
  }
}

Metric sent_metric(mqtt::PacketType type) {
  using T = mqtt::PacketType;
  switch (type) {
    case T::Connack:
      return Metric::PacketsConnack;
    case T::Publish:
      return Metric::PacketsPublishSent;
    case T::Puback:
      return Metric::PacketsPubackSent;
    case T::Pubrec:
      return Metric::PacketsPubrecSent;
    case T::Pubrel:
      return Metric::PacketsPubrelSent;
    case T::Pubcomp:
      return Metric::PacketsPubcompSent;
    case T::Suback:
      return Metric::PacketsSuback;
    case T::Unsuback:
      return Metric::PacketsUnsuback;
    case T::Pingresp:
      return Metric::PacketsPingresp;
    case T::Disconnect:
      return Metric::PacketsDisconnectSent;
    default:
      return Metric::Count;
  }
}

Metric by_qos(std::uint8_t qos, Metric qos0, Metric qos1, Metric qos2) {
  return qos == 0 ? qos0 : qos == 1 ? qos1 : qos2;
}

}  // namespace

void Metrics::packet_received(mqtt::PacketType type) {
  add(Metric::PacketsReceived);
  if (const auto metric = received_metric(type); metric != Metric::Count) add(metric);
}

void Metrics::packet_sent(mqtt::PacketType type) {
  add(Metric::PacketsSent);
  if (const auto metric = sent_metric(type); metric != Metric::Count) add(metric);
}

void Metrics::message_received(std::uint8_t qos) {
  add(Metric::MessagesReceived);
  add(by_qos(qos, Metric::MessagesQos0Received, Metric::MessagesQos1Received,
             Metric::MessagesQos2Received));
}

void Metrics::message_sent(std::uint8_t qos) {
  add(Metric::MessagesSent);
  add(by_qos(qos, Metric::MessagesQos0Sent, Metric::MessagesQos1Sent, Metric::MessagesQos2Sent));
}

void Metrics::message_dropped(std::uint8_t qos) {
  add(Metric::MessagesDropped);
  if (qos == 2) add(Metric::MessagesQos2Dropped);
}

void Metrics::message_expired(std::uint8_t qos) {
  add(Metric::MessagesExpired);
  if (qos == 2) add(Metric::MessagesQos2Expired);
}

}  // namespace gatemq::broker
