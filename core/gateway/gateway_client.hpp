// The broker side of one gateway connection: everything a device protocol needs to be a
// first-class broker client. Authentication through the hook chain, a real session (takeover by
// the same client id from any protocol, offline queue, expiry), mountpoint and topic templates,
// ACL on publish and subscribe, and the connected/disconnected events. A gateway's channel keeps
// one of these and calls it from its own executor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/broker/broker.hpp"
#include "core/broker/client_info.hpp"
#include "core/gateway/gateway.hpp"

namespace gatemq::gateway {

struct GatewayClientOptions {
  std::string gateway;   // "tcp"
  std::string listener;  // "tcp-gateway:external"
  std::string zone = "external";
  std::string mountpoint;  // template: %c, %u, %e, %a
};

class GatewayClient {
 public:
  GatewayClient(broker::Broker& broker, GatewayStats& stats, GatewayClientOptions options,
                std::string peer_host, std::uint16_t peer_port);
  ~GatewayClient();
  GatewayClient(const GatewayClient&) = delete;
  GatewayClient& operator=(const GatewayClient&) = delete;

  struct Connection {
    std::string client_id;
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::string endpoint;  // %e (LwM2M endpoint name); empty elsewhere
    bool clean_start = true;
    std::uint32_t session_expiry_seconds = 0;
    std::uint32_t keepalive = 0;              // seconds (ClientInfo::keepalive)
    std::optional<broker::WillMessage> will;  // topic already expanded, without mountpoint
  };
  enum class ConnectResult { Accepted, NotAuthorized };  // NotAuthorized also when banned
  ConnectResult connect(Connection connection, std::shared_ptr<broker::SessionSink> sink);
  bool connected() const { return session_ != nullptr; }

  // `%c`, `%u`, `%e`, `%a` of this client filled in (gateway up/down topic templates).
  std::string expand(std::string_view topic_template) const;

  // Publishes as this client (topic without mountpoint). False when the ACL denies it.
  bool publish(std::string_view topic, std::string payload, std::uint8_t qos, bool retain,
               const mqtt::Properties& properties = {});
  // Granted QoS, or a v5 failure code (>= 0x80). `subscription_id` comes back on each Delivery,
  // so a protocol with named subscriptions (STOMP) knows which one a message is for.
  std::uint8_t subscribe(std::string_view filter, std::uint8_t qos,
                         std::optional<std::uint32_t> subscription_id = std::nullopt);
  bool unsubscribe(std::string_view filter);
  // The retained message of `topic` (without mountpoint), when the ACL lets this client
  // subscribe to it: nullopt when denied, a null pointer when the topic has none.
  std::optional<broker::MessagePtr> read_retained(std::string_view topic) const;

  // Ends the connection's part of the session: kind decides the will, expiry starts.
  void disconnect(broker::CloseKind kind, std::string_view reason);

  // The topic a delivery has for this client (mountpoint removed).
  std::string_view device_topic(std::string_view topic) const;

  const broker::ClientInfo& info() const { return info_; }
  const broker::SessionPtr& session() const { return session_; }

 private:
  broker::Broker& broker_;
  GatewayStats& stats_;
  GatewayClientOptions options_;
  broker::ClientInfo info_;
  std::string endpoint_;
  broker::SessionPtr session_;
  const broker::SessionSink* sink_ = nullptr;
};

}  // namespace gatemq::gateway
