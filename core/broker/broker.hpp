// The protocol-independent broker core: session registry, router, retainer, wills and hooks.
// Channels of every protocol (MQTT, MQTT-SN, STOMP, ...) talk to the core only through this API.
#pragma once

#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/broker/alarms.hpp"
#include "core/broker/banned_clients.hpp"
#include "core/broker/client_info.hpp"
#include "core/broker/delayed_publisher.hpp"
#include "core/broker/flapping_detector.hpp"
#include "core/broker/hooks.hpp"
#include "core/broker/message.hpp"
#include "core/broker/metrics.hpp"
#include "core/broker/retainer.hpp"
#include "core/broker/session.hpp"
#include "core/broker/shared_dispatch.hpp"
#include "core/broker/topic_rewrite.hpp"
#include "core/broker/workers.hpp"
#include "core/config/settings.hpp"
#include "core/router/topic_trie.hpp"

namespace gatemq::broker {

struct WillMessage {
  MessagePtr message;
  std::uint32_t delay_seconds = 0;
};

// A new session's limits from its zone (zone.<name>.max_inflight, max_mqueue_len, ...).
SessionLimits session_limits(const config::ZoneSettings& zone);

struct OpenSessionRequest {
  ClientInfo client;
  bool clean_start = true;
  std::uint32_t session_expiry_seconds = 0;  // 0xFFFFFFFF = never
  std::optional<WillMessage> will;
  std::uint16_t receive_maximum = 65535;
  SessionLimits limits;  // for a new session
};

struct OpenSessionResult {
  SessionPtr session;
  bool session_present = false;
};

enum class CloseKind {
  Normal,          // DISCONNECT 0x00: will discarded
  NormalWithWill,  // DISCONNECT 0x04: will published
  Abnormal,        // network loss, keepalive, protocol error: will published
};

struct BrokerCounters {
  std::atomic<std::uint64_t> connections{0};  // live, every protocol
};

// What the management API and `gatemq ctl` show of one registry entry (broker_inspect.cpp).
struct ClientSnapshot {
  ClientInfo client;  // of the last connection
  bool connected = false;
  std::chrono::system_clock::time_point connected_at;
  std::chrono::system_clock::time_point created_at;  // of the session
  std::uint32_t expiry_interval = 0;
  std::uint16_t max_inflight = 0;
  Session::Stats session;
};

struct SubscriptionSnapshot {
  std::string client_id;
  std::string filter;
  std::uint8_t qos = 0;
};

// One `$SYS/brokers/<node>/stats/<name>` value.
struct StatValue {
  std::string_view name;
  std::uint64_t value;
};

class Broker {
 public:
  Broker(config::Settings settings, Workers& workers);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  const config::Settings& settings() const { return settings_; }
  Workers& workers() { return workers_; }
  Hooks& hooks() { return hooks_; }
  BrokerCounters& counters() { return counters_; }
  Metrics& metrics() { return metrics_; }
  const Metrics& metrics() const { return metrics_; }
  BannedClients& banned() { return banned_; }
  Alarms& alarms() { return alarms_; }
  // The seed's stats (connections/count, sessions/max, ...): current values and high-water
  // marks since start.
  std::vector<StatValue> stats();
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }

  // The ban that refuses this client at CONNECT (zone enable_ban), if any.
  std::optional<BannedClients::Entry> find_ban(const ClientInfo& client) const;

  // --- authentication and authorization (hook chain, then the configured defaults) ---
  bool authenticate(const ClientInfo& client, const std::optional<std::string>& password) const;
  bool authorize(const ClientInfo& client, AclAction action, std::string_view topic) const;
  // Live retained messages matching `filter` (mountpoint applied); no ACL check.
  std::vector<MessagePtr> retained_messages(std::string_view filter) const {
    return retainer_.match(filter);
  }
  // acl_deny_action = disconnect for this client's zone (zone key, else the global one).
  bool deny_disconnects(const ClientInfo& client) const;

  // --- sessions ---
  // Opens or resumes the client's session and attaches `sink`. An existing connection with the
  // same client id, of any protocol, is closed with reason 0x8E (takeover).
  OpenSessionResult open_session(OpenSessionRequest request, std::shared_ptr<SessionSink> sink);
  // The connection behind `sink` ended. No-op if it was already taken over.
  void close_session(const SessionPtr& session, const SessionSink* sink, CloseKind kind,
                     std::optional<std::uint32_t> new_expiry_seconds = std::nullopt);
  SessionPtr find_session(const std::string& client_id) const;
  std::size_t session_count() const;

