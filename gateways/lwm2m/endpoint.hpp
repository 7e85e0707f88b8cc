// One registered LwM2M device as a broker client (client id = endpoint name, protocol
// "lwm2m"): its registration, the libcoap session it talks on, the lifetime timer, and the
// command-topic subscription whose deliveries become CoAP requests (through the owner). Runs on
// the gateway's single worker; SessionSink calls only post there.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/broker/broker.hpp"
#include "core/broker/delivery.hpp"
#include "core/broker/outbound_mailbox.hpp"
#include "core/gateway/gateway_client.hpp"
#include "core/gateway/live_value.hpp"
#include "gateways/coap/libcoap.hpp"
#include "gateways/lwm2m/commands.hpp"
#include "gateways/lwm2m/object_registry.hpp"
#include "gateways/lwm2m/settings.hpp"

namespace gatemq::gateway::lwm2m {

// What the server and all its endpoints share, fixed at start-up.
struct GatewayContext {
  broker::Broker& broker;
  std::shared_ptr<GatewayStats> stats;  // shared: endpoints may outlive the gateway object
  Lwm2mSettings settings;
  // Swapped whole when `gatemq ctl reload` reads lwm2m.xml_dir again (Lwm2mGateway::apply_live).
  std::shared_ptr<LiveValue<ObjectRegistry>> registry;
  std::string listener_name;  // "lwm2m-gateway:udp"
};

struct Registration {
  std::string id;  // the `<id>` of the Location-Path rd/<id>
  std::string endpoint;
  std::chrono::seconds lifetime{86400};
  std::string version = "1.0";
  std::string binding = "U";
  std::string alternate_path = "/";
  std::vector<std::string> objects;  // "/3/0", ...
  bool queue_mode = false;           // binding with Q, or the LwM2M 1.1 Q parameter
};

// The registration as the register / update messages carry it.
nlohmann::json registration_json(const Registration& registration);

class EndpointOwner {
 public:
  virtual ~EndpointOwner() = default;
  // A command arrived on the endpoint's command topic (on the worker).
  virtual void command(const std::string& registration_id, std::string payload) = 0;
  // The endpoint ended (lifetime, broker kick or takeover): forget `endpoint` if registered.
  virtual void ended(const std::string& registration_id, const void* endpoint) = 0;
};

class Endpoint final : public broker::SessionSink, public std::enable_shared_from_this<Endpoint> {
 public:
  Endpoint(std::shared_ptr<const GatewayContext> context, asio::io_context& io,
           EndpointOwner& owner, Registration registration, coap_session_t* session);

  // Becomes a broker client and subscribes to the command topic; false when refused.
  bool connect();
  bool open() const { return client_.connected() && !closed_; }

  const Registration& registration() const { return registration_; }
  Registration& registration() { return registration_; }
  coap_session_t* session() const { return session_.get(); }
  // A register or update from another address (NAT rebinding): later requests go there.
  void move_to(coap_session_t* session);
  std::string peer() const;  // "127.0.0.1:5000" for logs
  const std::string& log_name() const { return log_name_; }

  // Restarts the lifetime (register, update).
  void refresh();

  // Queue mode (TS 1.0 §5.3.5 / TS 1.1 §6.4): a device in queue mode listens only for
  // lwm2m.qmode_time_window after each message it sends; commands for it wait until then.
  void heard_from();
  bool sleeping() const;
  // Holds a command for the next wake-up; false when too many are waiting (then not held).
  bool hold(Command command);
  std::deque<Command> take_held();

  // Commands sent and not answered yet; bounded so an MQTT client cannot pile up state for a
  // device that does not answer.
  std::size_t in_flight = 0;
  // Publishes `message` on the topic template (lwm2m.topics.*) expanded for this endpoint.
  void publish(const std::string& topic_template, const nlohmann::json& message);

  void close(broker::CloseKind kind, const std::string& why);

  // broker::SessionSink
  void send(broker::Outbound item) override;
  bool accepts(const broker::Delivery& delivery) const override;
  void close_by_broker(std::uint8_t reason_code) override;

 private:
  void deliver(broker::OutboundPublish&& publish);
  void arm_lifetime();

  std::shared_ptr<const GatewayContext> context_;
  asio::io_context& io_;
  EndpointOwner& owner_;
  Registration registration_;
  coap::SessionRef session_;  // held so libcoap keeps the session while registered
  GatewayClient client_;
  std::string log_name_;
  broker::OutboundMailbox mailbox_{context_->broker.metrics()};
  asio::steady_timer lifetime_timer_;
  std::chrono::steady_clock::time_point refreshed_;
  std::chrono::steady_clock::time_point awake_until_;
  std::deque<Command> held_;
  bool closed_ = false;
};

}  // namespace gatemq::gateway::lwm2m
