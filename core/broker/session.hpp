// A client's session, whatever protocol it speaks: subscriptions, the outbound inflight window,
// the message queue and QoS 2 receive state. It outlives connections (takeover, resume, expiry).
// Thread-safe: every public call takes the session's own lock, never held across I/O.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/broker/delivery.hpp"
#include "core/broker/message_queue.hpp"
#include "core/mqtt/packet.hpp"

namespace gatemq::broker {

struct SessionLimits {
  std::uint16_t max_inflight = 32;  // 0 = as many as the client allows
  MessageQueueLimits queue;
  bool upgrade_qos = false;
  std::uint32_t max_awaiting_rel = 100;  // 0 = unlimited
  std::chrono::milliseconds await_rel_timeout{300000};
};

struct SubscriptionRecord {
  mqtt::SubscriptionOptions options;
  std::optional<std::uint32_t> subscription_id;
};

class Session {
 public:
  Session(std::string client_id, SessionLimits limits);

  const std::string& client_id() const { return client_id_; }
  // min(publish, subscription), or with zone upgrade_qos the higher of the two (as EMQX does).
  std::uint8_t delivery_qos(std::uint8_t publish_qos, std::uint8_t subscription_qos) const {
    return limits_.upgrade_qos ? std::max(publish_qos, subscription_qos)
                               : std::min(publish_qos, subscription_qos);
  }

  // --- connection ---
  // Attaches a connection: unacknowledged messages are sent again (DUP set, PUBREL for those
  // already received) as far as the window allows, then queued ones. receive_maximum is the
  // client's (65535 for 3.x).
  void attach(std::shared_ptr<SessionSink> sink, std::uint16_t receive_maximum);
  // Detaches `sink` if it is still the attached one; returns whether it was.
  bool detach(const SessionSink* sink);
  std::shared_ptr<SessionSink> sink() const;

  // --- outbound ---
  // Routes one message to this session: sent now if the window allows, else queued.
  void deliver(Delivery delivery);
  // Acknowledgements from the client; false when the packet id is unknown.
  bool on_puback(std::uint16_t packet_id);
  bool on_pubrec(std::uint16_t packet_id);  // sends PUBREL
  bool on_pubcomp(std::uint16_t packet_id);
  // The attached sink refused a delivery (too large for it): treat as completed.
  void on_delivery_refused(std::uint16_t packet_id);
  // Sends again (DUP, or PUBREL) what has waited `interval` or longer for its acknowledgement,
  // in the order first sent. next_due is when the earliest of those still waiting falls due
  // (none waiting: nullopt), so that a channel can keep one timer armed for exactly that moment
  // and resend each message one interval after its own send. MQTT 3.x channels use it; MQTT 5
  // forbids resending except on reconnect, which attach() does.
  struct RetryResult {
    std::size_t resent = 0;
    std::optional<std::chrono::steady_clock::time_point> next_due;
  };
  RetryResult retry_unacknowledged(std::chrono::steady_clock::time_point now,
                                   std::chrono::milliseconds interval);

  // Removes the QoS 1/2 deliveries of shared subscriptions the client has not received yet or
  // not acknowledged (awaiting PUBACK or PUBREC, or queued), for another group member.
  std::vector<Delivery> take_shared_unacknowledged();

  // --- inbound QoS 2 ---
  enum class Qos2Receive { New, Duplicate, Full };
  Qos2Receive receive_qos2(std::uint16_t packet_id);
  bool release_qos2(std::uint16_t packet_id);

  // --- subscriptions (the router holds the matching index; this is the session's own view) ---
  // Returns true when the filter was not subscribed before.
  bool add_subscription(const std::string& filter, SubscriptionRecord record);
  bool remove_subscription(const std::string& filter);
  std::map<std::string, SubscriptionRecord> subscriptions() const;
  std::size_t subscription_count() const;

  // --- expiry ---
  void set_expiry_interval(std::uint32_t seconds);
  std::uint32_t expiry_interval() const;

  struct Stats {
    std::size_t inflight = 0;
    std::size_t queued = 0;
    std::uint64_t dropped = 0;
    std::size_t awaiting_rel = 0;
    std::size_t subscriptions = 0;
  };
  Stats stats() const;

 private:
  enum class InflightState { AwaitingPuback, AwaitingPubrec, AwaitingPubcomp };
  struct InflightEntry {
    std::uint16_t packet_id;
    InflightState state;
    Delivery delivery;
    std::chrono::steady_clock::time_point sent_at;
    bool unsent = false;  // resend held back on resume by a smaller Receive Maximum
  };

  std::size_t window_locked() const;
  std::uint16_t allocate_packet_id_locked();
  void send_now_locked(Delivery delivery);
  void drain_queue_locked();
  void resend_locked(InflightEntry& entry, std::chrono::steady_clock::time_point now);
  bool remove_inflight_locked(std::uint16_t packet_id, InflightState expected);
  void expire_awaiting_rel_locked(std::chrono::steady_clock::time_point now);
  // Flow control: tells the sink when the queue behind the window is half full and when it is
  // back under a quarter, so publishers are held back before the queue has to drop anything.
  void note_queue_growth_locked();
  void note_queue_drain_locked();

  // SessionLimits without its queue part, which queue_ keeps: one copy per session, not two.
  struct OwnLimits {
    std::uint16_t max_inflight;
    bool upgrade_qos;
    std::uint32_t max_awaiting_rel;
    std::chrono::milliseconds await_rel_timeout;
  };

  const std::string client_id_;
  const OwnLimits limits_;
  mutable std::mutex mutex_;
  std::shared_ptr<SessionSink> sink_;
  std::uint16_t receive_maximum_ = 65535;
  std::uint16_t next_packet_id_ = 1;
  std::uint64_t next_sequence_ = 0;
  std::map<std::uint64_t, InflightEntry> inflight_;  // by send order
  std::size_t unsent_ = 0;                           // entries with `unsent` set
  std::unordered_map<std::uint16_t, std::uint64_t> inflight_by_id_;
  MessageQueue queue_;
  bool queue_filling_ = false;  // the sink was told queue_filling() and not queue_drained() yet
  std::unordered_map<std::uint16_t, std::chrono::steady_clock::time_point> awaiting_rel_;
  std::map<std::string, SubscriptionRecord> subscriptions_;
  std::uint32_t expiry_interval_ = 0;
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace gatemq::broker
