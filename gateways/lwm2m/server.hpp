// The LwM2M gateway's libcoap context on one I/O worker, on the CoAP gateway's stack
// (gatemq_coap_stack): the Registration interface (/rd) as a CoAP server, and Device
// Management / Information Reporting as a CoAP client of each registered device's server
// session. Like the CoAP gateway, Asio waits on libcoap's epoll descriptor and lets libcoap
// work with coap_io_process(COAP_IO_NO_WAIT): every libcoap call is on this one thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateways/coap/libcoap.hpp"
#include "gateways/lwm2m/commands.hpp"
#include "gateways/lwm2m/endpoint.hpp"

namespace gatemq::gateway::lwm2m {

class Lwm2mServer final : public EndpointOwner, public std::enable_shared_from_this<Lwm2mServer> {
 public:
  Lwm2mServer(std::shared_ptr<const GatewayContext> context, asio::io_context& io);
  ~Lwm2mServer() override;

  // Creates the context and binds the endpoint (before the workers run); throws
  // std::runtime_error naming the address.
  void open();
  void start();
  void stop();
  void close_connections();
  std::string description() const;

  // EndpointOwner
  void command(const std::string& registration_id, std::string payload) override;
  void ended(const std::string& registration_id, const void* endpoint) override;

  // libcoap callbacks, on the worker inside coap_io_process().
  void handle(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response);
  coap_response_t on_response(coap_session_t* session, const coap_pdu_t* received);
  void on_nack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason);

 private:
  // A command sent to a device, waiting for its response.
  struct Pending {
    std::string registration_id;
    Command command;
    std::chrono::steady_clock::time_point deadline;
  };
  // An observation the device accepted: its notifications carry the token.
  struct Observation {
    std::string registration_id;
    nlohmann::json echo;  // the observe command's fields, for the notifications
    std::string req_path;
    Path path;
  };

  void wait();
  void process();
  void tick();

  void register_endpoint(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response,
                         const std::string& peer);
  void update(Endpoint& endpoint, coap_session_t* session, const coap_pdu_t* request,
              coap_pdu_t* response);
  void deregister(Endpoint& endpoint, coap_pdu_t* response);
  void handle_command(const std::shared_ptr<Endpoint>& endpoint, const std::string& payload);
  // lwm2m.auto_observe: observes the configured paths (or every registered instance) of a
  // device that just registered, as if an MQTT client had sent "observe" commands.
  void auto_observe(Endpoint& endpoint);

  // Sends `command` to the device; the outcome is published on the response topic.
  void send(Endpoint& endpoint, Command command);
  void respond(Endpoint& endpoint, const Command& command, std::uint8_t code,
               const std::optional<nlohmann::json>& content = std::nullopt);
  // Publishes the device's answer to a pending command (and starts an observation).
  void answer(Endpoint& endpoint, Pending pending, const coap_pdu_t* received,
              const std::string& token);
  void notification(Endpoint& endpoint, const Observation& observation, const coap_pdu_t* received,
                    std::uint32_t sequence);
  // Content of a 2.05 answer for `path`: decoded values, or nullopt when undecodable.
  std::optional<nlohmann::json> decode_content(const coap_pdu_t* received, const Path& path,
                                               bool links);
  void drop_state_of(const std::string& registration_id);
  // A queue-mode device spoke: it listens for a while, so what was held for it goes now
  // (posted, so that the answer to its own request leaves first).
  void woke_up(Endpoint& endpoint);

  std::shared_ptr<Endpoint> find(const std::string& registration_id) const;
  std::string new_token();
  std::string new_registration_id();

  std::shared_ptr<const GatewayContext> context_;
  asio::io_context& io_;
  coap::ContextPtr coap_;
  std::optional<asio::posix::stream_descriptor> descriptor_;  // a dup of libcoap's epoll fd
  asio::steady_timer tick_timer_;
  std::string local_;
  bool stopped_ = false;
  std::mt19937_64 random_;
  std::unordered_map<std::string, std::shared_ptr<Endpoint>> registrations_;  // by id
  std::unordered_map<std::string, std::string> by_endpoint_;                  // endpoint name -> id
  std::map<std::string, Pending> pending_;                                    // by token
  std::map<std::string, Observation> observations_;                           // by token
};

}  // namespace gatemq::gateway::lwm2m
