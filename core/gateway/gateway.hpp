// The gateway kind of plugin (core/plugin/plugin.hpp). A gateway turns a device protocol into
// broker clients: it owns its listeners, runs its connections on the broker's I/O workers, and
// talks to the core only through the Broker API (via GatewayClient). Its descriptor has
// Kind::Gateway; its name is the `protocol` of its clients and the {name} of /gateways/{name}.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/plugin/plugin.hpp"

namespace gatemq::gateway {

// Per-gateway counters, readable from any thread (management API, $SYS later).
struct GatewayStats {
  std::atomic<std::uint64_t> clients{0};   // connected now
  std::atomic<std::uint64_t> connects{0};  // accepted CONNECTs since start
  std::atomic<std::uint64_t> auth_failures{0};
  std::atomic<std::uint64_t> messages_up{0};       // device -> broker
  std::atomic<std::uint64_t> messages_down{0};     // broker -> device
  std::atomic<std::uint64_t> messages_dropped{0};  // could not be framed or not authorized
  std::atomic<std::uint64_t> malformed{0};         // bad input, protocol violations
};

// start() binds every listener (throwing std::runtime_error naming the gateway, listener and
// address), stop() stops accepting, close_connections() closes every connection of this gateway.
// apply_live() changes what it can without dropping clients (work on connections is posted to
// the workers); everything else in the section needs `plugins reload`.
class Gateway : public plugin::Plugin {
 public:
  virtual std::string_view name() const = 0;  // "stomp": the protocol of its clients
  void close_connections(std::uint8_t reason_code) override = 0;
  std::vector<std::string> listener_descriptions() const override = 0;
  // Shared: the management API may still read them while an unloaded gateway goes away.
  virtual std::shared_ptr<const GatewayStats> stats() const = 0;
  std::vector<std::pair<std::string, std::uint64_t>> counters() const override;
};

}  // namespace gatemq::gateway
