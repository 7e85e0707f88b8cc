#include "core/broker/broker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/config/config.hpp"
#include "core/mqtt/reason_code.hpp"
#include "core/router/topic.hpp"

namespace gatemq::broker {

namespace {
constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;

RetainerLimits retainer_limits(const config::RetainerSettings& settings) {
  return RetainerLimits{settings.max_retained_messages, settings.max_payload_size,
                        settings.expiry_interval};
}

bool is_shared_filter(std::string_view filter) {
  return filter.starts_with("$share/") || filter.starts_with("$queue/");
}

// "group\0filter": one key per (group, inner filter) for grouping matches and dispatch state.
std::string group_key(const std::string& group, std::string_view filter) {
  std::string key;
  key.reserve(group.size() + 1 + filter.size());
  key.append(group).push_back('\0');
  key.append(filter);
  return key;
}
}  // namespace

SessionLimits session_limits(const config::ZoneSettings& zone) {
  SessionLimits limits;
  limits.max_inflight = zone.max_inflight;
  limits.queue.max_len = zone.max_mqueue_len;
  limits.queue.store_qos0 = zone.mqueue_store_qos0;
  limits.queue.priorities = zone.mqueue_priorities;
  limits.queue.default_priority_highest = zone.mqueue_default_priority == "highest";
  limits.upgrade_qos = zone.upgrade_qos;
  limits.max_awaiting_rel = zone.max_awaiting_rel;
  limits.await_rel_timeout = zone.await_rel_timeout;
  return limits;
}

Broker::Broker(config::Settings settings, Workers& workers)
    : settings_(std::move(settings)),
      workers_(workers),
      retainer_(retainer_limits(settings_.retainer)),
      delayed_(
          workers_.housekeeping(),
          DelayedLimits{settings_.modules.delayed_max_pending, settings_.modules.delayed_max_delay},
          [this](const MessagePtr& message) { publish(message); }),
      alarms_(settings_.node.name, [this](const MessagePtr& message) { publish(message); }),
      shared_dispatch_(SharedDispatch::parse(settings_.broker.shared_subscription_strategy)) {
  const auto& modules = settings_.modules;
  if (modules.rewrite) {
    for (auto [rules, target] : {std::pair{&modules.rewrite_publish, &publish_rewrite_},
                                 std::pair{&modules.rewrite_subscribe, &subscribe_rewrite_}}) {
      for (const auto& [where, text] : *rules) {
        try {
          target->add(TopicRewrite::parse_rule(text));
        } catch (const std::invalid_argument& e) {
          throw config::ConfigError(where + ": " + e.what());
        }
      }
    }
  }
  hooks_.on_disconnected(
      [this](const ClientInfo& client, std::string_view) { on_client_disconnected(client); });
}

std::optional<BannedClients::Entry> Broker::find_ban(const ClientInfo& client) const {
  if (!settings_.zone(client.zone).enable_ban) return std::nullopt;
  return banned_.find(client);
}

void Broker::on_client_disconnected(const ClientInfo& client) {
  const auto& zone = settings_.zone(client.zone);
  if (!zone.enable_flapping_detect || client.client_id.empty()) return;
  const FlappingDetector::Policy policy{zone.flapping_threshold, zone.flapping_window};
  if (!flapping_.record(client.client_id, policy, std::chrono::steady_clock::now())) return;
  const auto now = BannedClients::SystemClock::now();
  banned_.add(BannedClients::Entry{BannedClients::Kind::ClientId, client.client_id,
                                   "flapping: " + std::to_string(policy.threshold) +
                                       " disconnects within " +
                                       std::to_string(policy.window.count()) + " ms",
                                   "flapping", now, now + zone.flapping_banned_expiry_interval});
  spdlog::warn(
      "{} is flapping ({} disconnects within {} ms): banned for {} s", client.log_name(),
      policy.threshold, policy.window.count(),
      std::chrono::duration_cast<std::chrono::seconds>(zone.flapping_banned_expiry_interval)
          .count());
}

Broker::~Broker() {
  shutdown();
}

bool Broker::authenticate(const ClientInfo& client,
                          const std::optional<std::string>& password) const {
  switch (hooks_.authenticate(client, password)) {
    case HookVerdict::Allow:
      return true;
    case HookVerdict::Deny:
      return false;
    case HookVerdict::Ignore:
      break;
  }
  return settings_.zone(client.zone).allow_anonymous.value_or(settings_.allow_anonymous);
}

bool Broker::deny_disconnects(const ClientInfo& client) const {
  return settings_.zone(client.zone).acl_deny_disconnects.value_or(settings_.acl.deny_disconnects);
}

bool Broker::authorize(const ClientInfo& client, AclAction action, std::string_view topic) const {
  return hooks_.check_acl(client, action, topic) != HookVerdict::Deny;
}

OpenSessionResult Broker::open_session(OpenSessionRequest request,
                                       std::shared_ptr<SessionSink> sink) {
  std::vector<WillMessage> wills_to_publish;
  std::vector<SessionPtr> discarded;
  OpenSessionResult result;
  {
    std::lock_guard lock(registry_mutex_);
    auto& entry = clients_[request.client.client_id];
    if (entry.session) {
      // A session that lasts only as long as its connection (3.x clean session, v5 expiry 0)
      // ends with the connection taken over here: nothing of it may be resumed (MQTT-3.1.2-6).
      const bool discard =
          request.clean_start || (entry.session->sink() && entry.session->expiry_interval() == 0);
      if (auto old_sink = entry.session->sink()) {
        // Takeover: the old connection is closed by the server, which is an abnormal end for
        // its will. Resuming the session before the will delay passes cancels it (spec 3.1.2.5).
        entry.session->detach(old_sink.get());
        old_sink->close_by_broker(mqtt::rc::kSessionTakenOver);
        spdlog::info("client {} taken over by a new connection from {}:{}",
                     request.client.client_id, request.client.peer_host, request.client.peer_port);
        if (entry.will && (discard || entry.will->delay_seconds == 0)) {
          wills_to_publish.push_back(*entry.will);
        }
        entry.will.reset();
      }
      if (entry.pending_will) {
        if (discard) wills_to_publish.push_back(*entry.pending_will);
        entry.pending_will.reset();
      }
      entry.will_timer.reset();
      entry.expiry_timer.reset();
      if (discard) {
        discarded.push_back(std::move(entry.session));
        entry.session.reset();
      } else {
        result.session_present = true;
      }
    }
    const auto now = std::chrono::system_clock::now();
    if (!entry.session) {
      entry.session = std::make_shared<Session>(request.client.client_id, request.limits);
      entry.created_at = now;
      entry.max_inflight = request.limits.max_inflight;
    }
    entry.client = std::move(request.client);  // not used below
    entry.connected_at = now;
    entry.session->set_expiry_interval(request.session_expiry_seconds);
    entry.will = std::move(request.will);
    // Attaching under the registry lock keeps two racing connections from both attaching.
    entry.session->attach(std::move(sink), request.receive_maximum);
    result.session = entry.session;
  }
  for (const auto& session : discarded) remove_all_subscriptions(session);
  for (const auto& will : wills_to_publish) publish_will(will);
  return result;
}

void Broker::close_session(const SessionPtr& session, const SessionSink* sink, CloseKind kind,
                           std::optional<std::uint32_t> new_expiry_seconds) {
  std::optional<WillMessage> publish_now;
  SessionPtr discarded;
  std::vector<Delivery> unacknowledged_shared;
  {
    std::lock_guard lock(registry_mutex_);
    auto found = clients_.find(session->client_id());
    if (found == clients_.end() || found->second.session != session) return;
    if (!session->detach(sink)) return;  // already taken over
    if (settings_.broker.shared_dispatch_ack_enabled) {
      unacknowledged_shared = session->take_shared_unacknowledged();
    }
    auto& entry = found->second;
    if (new_expiry_seconds) session->set_expiry_interval(*new_expiry_seconds);
    const std::uint32_t expiry = session->expiry_interval();
    auto will = std::move(entry.will);
    entry.will.reset();
    if (will && kind != CloseKind::Normal) {
      if (expiry == 0 || will->delay_seconds == 0) {
        publish_now = std::move(will);
      } else {
        schedule_will_locked(session->client_id(), entry, std::move(*will), expiry);
      }
    }
    if (expiry == 0) {
      discarded = discard_session_locked(session->client_id());
    } else if (expiry != kNeverExpires) {
      schedule_expiry_locked(session->client_id(), entry, expiry);
    }
  }
  if (discarded) remove_all_subscriptions(discarded);
  if (!unacknowledged_shared.empty()) {
    redispatch_shared(session, std::move(unacknowledged_shared), discarded == nullptr);
  }
  if (publish_now) publish_will(*publish_now);
}

void Broker::redispatch_shared(const SessionPtr& from, std::vector<Delivery> deliveries,
                               bool from_lives_on) {
  std::vector<SharedDispatch::Candidate> candidates;
  std::vector<Subscriber> members;
  for (auto& delivery : deliveries) {
    const auto& message = *delivery.message;
    members.clear();
    {
      std::shared_lock lock(router_mutex_);
      shared_router_.match(message.topic, [&](const std::string& filter, const auto& key,
                                              const Subscriber& subscriber) {
        if (subscriber.session != from && group_key(key.first, filter) == delivery.shared_group) {
          members.push_back(subscriber);
        }
      });
    }
    // Session locks never nest inside the router lock: online status is read after it.
    std::erase_if(members, [](const Subscriber& member) { return !member.session->sink(); });
    if (members.empty()) {
      if (from_lives_on) {
        from->deliver(std::move(delivery));
      } else {
        metrics_.message_dropped(delivery.qos);
      }
      continue;
    }
    candidates.clear();
    for (const auto& member : members) candidates.push_back({member.session->client_id(), true});
    const auto chosen = shared_dispatch_.pick(delivery.shared_group, candidates,
                                              message.publisher_id, message.topic);
    auto& target = members[chosen];
    spdlog::debug("shared message on '{}' redispatched from {} to {}", message.topic,
                  from->client_id(), target.session->client_id());
    delivery.qos = target.session->delivery_qos(message.qos, target.record.options.qos);
    delivery.subscription_id = target.record.subscription_id;
    target.session->deliver(std::move(delivery));
  }
}

SessionPtr Broker::discard_session_locked(const std::string& client_id) {
  auto found = clients_.find(client_id);
  if (found == clients_.end()) return nullptr;
  SessionPtr session = std::move(found->second.session);
  clients_.erase(found);
  return session;
}

void Broker::remove_all_subscriptions(const SessionPtr& session) {
  const auto subscriptions = session->subscriptions();
  std::unique_lock lock(router_mutex_);
  for (const auto& [filter, record] : subscriptions) {
    index_subscription_locked(filter, session, nullptr);
  }
}

void Broker::index_subscription_locked(const std::string& filter, const SessionPtr& session,
                                       const Subscriber* subscriber) {
  if (auto shared = router::parse_shared(filter)) {
    auto key = std::pair{std::move(shared->group), static_cast<const Session*>(session.get())};
    if (subscriber) {
      shared_router_.insert(shared->filter, key, *subscriber);
    } else {
      shared_router_.erase(shared->filter, key);
    }
    return;
  }
  if (subscriber) {
    router_.insert(filter, session.get(), *subscriber);
  } else {
    router_.erase(filter, session.get());
  }
}

void Broker::schedule_expiry_locked(const std::string& client_id, ClientEntry& entry,
                                    std::uint32_t seconds) {
  entry.expiry_timer = std::make_unique<asio::steady_timer>(workers_.housekeeping());
  entry.expiry_timer->expires_after(std::chrono::seconds(seconds));
  entry.expiry_timer->async_wait(
      [this, client_id, session = entry.session.get()](const std::error_code& error) {
        if (!error) on_session_expired(client_id, session);
      });
}

void Broker::schedule_will_locked(const std::string& client_id, ClientEntry& entry,
                                  WillMessage will, std::uint32_t session_expiry) {
  // The will goes out after its delay or when the session ends, whichever comes first.
  const auto delay = std::min(will.delay_seconds, session_expiry);
  entry.pending_will = std::move(will);
  entry.will_timer = std::make_unique<asio::steady_timer>(workers_.housekeeping());
  entry.will_timer->expires_after(std::chrono::seconds(delay));
  entry.will_timer->async_wait(
      [this, client_id, session = entry.session.get()](const std::error_code& error) {
        if (!error) on_will_delay_elapsed(client_id, session);
      });
}

void Broker::on_session_expired(const std::string& client_id, const Session* session) {
  std::optional<WillMessage> pending_will;
  SessionPtr discarded;
  {
    std::lock_guard lock(registry_mutex_);
    auto found = clients_.find(client_id);
    if (found == clients_.end() || found->second.session.get() != session ||
        found->second.session->sink()) {
      return;
    }
    pending_will = std::move(found->second.pending_will);
    discarded = discard_session_locked(client_id);
  }
  spdlog::debug("session of {} expired", client_id);
  if (discarded) remove_all_subscriptions(discarded);
  if (pending_will) publish_will(*pending_will);
}

void Broker::on_will_delay_elapsed(const std::string& client_id, const Session* session) {
  std::optional<WillMessage> pending_will;
  {
    std::lock_guard lock(registry_mutex_);
    auto found = clients_.find(client_id);
    if (found == clients_.end() || found->second.session.get() != session) return;
    pending_will = std::move(found->second.pending_will);
    found->second.pending_will.reset();
  }
  if (pending_will) publish_will(*pending_will);
}

void Broker::publish_will(const WillMessage& will) {
  spdlog::debug("publishing will of {} to {}", will.message->publisher_id, will.message->topic);
  publish(will.message);
}

SessionPtr Broker::find_session(const std::string& client_id) const {
  std::lock_guard lock(registry_mutex_);
  auto found = clients_.find(client_id);
  return found == clients_.end() ? nullptr : found->second.session;
}

std::size_t Broker::session_count() const {
  std::lock_guard lock(registry_mutex_);
  return clients_.size();
}

std::size_t Broker::publish(const MessagePtr& message) {
  if (settings_.modules.delayed && router::is_delayed(message->topic)) {
    return hold_delayed(message);
  }
  if (!publish_rewrite_.empty()) {
    if (auto topic = publish_rewrite_.apply(message->topic)) {
      auto rewritten = std::make_shared<Message>(*message);
      rewritten->topic = std::move(*topic);
      return route(rewritten);
    }
  }
  return route(message);
}

std::size_t Broker::hold_delayed(const MessagePtr& message) {
  const auto outcome = delayed_.hold(message);
  if (outcome == DelayedPublisher::Outcome::Accepted) {
    metrics_.add(Metric::MessagesDelayed);
    return 1;
  }
  metrics_.message_dropped(message->qos);
  spdlog::warn("delayed publish from {} to '{}' dropped: {}", message->publisher_id, message->topic,
               outcome == DelayedPublisher::Outcome::Malformed ? "not $delayed/<seconds>/<topic>"
               : outcome == DelayedPublisher::Outcome::DelayTooLong
                   ? "delay above module.delayed.max_delay"
                   : "module.delayed.max_delayed_messages reached");
  return 0;
}

std::size_t Broker::route(const MessagePtr& message) {
  const bool from_client = !message->publisher_id.empty();
  if (from_client) {
    metrics_.message_received(message->qos);
    if (message->retain) metrics_.add(Metric::MessagesRetained);
  }
  if (message->retain) retainer_.store(message);

  // Collect targets under the shared lock, deliver after releasing it: delivery takes session
  // locks and must never nest inside the router lock.
  thread_local std::vector<Subscriber> targets;
  thread_local std::vector<std::pair<std::string, Subscriber>> shared_matches;
  targets.clear();
  shared_matches.clear();
  {
    std::shared_lock lock(router_mutex_);
    router_.match(message->topic,
                  [&](const std::string&, const Session*, const Subscriber& subscriber) {
                    targets.push_back(subscriber);
                  });
    shared_router_.match(message->topic, [&](const std::string& filter, const auto& key,
                                             const Subscriber& subscriber) {
      shared_matches.emplace_back(group_key(key.first, filter), subscriber);
    });
  }
  if (!shared_matches.empty()) pick_shared_targets(*message, shared_matches, targets);
  std::size_t delivered = 0;
  for (auto& target : targets) {
    const auto& options = target.record.options;
    const bool own_message = target.session->client_id() == message->publisher_id;
    if (own_message && (options.no_local || target.ignore_loop_deliver)) continue;
    Delivery delivery{message, target.session->delivery_qos(message->qos, options.qos),
                      options.retain_as_published && message->retain, target.record.subscription_id,
                      std::move(target.shared_group)};
    metrics_.message_sent(delivery.qos);
    target.session->deliver(std::move(delivery));
    ++delivered;
  }
  targets.clear();  // drop the session references now, not at the next publish
  if (delivered == 0 && from_client) {
    metrics_.message_dropped(message->qos);
    metrics_.add(Metric::MessagesDroppedNoSubscribers);
  }
  return delivered;
}

// One member per matching (group, filter), by the configured strategy.
void Broker::pick_shared_targets(const Message& message,
                                 std::vector<std::pair<std::string, Subscriber>>& matches,
                                 std::vector<Subscriber>& targets) {
  std::ranges::stable_sort(matches, {}, [](const auto& match) { return match.first; });
  std::vector<SharedDispatch::Candidate> candidates;
  for (auto begin = matches.begin(); begin != matches.end();) {
    auto end = std::find_if(begin, matches.end(),
                            [&](const auto& match) { return match.first != begin->first; });
    candidates.clear();
    for (auto it = begin; it != end; ++it) {
      const auto& session = *it->second.session;
      candidates.push_back({session.client_id(), session.sink() != nullptr});
    }
    const auto chosen =
        shared_dispatch_.pick(begin->first, candidates, message.publisher_id, message.topic);
    auto& picked = (begin + static_cast<std::ptrdiff_t>(chosen))->second;
    picked.shared_group = begin->first;
    targets.push_back(std::move(picked));
    begin = end;
  }
  matches.clear();
}

std::uint8_t Broker::subscribe(const SessionPtr& session, const ClientInfo& client,
                               const std::string& original_filter,
                               const SubscriptionRecord& record) {
  const std::string& requested = original_filter;
  const auto& zone = settings_.zone(client.zone);
  if (!router::is_valid_topic_filter(requested, zone.mqtt.max_topic_levels)) {
    return mqtt::rc::kTopicFilterInvalid;
  }
  const bool shared = is_shared_filter(requested);
  if (shared && !zone.mqtt.shared_subscription) {
    return mqtt::rc::kSharedSubscriptionsNotSupported;
  }
  if (!zone.mqtt.wildcard_subscription && router::has_wildcard(requested)) {
    return mqtt::rc::kWildcardSubscriptionsNotSupported;
  }
  // ACL rules see the filter as the client wrote it, as for publish: without the mountpoint.
  std::string_view as_written = requested;
  if (!client.mountpoint.empty() && as_written.starts_with(client.mountpoint)) {
    as_written.remove_prefix(client.mountpoint.size());
  }
  if (!authorize(client, AclAction::Subscribe, as_written)) return mqtt::rc::kNotAuthorized;
  const std::string filter = rewrite_filter(requested);
  if (zone.max_subscriptions != 0 && session->subscription_count() >= zone.max_subscriptions &&
      !session->subscriptions().contains(filter)) {
    return mqtt::rc::kQuotaExceeded;
  }
  SubscriptionRecord granted = record;
  granted.options.qos = std::min(record.options.qos, zone.mqtt.max_qos_allowed);
  const bool is_new = session->add_subscription(filter, granted);
  {
    std::unique_lock lock(router_mutex_);
    const Subscriber subscriber{session, granted, zone.mqtt.ignore_loop_deliver};
    index_subscription_locked(filter, session, &subscriber);
  }
  // Retained messages are not sent for shared subscriptions (MQTT 5, 4.8.2).
  const auto retain_handling = granted.options.retain_handling;
  if (!shared && (retain_handling == 0 || (retain_handling == 1 && is_new))) {
    deliver_retained(session, filter, granted);
  }
  return granted.options.qos;
}

void Broker::deliver_retained(const SessionPtr& session, const std::string& filter,
                              const SubscriptionRecord& record) {
  for (auto& message : retainer_.match(filter)) {
    const std::uint8_t qos = session->delivery_qos(message->qos, record.options.qos);
    session->deliver(Delivery{std::move(message), qos, /*retain=*/true, record.subscription_id});
  }
}

std::string Broker::rewrite_filter(const std::string& filter) const {
  if (subscribe_rewrite_.empty()) return filter;
  if (auto shared = router::parse_shared(filter)) {
    auto inner = subscribe_rewrite_.apply(shared->filter);
    if (!inner) return filter;
    const auto prefix = filter.substr(0, filter.size() - shared->filter.size());
    return prefix + *inner;
  }
  return subscribe_rewrite_.apply(filter).value_or(filter);
}

bool Broker::unsubscribe(const SessionPtr& session, const std::string& original_filter) {
  const auto filter = rewrite_filter(original_filter);
  const bool existed = session->remove_subscription(filter);
  if (existed) {
    std::unique_lock lock(router_mutex_);
    index_subscription_locked(filter, session, nullptr);
  }
  return existed;
}

std::vector<StatValue> Broker::stats() {
  std::uint64_t sessions = 0;
  std::uint64_t persistent = 0;
  {
    std::lock_guard lock(registry_mutex_);
    sessions = clients_.size();
    for (const auto& [client_id, entry] : clients_) {
      if (entry.session && entry.session->expiry_interval() != 0) ++persistent;
    }
  }
  std::uint64_t subscriptions = 0;
  std::uint64_t shared = 0;
  std::uint64_t routes = 0;
  {
    std::shared_lock lock(router_mutex_);
    shared = shared_router_.size();
    subscriptions = router_.size() + shared;
    routes = router_.filter_count() + shared_router_.filter_count();
  }
  // The seed's names; topics equal routes, suboptions and subscribers equal subscriptions.
  const std::array<StatValue, 10> current{{
      {"connections", counters_.connections.load(std::memory_order_relaxed)},
      {"sessions", sessions},
      {"sessions/persistent", persistent},
      {"subscriptions", subscriptions},
      {"subscriptions/shared", shared},
      {"suboptions", subscriptions},
      {"subscribers", subscriptions},
      {"topics", routes},
      {"routes", routes},
      {"retained", retainer_.size()},
  }};
  static constexpr std::array<std::array<std::string_view, 2>, 10> kNames{{
      {"connections/count", "connections/max"},
      {"sessions/count", "sessions/max"},
      {"sessions/persistent/count", "sessions/persistent/max"},
      {"subscriptions/count", "subscriptions/max"},
      {"subscriptions/shared/count", "subscriptions/shared/max"},
      {"suboptions/count", "suboptions/max"},
      {"subscribers/count", "subscribers/max"},
      {"topics/count", "topics/max"},
      {"routes/count", "routes/max"},
      {"retained/count", "retained/max"},
  }};
  std::vector<StatValue> result;
  std::lock_guard lock(stats_mutex_);
  stats_max_.resize(current.size(), 0);
  for (std::size_t i = 0; i < current.size(); ++i) {
    stats_max_[i] = std::max(stats_max_[i], current[i].value);
    result.push_back({kNames[i][0], current[i].value});
    result.push_back({kNames[i][1], stats_max_[i]});
  }
  result.push_back({"delayed/count", delayed_.pending()});
  return result;
}

void Broker::shutdown() {
  delayed_.stop();
  std::vector<SessionPtr> sessions;
  {
    std::lock_guard lock(registry_mutex_);
    for (auto& [client_id, entry] : clients_) {
      entry.expiry_timer.reset();
      entry.will_timer.reset();
      if (entry.session) sessions.push_back(entry.session);
    }
    clients_.clear();
  }
  for (const auto& session : sessions) {
    remove_all_subscriptions(session);
    // A connection that never got to close would keep its session (and itself) alive.
    if (auto sink = session->sink()) session->detach(sink.get());
  }
}

}  // namespace gatemq::broker
