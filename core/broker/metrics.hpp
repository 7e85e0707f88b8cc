// Cumulative counters of bytes, packets and messages since start, named as the seed's
// `$SYS/brokers/<node>/metrics/<name>` topics. Relaxed atomics: readers (the $SYS publisher,
// management API) want totals, not ordering.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/mqtt/packet.hpp"

namespace gatemq::broker {

enum class Metric : std::size_t {
  BytesReceived,
  BytesSent,
  PacketsReceived,
  PacketsSent,
  PacketsConnect,
  PacketsConnack,
  PacketsPublishReceived,
  PacketsPublishSent,
  PacketsPubackReceived,
  PacketsPubackSent,
  PacketsPubackMissed,
  PacketsPubrecReceived,
  PacketsPubrecSent,
  PacketsPubrecMissed,
  PacketsPubrelReceived,
  PacketsPubrelSent,
  PacketsPubrelMissed,
  PacketsPubcompReceived,
  PacketsPubcompSent,
  PacketsPubcompMissed,
  PacketsSubscribe,
  PacketsSuback,
  PacketsUnsubscribe,
  PacketsUnsuback,
  PacketsPingreq,
  PacketsPingresp,
  PacketsDisconnectReceived,
  PacketsDisconnectSent,
  PacketsAuth,
  PacketsMalformed,
  MessagesReceived,
  MessagesSent,
  MessagesExpired,
  MessagesRetained,
  MessagesDropped,
  MessagesForward,
  MessagesQos0Received,
  MessagesQos0Sent,
  MessagesQos1Received,
  MessagesQos1Sent,
  MessagesQos2Received,
  MessagesQos2Sent,
  MessagesQos2Expired,
  MessagesQos2Dropped,
  MessagesDroppedNoSubscribers,
  MessagesDroppedSlowSubscriber,
  MessagesDelayed,
  PublishersHeld,
  Count
};

// Topic suffixes, in enum order. The last few are gatemq's own (not in the seed).
inline constexpr std::array<std::string_view, static_cast<std::size_t>(Metric::Count)>
    kMetricNames = {
        "bytes/received",
        "bytes/sent",
        "packets/received",
        "packets/sent",
        "packets/connect",
        "packets/connack",
        "packets/publish/received",
        "packets/publish/sent",
        "packets/puback/received",
        "packets/puback/sent",
        "packets/puback/missed",
        "packets/pubrec/received",
        "packets/pubrec/sent",
        "packets/pubrec/missed",
        "packets/pubrel/received",
        "packets/pubrel/sent",
        "packets/pubrel/missed",
        "packets/pubcomp/received",
        "packets/pubcomp/sent",
        "packets/pubcomp/missed",
        "packets/subscribe",
        "packets/suback",
        "packets/unsubscribe",
        "packets/unsuback",
        "packets/pingreq",
        "packets/pingresp",
        "packets/disconnect/received",
        "packets/disconnect/sent",
        "packets/auth",
        "packets/malformed",
        "messages/received",
        "messages/sent",
        "messages/expired",
        "messages/retained",
        "messages/dropped",
        "messages/forward",
        "messages/qos0/received",
        "messages/qos0/sent",
        "messages/qos1/received",
        "messages/qos1/sent",
        "messages/qos2/received",
        "messages/qos2/sent",
        "messages/qos2/expired",
        "messages/qos2/dropped",
        "messages/dropped/no_subscribers",
        "messages/dropped/slow_subscriber",
        "messages/delayed",
        // A publisher stopped reading until a subscriber it feeds caught up (flow control).
        "publishers/held",
};

// Counters are sharded by thread: every I/O thread bumps several counters for each message it
// handles, and one shared array made the threads of a fan-in fight over the same cache lines on
// every message (the publisher's thread counting "received", the subscriber's "sent"). A thread
// is given a shard round robin when it first counts; threads that share one still count
// correctly (the adds are atomic). A reader sums the shards.
class Metrics {
 public:
  void add(Metric metric, std::uint64_t amount = 1) {
    shards_[shard_index()].values[index(metric)].fetch_add(amount, std::memory_order_relaxed);
  }
  std::uint64_t get(Metric metric) const {
    std::uint64_t total = 0;
    for (const auto& shard : shards_) {
      total += shard.values[index(metric)].load(std::memory_order_relaxed);
    }
    return total;
  }

  // One MQTT packet in either direction: packets/received|sent and the per-type counter.
  void packet_received(mqtt::PacketType type);
  void packet_sent(mqtt::PacketType type);
  // Messages sent to / received from clients, by QoS; message drops by QoS.
  void message_received(std::uint8_t qos);
  void message_sent(std::uint8_t qos);
  void message_dropped(std::uint8_t qos);
  void message_expired(std::uint8_t qos);

 private:
  static constexpr std::size_t kShards = 8;  // more than the usual number of I/O threads
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Metric::Count)> values{};
  };
  static constexpr std::size_t index(Metric metric) { return static_cast<std::size_t>(metric); }
  static std::size_t shard_index() {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shard;
  }
  std::array<Shard, kShards> shards_{};
};

}  // namespace gatemq::broker
