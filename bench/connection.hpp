// What a worker drives: one benchmark client, an MQTT client over TCP (Client) or an MQTT-SN
// client over UDP (SnClient). The life cycle both share lives here: the handshake's states and
// deadline, the publishing schedule, closing, and what each step records in the worker's
// statistics, so every kind of client counts the same things the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/publish_pacer.hpp"

namespace gatemq::bench {

class Worker;

class Connection {
 public:
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;

  virtual void start() = 0;             // begin the handshake (the worker paces the calls)
  virtual void start_publishing() = 0;  // every client of the run is ready: go
  virtual void stop() = 0;              // end of run: DISCONNECT and close, no error counted
  // Once a second: keep alive, and the handshake deadline.
  virtual void tick(std::uint64_t now) = 0;

 protected:
  // WaitTopicAck: SUBACK for a subscriber's filter, REGACK for an MQTT-SN publisher's topic.
  enum class State : std::uint8_t { Idle, Connecting, WaitConnack, WaitTopicAck, Ready, Closed };
  // Why a connection ended, which decides the counter that says so.
  enum class Why : std::uint8_t { Stop, HandshakeFailed, Lost, ProtocolError };

  Connection(Worker& worker, std::uint32_t index);

  void begin_handshake(State first);  // the handshake begins now, in state `first`
  void become_ready();                // the handshake succeeded now
  bool handshake_overdue(std::uint64_t now) const;
  void start_pacer();                 // --rate > 0: publish_due() from now on
  void note_sent(std::uint64_t now);  // a PUBLISH left at `now`
  void stamp_payload(void* payload, std::uint64_t now) const;  // the stamp subscribers read
  void note_received(std::string_view payload);  // a message arrived now: count, latency
  void close(Why why);  // ends the connection once; `why` decides which counter says so

  Worker& worker_;
  std::uint32_t index_;
  std::string client_id_;
  std::string topic_;  // the expanded topic (publishers) or filter (subscribers)
  State state_ = State::Idle;
  bool publishing_ = false;
  bool stopping_ = false;
  std::optional<PublishPacer> pacer_;  // rate-limited publishers only

 private:
  // Publishes up to `due` messages for the pacer and returns how many went out.
  virtual std::uint64_t publish_due(std::uint64_t due) = 0;
  virtual void close_transport() = 0;

  std::uint64_t connect_started_ = 0;
};

}  // namespace gatemq::bench
