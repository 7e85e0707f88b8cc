// Command line of gatemq-bench: what to run, against what, how hard, for how long.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/mqtt/packet.hpp"

namespace gatemq::bench {

// SnPub: MQTT-SN publishers over UDP; StompPub/StompSub: STOMP 1.2 clients over TCP.
enum class Mode : std::uint8_t { Conn, Pub, Sub, SnPub, StompPub, StompSub };

const char* mode_name(Mode mode);
bool is_publisher(Mode mode);   // pub, snpub, stomppub
bool is_subscriber(Mode mode);  // sub, stompsub
bool is_stomp(Mode mode);

struct Options {
  Mode mode = Mode::Conn;

  // Target and identity.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;          // 0 until parsed: then 1883, 1884 (MQTT-SN) or 61613 (STOMP)
  std::uint32_t count = 1;         // clients
  std::uint32_t start_number = 0;  // index of the first client (%i)
  std::string prefix;              // client id = prefix + index; default depends on the mode
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::v311;
  std::uint16_t keepalive = 300;
  bool clean = true;
  std::optional<std::string> username;  // STOMP: login
  std::optional<std::string> password;  // STOMP: passcode

  // Connection pacing.
  double conn_rate = 0;              // new connections per second, all threads; 0 = unlimited
  std::uint32_t conn_inflight = 64;  // handshakes in progress at once, all threads
  double connect_timeout = 30;       // seconds from connect() to CONNACK (and SUBACK)
  std::vector<std::string> source_addresses;  // bind() before connect, round robin by client

  // Publishing and subscribing.
  std::string topic;            // pub: topic template, sub: filter template; %i index, %c client id
  std::uint32_t index_mod = 0;  // %m in templates: client index modulo this (0: same as %i)
  std::uint8_t qos = 0;
  std::uint32_t size = 64;      // payload bytes; the first 8 carry the send time
  double rate = 0;              // messages per second per publisher; 0 = as fast as possible
  std::uint64_t limit = 0;      // messages per publisher; 0 = no limit
  std::uint32_t inflight = 32;  // unacknowledged QoS 1/2 publishes per publisher
  bool retain = false;
  std::uint16_t sn_topic_id = 0;  // snpub: publish to this predefined topic id, no REGISTER
  bool sn_short_topic = false;    // snpub: the topic is a two-character short name, no REGISTER

  // Run control.
  double duration = 0;       // seconds after every client is ready; 0 = until limit/expect/signal
  std::uint64_t expect = 0;  // sub: stop after receiving this many messages in total
  double idle_exit = 0;      // sub: stop once nothing arrived for this long (after the first)
  std::uint32_t threads = 1;
  bool json = false;
  bool quiet = false;
  std::string ready_file;  // created once every client is connected (and subscribed)
};

// Parses argv (argv[1] is the mode). Returns nullopt after printing help or an error; `exit_code`
// is then 0 for --help and 2 for a usage error.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

// "127.0.0.2-127.0.0.9" or "a,b,c" into a list of IPv4/IPv6 addresses; throws on bad input.
std::vector<std::string> expand_addresses(const std::string& spec);

// Replaces %i with the client index, %m with the index modulo `index_mod` (the index itself when
// 0), %c with the client id and %% with a literal %.
std::string expand_template(const std::string& text, std::uint32_t index,
                            const std::string& client_id, std::uint32_t index_mod = 0);

}  // namespace gatemq::bench
