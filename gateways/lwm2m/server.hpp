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
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateways/coap/dtls.hpp"
#include "gateways/coap/libcoap.hpp"
#include "gateways/lwm2m/blockwise.hpp"
#include "gateways/lwm2m/commands.hpp"
#include "gateways/lwm2m/endpoint.hpp"

namespace gatemq::gateway::lwm2m {

class Lwm2mServer final : public EndpointOwner, public std::enable_shared_from_this<Lwm2mServer> {
 public:
  // Requests one device may have in flight, commands and their follow-up blocks together
  // (libcoap sends them one at a time, NSTART = 1).
  static constexpr std::size_t kMaxInFlight = 64;

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
  // A device answer coming in Block2 blocks (RFC 7959 §2.4): the gateway asks for each next
  // block itself (libcoap's block mode is off) and decodes the whole at the end.
  struct BlockTransfer {
    Assembly assembly;
    std::string first_token;  // of the first block: the observation's token for an observe
    std::optional<std::uint16_t> content_format;
    std::optional<std::uint32_t> observe;  // the first block's Observe value
    bool notification = false;             // the rest of a notification, not a command's answer
  };
  struct Pending {
    std::string registration_id;
    Command command;
    std::chrono::steady_clock::time_point deadline;
    std::optional<BlockTransfer> transfer;
    // A payload over one block goes out in Block1 blocks (RFC 7959 §2.5): the block sent last.
    std::optional<Block> sent_block;
  };
  // An observation the device accepted: its notifications carry the token.
  struct Observation {
    std::string registration_id;
    nlohmann::json echo;  // the observe command's fields, for the notifications
    std::string req_path;
    Path path;
    DeviceRequest request;  // without Observe: fetches the rest of a block-wise notification
  };
  // A whole answer (one datagram or reassembled blocks).
  struct Answer {
    std::uint8_t code = 0;
    std::string payload;
    std::optional<std::uint16_t> content_format;
    std::optional<std::uint32_t> observe;
    std::string token;  // of the first (or only) block
  };
  // The body of a request that came in Block1 blocks, complete.
  struct Upload {
    Block last;
    std::string body;
  };

  void wait();
  void process();
  void tick();

  void route(coap_session_t* session, const coap_pdu_t* request, std::string_view body,
             coap_pdu_t* response, const std::string& peer);
  void register_endpoint(coap_session_t* session, const coap_pdu_t* request, std::string_view body,
                         coap_pdu_t* response, const std::string& peer);
  void update(Endpoint& endpoint, coap_session_t* session, const coap_pdu_t* request,
              std::string_view body, coap_pdu_t* response);
  // A request carrying Block1 (server_blockwise.cpp): answers 2.31 (or an error) and returns
  // nullopt until the last block, then the whole body for the request to be handled as one.
  std::optional<Upload> receive_upload(const coap_pdu_t* request, coap_pdu_t* response,
                                       const std::string& peer);
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
  void conclude(Endpoint& endpoint, const Pending& pending, const Answer& answer);
  void notification(Endpoint& endpoint, const Observation& observation, const Answer& answer);
  // Content of a 2.05 answer for `path`: decoded values, or nullopt when undecodable.
  std::optional<nlohmann::json> decode_content(const Answer& answer, const Path& path, bool links);
  // The request of `request` as a CON PDU for the device (nullptr when it cannot be built).
  // With block1, only that block of the payload goes.
  coap::PduPtr make_request(Endpoint& endpoint, const DeviceRequest& request,
                            const std::string& token, std::optional<Block> block2,
                            std::optional<Block> block1 = std::nullopt);
  // Block2 (server_blockwise.cpp): a block of a pending command's answer arrived.
  void receive_block(Endpoint& endpoint, Pending pending, const coap_pdu_t* received,
                     const std::string& token);
  // Asks for the next block of a pending answer (block2), or sends the next block of a pending
  // request's payload (block1), under a new token.
  void request_block(Endpoint& endpoint, Pending pending, std::optional<Block> block2,
                     std::optional<Block> block1 = std::nullopt);
  // Block1: the device took a block of a request's payload (2.31): the next one goes.
  void send_next_block(Endpoint& endpoint, Pending pending, const coap_pdu_t* received);
  // The first block of a block-wise notification: the rest comes with plain GETs (§2.6).
  void start_notification_transfer(Endpoint& endpoint, const std::string& token,
                                   const Observation& observation, const coap_pdu_t* received);
  // A pending command that ends without an answer: published, unless it was a notification's.
  void give_up(Endpoint& endpoint, const Pending& pending, std::uint8_t code);
  void drop_state_of(const std::string& registration_id);
  // A queue-mode device spoke: it listens for a while, so what was held for it goes now
  // (posted, so that the answer to its own request leaves first).
  void woke_up(Endpoint& endpoint);

  // When a request sent now has waited long enough for its answer.
  std::chrono::steady_clock::time_point command_deadline() const;
  std::shared_ptr<Endpoint> find(const std::string& registration_id) const;
  std::string new_token();
  std::string new_registration_id();

  std::shared_ptr<const GatewayContext> context_;
  asio::io_context& io_;
  std::unique_ptr<coap::DtlsSetup> dtls_;  // before coap_: libcoap reads it until it is freed
  coap::ContextPtr coap_;
  std::optional<asio::posix::stream_descriptor> descriptor_;  // a dup of libcoap's epoll fd
  asio::steady_timer tick_timer_;
  std::string local_;
  std::string dtls_local_;  // "0.0.0.0:5784" when DTLS is on
  bool stopped_ = false;
  std::mt19937_64 random_;
  std::unordered_map<std::string, std::shared_ptr<Endpoint>> registrations_;  // by id
  std::unordered_map<std::string, std::string> by_endpoint_;                  // endpoint name -> id
  std::map<std::string, Pending> pending_;                                    // by token
  std::map<std::string, Observation> observations_;                           // by token
  // Block1 registrations / updates being received: object lists up to 64 KiB, 256 at once,
  // dropped after EXCHANGE_LIFETIME (RFC 7252 §4.8.2, 247 s) without a next block.
  Uploads uploads_{64 * 1024, 256, std::chrono::seconds(247)};
};

}  // namespace gatemq::gateway::lwm2m
