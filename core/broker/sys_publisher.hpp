// The `$SYS/brokers/<node>/...` topics: version and description at start (retained), uptime and
// datetime every broker.sys_heartbeat, stats/* and metrics/* every broker.sys_interval, and the
// clients/<clientid>/connected|disconnected events of every protocol as they happen.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "core/broker/broker.hpp"

namespace gatemq::broker {

class SysPublisher {
 public:
  SysPublisher(Broker& broker, asio::io_context& context, std::string version);
  // Registers the event hooks (before the workers run) and starts the timers.
  void start();
  void stop();

  // The seed's JSON payloads of the presence events.
  static std::string connected_payload(const ClientInfo& client, std::int64_t unix_seconds);
  static std::string disconnected_payload(const ClientInfo& client, std::string_view reason,
                                          std::int64_t unix_seconds);

 private:
  void publish(std::string_view suffix, std::string payload, bool retain = false);
  void publish_heartbeat();
  void publish_stats();
  void arm(asio::steady_timer& timer, std::chrono::milliseconds period,
           void (SysPublisher::*tick)());

  Broker& broker_;
  std::string version_;
  std::string prefix_;  // "$SYS/brokers/<node>/"
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer stats_timer_;
  bool stopped_ = false;
};

}  // namespace gatemq::broker