  // --- inspection and administration (broker_inspect.cpp), safe from any thread ---
  // Every registry entry, connected or not, by client id.
  std::vector<ClientSnapshot> client_snapshots() const;
  std::optional<ClientSnapshot> client_snapshot(const std::string& client_id) const;
  // Every session's subscriptions (or one client's), by client id then filter.
  std::vector<SubscriptionSnapshot> subscription_snapshots(
      const std::optional<std::string>& client_id = std::nullopt) const;
  // Distinct filters with at least one subscriber (the seed's routes), sorted.
  std::vector<std::string> route_filters() const;
  // Closes the client's live connection (MQTT 5: DISCONNECT 0x98, administrative action);
  // false when it has none.
  bool kick(const std::string& client_id);

  // --- pub/sub (topics here are already mountpointed) ---
  // Routes a message to every matching subscription; returns how many it reached. Topic
  // rewrite applies first; a `$delayed/<s>/<topic>` message is held (and counts as 1 reached
  // when accepted, 0 when refused).
  std::size_t publish(const MessagePtr& message);
  // Returns the granted QoS (0..2) or a v5 failure reason code (>= 0x80).
  std::uint8_t subscribe(const SessionPtr& session, const ClientInfo& client,
                         const std::string& filter, const SubscriptionRecord& record);
  bool unsubscribe(const SessionPtr& session, const std::string& filter);

  // Stops timers and drops sessions; call after every connection is closed.
  void shutdown();

 private:
  struct Subscriber {
    SessionPtr session;
    SubscriptionRecord record;
    bool ignore_loop_deliver = false;  // the subscriber's zone says: not its own messages
    std::string shared_group;          // set on a member picked for a shared group
  };
  struct ClientEntry {
    SessionPtr session;
    std::optional<WillMessage> will;  // of the attached connection
    std::unique_ptr<asio::steady_timer> expiry_timer;
    std::unique_ptr<asio::steady_timer> will_timer;
    std::optional<WillMessage> pending_will;  // waiting for its delay
    ClientInfo client;                        // of the last connection, for inspection
    std::chrono::system_clock::time_point connected_at;
    std::chrono::system_clock::time_point created_at;
    std::uint16_t max_inflight = 0;
  };

  SessionPtr discard_session_locked(const std::string& client_id);
  void remove_all_subscriptions(const SessionPtr& session);
  void publish_will(const WillMessage& will);
  void schedule_expiry_locked(const std::string& client_id, ClientEntry& entry,
                              std::uint32_t seconds);
  void schedule_will_locked(const std::string& client_id, ClientEntry& entry, WillMessage will,
                            std::uint32_t session_expiry);
  void on_session_expired(const std::string& client_id, const Session* session);
  void on_will_delay_elapsed(const std::string& client_id, const Session* session);
  void pick_shared_targets(const Message& message,
                           std::vector<std::pair<std::string, Subscriber>>& matches,
                           std::vector<Subscriber>& targets);
  // Adds (or removes) one subscription in the right index; caller holds router_mutex_.
  void index_subscription_locked(const std::string& filter, const SessionPtr& session,
                                 const Subscriber* subscriber);
  void deliver_retained(const SessionPtr& session, const std::string& filter,
                        const SubscriptionRecord& record);
  std::size_t route(const MessagePtr& message);
  // broker.shared_dispatch_ack_enabled: gives what `from` left unacknowledged to another online
  // member of the same group; back to `from` when there is none and it lives on.
  void redispatch_shared(const SessionPtr& from, std::vector<Delivery> deliveries,
                         bool from_lives_on);
  std::size_t hold_delayed(const MessagePtr& message);
  // The filter as subscribe rewrite rules make it (the inner filter of a shared one).
  std::string rewrite_filter(const std::string& filter) const;
  void on_client_disconnected(const ClientInfo& client);

  config::Settings settings_;
  Workers& workers_;
  Hooks hooks_;
  BrokerCounters counters_;
  Metrics metrics_;
  const std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  Retainer retainer_;
  TopicRewrite publish_rewrite_;
  TopicRewrite subscribe_rewrite_;
  DelayedPublisher delayed_;
  BannedClients banned_;
  Alarms alarms_;
  FlappingDetector flapping_;
  std::mutex stats_mutex_;
  std::vector<std::uint64_t> stats_max_;  // high-water marks, in stats() order

  mutable std::mutex registry_mutex_;
  std::unordered_map<std::string, ClientEntry> clients_;

  mutable std::shared_mutex router_mutex_;
  router::TopicTrie<const Session*, Subscriber> router_;
  // Shared subscriptions by inner filter, keyed by (group, session): one session may be in
  // several groups on the same filter.
  router::TopicTrie<std::pair<std::string, const Session*>, Subscriber> shared_router_;
  SharedDispatch shared_dispatch_;
};

}  // namespace gatemq::broker
