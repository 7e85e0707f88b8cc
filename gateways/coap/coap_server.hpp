// The gateway's libcoap context on one I/O worker: one UDP endpoint, the resources, and the
// registry of clients by client id. libcoap runs its own epoll set (socket and retransmission
// timer); Asio waits for that descriptor to become readable and then lets libcoap work with
// coap_io_process(COAP_IO_NO_WAIT), so the worker thread never blocks inside libcoap. Every
// libcoap call happens on this one thread, as libcoap requires.
#pragma once

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateways/coap/coap_client.hpp"
#include "gateways/coap/dtls.hpp"
#include "gateways/coap/libcoap.hpp"
#include "gateways/coap/uri.hpp"

namespace gatemq::gateway::coap {

class CoapServer final : public ClientOwner, public std::enable_shared_from_this<CoapServer> {
 public:
  CoapServer(std::shared_ptr<const GatewayContext> context, asio::io_context& io);
  ~CoapServer() override;

  // Creates the context and binds the endpoint (before the workers run); throws
  // std::runtime_error naming the address.
  void open();
  void start();
  // Both post to the context's worker: stop() stops answering, close_connections() ends every
  // client and frees the libcoap context.
  void stop();
  void close_connections();
  std::string description() const;

  void forget(const std::string& client_id, const void* client) override;

  // libcoap callbacks, on the worker inside coap_io_process().
  void handle(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
              const coap_string_t* query, coap_pdu_t* response);
  void on_nack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason);

 private:
  struct Request {
    coap_resource_t* resource;          // for block-wise responses
    const coap_string_t* query_string;  // likewise (matches the later block requests)
    coap_session_t* session;
    const coap_pdu_t* pdu;
    coap_pdu_t* response;
    coap_pdu_code_t method;
    bool confirmable;
    Query query;
    std::string peer;  // "127.0.0.1:5000" for logs
  };

  void add_resources();
  void wait();
  void process();
  void tick();
  // An empty ACK or RST from `peer`: the client whose CON notification it answers sends on.
  void settle(const std::string& peer, std::uint16_t message_id);

  // requests.cpp: one function per resource.
  void dispatch(Request& request, const Route& route);
  void topic_request(Request& request, const Route& route);
  void seed_publish(Request& request);
  void connection_request(Request& request);
  void publish(Request& request, CoapClient& client, const std::string& topic, std::string payload,
               const Query& parameters);
  // GET /ps/{topic} without Observe: the topic's retained message (its last value).
  void read_retained(Request& request, CoapClient& client, const std::string& topic);
  void observe(Request& request, CoapClient& client, const std::string& filter);
  // The client a request speaks for, authenticating it when new; nullptr with the error
  // response (4.00, 4.01) already set.
  std::shared_ptr<CoapClient> client_for(Request& request, const Credentials& credentials,
                                         bool token_required);
  std::shared_ptr<CoapClient> connect(Request& request, const Credentials& credentials);

  void open_dtls();
  // One endpoint in the context; returns "ip:port". Throws std::runtime_error naming it.
  std::string bind(coap_proto_t protocol, const std::string& host, std::uint16_t port);

  std::shared_ptr<const GatewayContext> context_;
  asio::io_context& io_;
  std::unique_ptr<DtlsSetup> dtls_;  // before coap_: libcoap reads it until the context is freed
  ContextPtr coap_;
  std::optional<asio::posix::stream_descriptor> descriptor_;  // a dup of libcoap's epoll fd
  std::vector<int> udp_sockets_;  // libcoap's plain UDP endpoint sockets, owned by libcoap
  asio::steady_timer tick_timer_;
  std::string local_;       // "0.0.0.0:5683[, ...]" once bound
  std::string dtls_local_;  // "0.0.0.0:5684[, ...]" when DTLS is on
  bool stopped_ = false;
  std::unordered_map<std::string, std::shared_ptr<CoapClient>> clients_;
};

// Sets a response code with a diagnostic payload (RFC 7252 §5.5.2).
void reply(coap_pdu_t* response, int code, std::string_view diagnostic = {});

}  // namespace gatemq::gateway::coap
