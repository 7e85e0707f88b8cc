// A session's output on its way to one connection's thread, kept in the order the session made it,
// and the measure of how far that connection is behind.
//
// Order: a session calls its sink under its own lock, from whichever thread touched it, so the
// order of push() calls is the order of the session's deliveries. asio::post alone does not keep
// that order: a post made from the connection's own thread (a resume resending unacknowledged
// messages) waits in that thread's private queue until the running handler returns, and a post
// from another thread (a new message routed meanwhile) can overtake it.
//
// Backlog: every item counts its approximate wire size from push() until the connection says the
// bytes left (release(), after the write that carried them). Above `hold_publishers_above` the
// push is reported to the publishing connection on this thread (PublishCongestion), which stops
// reading until the backlog is back under `resume_publishers_below` (wait_for_drain()), so a
// subscriber that cannot keep up slows its publishers down instead of making the broker read,
// route and then throw away what they send. Above `drop_qos0_above` a QoS 0 message is refused
// at once: that bounds memory when nobody can be held back (the publisher is a gateway, or the
// connection stopped reading and publishers no longer wait for it). QoS 1/2 items are never
// refused here: the session's inflight window bounds them.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/broker/delivery.hpp"
#include "core/broker/metrics.hpp"

namespace gatemq::broker {

struct BacklogLimits {
  std::size_t hold_publishers_above = 1024 * 1024;
  std::size_t resume_publishers_below = 512 * 1024;
  std::size_t drop_qos0_above = 8 * 1024 * 1024;
  // A connection over its hold level whose output made no progress for this long (its peer
  // stopped reading) is lagging: publishers stop waiting for it (its QoS 0 messages are dropped
  // past drop_qos0_above instead) until it catches up. While it does read, however slowly,
  // publishers are paced to it. Zero: never hold publishers back.
  std::chrono::milliseconds max_hold{100};

  // The limits for a connection whose QoS 0 output may reach `max_buffer` bytes.
  static BacklogLimits for_buffer(std::size_t max_buffer, std::chrono::milliseconds max_hold);
  // The built-in zone defaults (max_output_buffer 8MB, max_publisher_hold 100ms).
  static const BacklogLimits& defaults();
};

class OutboundMailbox {
 public:
  // A QoS 0 message refused for the backlog counts in `metrics` as dropped for a slow
  // subscriber.
  // `limits` must outlive the mailbox (they live in the listener's or gateway's context).
  explicit OutboundMailbox(Metrics& metrics,
                           const BacklogLimits& limits = BacklogLimits::defaults())
      : metrics_(metrics), limits_(limits) {}
  ~OutboundMailbox();
  OutboundMailbox(const OutboundMailbox&) = delete;
  OutboundMailbox& operator=(const OutboundMailbox&) = delete;

  // Queues `item` (from any thread), or refuses a QoS 0 one over drop_qos0_above. True when
  // the caller must schedule a drain: the first item since the last take(); later items ride
  // along. `owner`, the connection that owns the mailbox, keeps it alive for a publisher that
  // waits for it.
  bool push(Outbound item, const std::weak_ptr<void>& owner);

  struct Batch {
    std::vector<Outbound> items;  // oldest first
    std::size_t bytes = 0;        // their accounted size: release() it once they are written
  };
  Batch take();
  // take() for a connection that does not follow its bytes onto the wire: they count as gone
  // once taken, so only the mailbox itself is bounded.
  std::vector<Outbound> take_and_release();
  // `bytes` of what take() handed out have left (written, or discarded). Wakes the waiting
  // publishers once the backlog is below resume_publishers_below.
  void release(std::size_t bytes);

  // The session's queue for this connection (QoS 1/2 past the inflight window) is filling up:
  // publishers feeding it are held back as for a byte backlog, until session_queue_drained().
  // Called under the session's lock; reported to the open PublishCongestion scope.
  void session_queue_filling(const std::weak_ptr<void>& owner);
  void session_queue_drained();

  // Registers `wake` to run (on the thread that drains this mailbox, or at once on destruction)
  // when the backlog falls below resume_publishers_below. False, and `wake` is not kept, when
  // there is nothing to wait for: caught up already, or the connection is lagging. One wake per
  // `waiter` (the publisher): a new one replaces the one it left from an earlier wait, so the
  // list stays as long as the number of publishers however often they give up waiting.
  bool wait_for_drain(const void* waiter, std::function<void()> wake);

  std::size_t backlog_bytes() const;
  static std::size_t accounted_size(const Outbound& item);

 private:
  // Whether publishers should be held for this connection now that it is over a hold level;
  // marks it lagging once it has been over for longer than max_hold.
  bool should_hold_locked();
  // Under every hold level again: not lagging any more, waiters are handed out to be woken.
  struct Waiter {
    const void* key;
    std::function<void()> wake;
  };
  void check_caught_up_locked(std::vector<Waiter>& woken);

  Metrics& metrics_;
  const BacklogLimits& limits_;
  mutable std::mutex mutex_;
  std::vector<Outbound> items_;
  std::size_t queued_bytes_ = 0;   // in items_
  std::size_t backlog_bytes_ = 0;  // queued plus taken but not yet released
  bool drain_scheduled_ = false;
  bool session_queue_filling_ = false;
  bool lagging_ = false;
  bool congested_ = false;  // over a hold level since it last caught up
  std::chrono::steady_clock::time_point last_progress_;  // while congested: last bytes written
  std::vector<Waiter> waiters_;  // publishers held back until the drain
};

// Which congested mailboxes the publishing connection on this thread fed while its input was
// being handled: the connection opens a Scope around handing packets to the broker and, after
// it, waits for the mailboxes listed before it reads more. Pushes with no Scope open (gateways,
// wills, $SYS, delayed messages) are not reported: nothing can be held back there.
class PublishCongestion {
 public:
  struct Entry {
    std::weak_ptr<void> owner;
    OutboundMailbox* mailbox = nullptr;
  };

  class Scope {
   public:
    Scope();
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    // The congested mailboxes reported since the scope opened; the list is this thread's and
    // is valid until the next Scope opens on it.
    std::vector<Entry>& entries();

   private:
    bool was_open_;
  };

  // Called by OutboundMailbox::push when over its hold level; a no-op without an open Scope.
  static void report(OutboundMailbox& mailbox, const std::weak_ptr<void>& owner);
  // Whether the open Scope on this thread has anything reported yet.
  static bool reported();
};

}  // namespace gatemq::broker
