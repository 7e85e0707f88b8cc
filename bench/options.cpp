// Command-line parsing for gatemq-bench. The short letters follow emqtt-bench where it has one,
// so its users can carry their command lines over.
#include "bench/options.hpp"

#include <unistd.h>

#include <algorithm>
#include <asio/ip/address.hpp>
#include <charconv>
#include <cstdio>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace gatemq::bench {

namespace {

constexpr const char* kUsage =
    R"(usage: gatemq-bench <conn|pub|sub|snpub|stomppub|stompsub> [options]

  conn   open --count connections (at --conn-rate), hold them until the end
  pub    --count publishers to --topic, QoS --qos, --size bytes, --rate msg/s each or flat out
  sub    --count subscribers to the filter --topic; end-to-end latency from the payload stamp
  snpub  like pub, but MQTT-SN 1.2 over UDP to a gateway (port 1884): CONNECT, REGISTER the
         topic (or --topic-id / --short-topic), PUBLISH at QoS 0 or 1, nothing retransmitted
  stomppub  like pub, but STOMP 1.2 SEND frames to --topic (a destination, e.g. /topic/bench)
  stompsub  like sub, but STOMP 1.2 SUBSCRIBE (ack auto) to the destination --topic

target and clients
  -h, --host <addr>          broker address (127.0.0.1)
  -p, --port <port>          broker port (1883; snpub: the MQTT-SN gateway's, 1884;
                             stomppub/stompsub: 61613)
  -c, --count <n>            clients (1)
  -n, --start-number <n>     index of the first client, %i in templates (0)
      --prefix <text>        client id prefix; id = prefix + index (gatemq-bench-<mode>-<pid>-)
  -V, --version <3|4|5>      MQTT 3.1, 3.1.1 or 5.0 (4)
  -k, --keepalive <s>        keep alive (300)
  -C, --clean <true|false>   clean session / clean start (true)
  -u, --username <text>      -P, --password <text> (STOMP: login and passcode)
connections
  -R, --conn-rate <n/s>      new connections per second in all (0 = unlimited)
  -i, --interval <ms>        time between new connections (the same as --conn-rate 1000/ms)
      --conn-inflight <n>    handshakes in progress at once (64)
      --connect-timeout <s>  connect() to CONNACK/SUBACK (30)
      --ifaddr <list>        source addresses, "127.0.0.2-127.0.0.50" or "a,b"; bound round
                             robin, each gives another ~28k ports (connections to 127.x.x.x
                             past 25,000 spread over 127.0.0.1-127.0.0.N by themselves)
messages
  -t, --topic <template>     topic (pub) or filter (sub); %i client index, %c client id
                             (pub: bench/%i, sub: bench/#, STOMP: /topic/bench); %m the index modulo
                             --index-mod, e.g. 100 publishers on in/%m/%i, 10 subscribers
                             on in/%i/# for a fan-in where each message arrives once
      --index-mod <n>        the modulus of %m (0 = none)
  -q, --qos <0|1|2>          QoS (0)
  -s, --size <bytes>         payload size, at least 8 for the latency stamp (64)
  -r, --rate <n/s>           messages per second per publisher (0 = as fast as possible)
  -I, --interval-of-msg <ms> time between messages per publisher (the same as --rate 1000/ms)
  -L, --limit <n>            messages per publisher, then disconnect (0 = no limit)
      --inflight <n>         unacknowledged QoS 1/2 publishes per publisher (32)
      --retain               publish retained
      --topic-id <n>         snpub: publish to this predefined topic id (mqtt.sn.predefined.
                             topic.<n>) instead of REGISTERing --topic
      --short-topic          snpub: --topic expands to a two-character short topic name,
                             published without REGISTER
run
  -d, --duration <s>         run for this long once every client is ready (0 = until done:
                             --limit, --expect or --idle-exit reached; conn: until SIGINT)
      --expect <n>           sub: stop after this many messages in all
      --idle-exit <s>        sub: stop when nothing arrived for this long after the first
  -T, --threads <n>          I/O threads, each with many connections (1)
      --json                 print the summary as JSON on stdout
      --quiet                no progress line on stderr
      --ready-file <path>    created when every client is connected (and subscribed)
      --help                 this text
SIGINT/SIGTERM stop the run early; the summary is printed either way.
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T parse_number(std::string_view name, std::string_view text) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    throw UsageError(std::string(name) + ": '" + std::string(text) + "' is not a number");
  }
  return value;
}

double parse_double(std::string_view name, std::string_view text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(std::string(text), &used);
    if (used == text.size() && value >= 0) return value;
  } catch (const std::exception&) {
  }
  throw UsageError(std::string(name) + ": '" + std::string(text) + "' is not a number >= 0");
}

bool parse_bool(std::string_view name, std::string_view text) {
  if (text == "true" || text == "1" || text == "on" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "off" || text == "no") return false;
  throw UsageError(std::string(name) + ": '" + std::string(text) + "' is not true or false");
}

struct Spec {
  const char* long_name;
  char short_name;
  bool takes_value;
  std::function<void(Options&, std::string_view)> apply;
};

std::vector<Spec> specs() {
  using O = Options;
  using V = std::string_view;
  return {
      {"host", 'h', true, [](O& o, V v) { o.host = v; }},
      {"port", 'p', true, [](O& o, V v) { o.port = parse_number<std::uint16_t>("--port", v); }},
      {"count", 'c', true, [](O& o, V v) { o.count = parse_number<std::uint32_t>("--count", v); }},
      {"start-number", 'n', true,
       [](O& o, V v) { o.start_number = parse_number<std::uint32_t>("--start-number", v); }},
      {"prefix", 0, true, [](O& o, V v) { o.prefix = v; }},
      {"version", 'V', true,
       [](O& o, V v) {
         const auto level = parse_number<int>("--version", v);
         if (level < 3 || level > 5) throw UsageError("--version: 3, 4 or 5");
         o.version = static_cast<mqtt::ProtocolVersion>(level);
       }},
      {"keepalive", 'k', true,
       [](O& o, V v) { o.keepalive = parse_number<std::uint16_t>("--keepalive", v); }},
      {"clean", 'C', true, [](O& o, V v) { o.clean = parse_bool("--clean", v); }},
      {"username", 'u', true, [](O& o, V v) { o.username = std::string(v); }},
      {"password", 'P', true, [](O& o, V v) { o.password = std::string(v); }},
      {"conn-rate", 'R', true, [](O& o, V v) { o.conn_rate = parse_double("--conn-rate", v); }},
      {"interval", 'i', true,
       [](O& o, V v) {
         const double ms = parse_double("--interval", v);
         o.conn_rate = ms > 0 ? 1000.0 / ms : 0;
       }},
      {"conn-inflight", 0, true,
       [](O& o, V v) {
         o.conn_inflight = std::max(1u, parse_number<std::uint32_t>("--conn-inflight", v));
       }},
      {"connect-timeout", 0, true,
       [](O& o, V v) { o.connect_timeout = parse_double("--connect-timeout", v); }},
      {"ifaddr", 0, true, [](O& o, V v) { o.source_addresses = expand_addresses(std::string(v)); }},
      {"topic", 't', true, [](O& o, V v) { o.topic = v; }},
      {"index-mod", 0, true,
       [](O& o, V v) { o.index_mod = parse_number<std::uint32_t>("--index-mod", v); }},
      {"qos", 'q', true,
       [](O& o, V v) {
         const auto qos = parse_number<int>("--qos", v);
         if (qos < 0 || qos > 2) throw UsageError("--qos: 0, 1 or 2");
         o.qos = static_cast<std::uint8_t>(qos);
       }},
      {"size", 's', true, [](O& o, V v) { o.size = parse_number<std::uint32_t>("--size", v); }},
      {"rate", 'r', true, [](O& o, V v) { o.rate = parse_double("--rate", v); }},
      {"interval-of-msg", 'I', true,
       [](O& o, V v) {
         const double ms = parse_double("--interval-of-msg", v);
         o.rate = ms > 0 ? 1000.0 / ms : 0;
       }},
      {"limit", 'L', true, [](O& o, V v) { o.limit = parse_number<std::uint64_t>("--limit", v); }},
      {"inflight", 0, true,
       [](O& o, V v) {
         o.inflight = std::clamp(parse_number<std::uint32_t>("--inflight", v), 1u, 32768u);
       }},
      {"retain", 0, false, [](O& o, V) { o.retain = true; }},
      {"topic-id", 0, true,
       [](O& o, V v) {
         o.sn_topic_id = parse_number<std::uint16_t>("--topic-id", v);
         if (o.sn_topic_id == 0) throw UsageError("--topic-id: 1 to 65535 (0 is reserved)");
       }},
      {"short-topic", 0, false, [](O& o, V) { o.sn_short_topic = true; }},
      {"duration", 'd', true, [](O& o, V v) { o.duration = parse_double("--duration", v); }},
      {"expect", 0, true, [](O& o, V v) { o.expect = parse_number<std::uint64_t>("--expect", v); }},
      {"idle-exit", 0, true, [](O& o, V v) { o.idle_exit = parse_double("--idle-exit", v); }},
      {"threads", 'T', true,
       [](O& o, V v) { o.threads = std::max(1u, parse_number<std::uint32_t>("--threads", v)); }},
      {"json", 0, false, [](O& o, V) { o.json = true; }},
      {"quiet", 0, false, [](O& o, V) { o.quiet = true; }},
      {"ready-file", 0, true, [](O& o, V v) { o.ready_file = v; }},
  };
}

const Spec* find_spec(const std::vector<Spec>& all, std::string_view arg) {
  for (const auto& spec : all) {
    if (arg.size() == 2 && arg[0] == '-' && spec.short_name && arg[1] == spec.short_name)
      return &spec;
    if (arg.starts_with("--") && arg.substr(2) == spec.long_name) return &spec;
  }
  return nullptr;
}

// What MQTT-SN can express: QoS 0/1 here (this generator does not do the QoS 2 exchange), no
// credentials in CONNECT, one way to name the topic.
void check_mqttsn_options(const Options& options) {
  if (options.qos > 1) throw UsageError("--qos: snpub publishes at QoS 0 or 1");
  if (options.username || options.password) {
    throw UsageError(
        "--username/--password: MQTT-SN CONNECT carries no credentials "
        "(the gateway's mqtt.sn.username applies)");
  }
  if (options.sn_topic_id && options.sn_short_topic) {
    throw UsageError("--topic-id and --short-topic exclude each other");
  }
  if (!options.sn_short_topic) return;
  for (std::uint32_t k = 0; k < options.count; ++k) {
    const auto index = options.start_number + k;
    const auto topic = expand_template(options.topic, index, options.prefix + std::to_string(index),
                                       options.index_mod);
    if (topic.empty() || topic.size() > 2) {
      throw UsageError("--short-topic: '" + topic + "' is not one or two characters");
    }
  }
}

// STOMP's SEND has no QoS and no retain flag: a broker delivers it once or not at all.
void check_stomp_options(const Options& options) {
  if (options.qos != 0) throw UsageError("--qos: STOMP has no QoS (SEND is at most once)");
  if (options.retain) throw UsageError("--retain: STOMP has no retained messages");
}

std::uint16_t default_port(Mode mode) {
  if (mode == Mode::SnPub) return 1884;
  return is_stomp(mode) ? 61613 : 1883;
}

std::string default_topic(Mode mode) {
  if (is_stomp(mode)) return "/topic/bench";
  return mode == Mode::Sub ? "bench/#" : "bench/%i";
}

void apply_defaults(Options& options) {
  if (options.prefix.empty()) {
    options.prefix = std::string("gatemq-bench-") + mode_name(options.mode) + "-" +
                     std::to_string(::getpid()) + "-";
  }
  if (options.topic.empty()) options.topic = default_topic(options.mode);
  if (is_publisher(options.mode) && options.size < 8) {
    throw UsageError("--size: at least 8 bytes (the send time stamp)");
  }
  if (options.port == 0) options.port = default_port(options.mode);
  if (is_stomp(options.mode)) check_stomp_options(options);
  if (options.mode == Mode::SnPub) {
    check_mqttsn_options(options);
  } else if (options.sn_topic_id || options.sn_short_topic) {
    throw UsageError("--topic-id and --short-topic are for snpub only");
  }
  options.threads = std::min(options.threads, std::max(1u, options.count));
  // Loopback has ~28k ephemeral ports per source address: spread big runs over several.
  const bool loopback = options.host.starts_with("127.");
  if (options.source_addresses.empty() && loopback && options.count > 25000) {
    const auto needed = options.count / 25000 + 1;
    options.source_addresses =
        expand_addresses("127.0.0.1-127.0.0." + std::to_string(std::min(needed, 254u)));
  }
}

}  // namespace

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::Conn:
      return "conn";
    case Mode::Pub:
      return "pub";
    case Mode::Sub:
      return "sub";
    case Mode::SnPub:
      return "snpub";
    case Mode::StompPub:
      return "stomppub";
    case Mode::StompSub:
      return "stompsub";
  }
  return "?";
}

bool is_publisher(Mode mode) {
  return mode == Mode::Pub || mode == Mode::SnPub || mode == Mode::StompPub;
}

bool is_subscriber(Mode mode) {
  return mode == Mode::Sub || mode == Mode::StompSub;
}

bool is_stomp(Mode mode) {
  return mode == Mode::StompPub || mode == Mode::StompSub;
}

std::vector<std::string> expand_addresses(const std::string& spec) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const auto comma = spec.find(',', start);
    const auto item = spec.substr(start, comma == std::string::npos ? comma : comma - start);
    const auto dash = item.find('-');
    if (dash == std::string::npos) {
      out.push_back(asio::ip::make_address(item).to_string());
    } else {
      const auto first = asio::ip::make_address_v4(item.substr(0, dash)).to_uint();
      const auto last = asio::ip::make_address_v4(item.substr(dash + 1)).to_uint();
      if (last < first || last - first > 65535) {
        throw UsageError("--ifaddr: bad range '" + item + "'");
      }
      for (auto a = first; a <= last; ++a) out.push_back(asio::ip::address_v4(a).to_string());
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string expand_template(const std::string& text, std::uint32_t index,
                            const std::string& client_id, std::uint32_t index_mod) {
  std::string out;
  out.reserve(text.size() + client_id.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%' || i + 1 == text.size()) {
      out.push_back(text[i]);
      continue;
    }
    const char next = text[++i];
    if (next == 'i') {
      out += std::to_string(index);
    } else if (next == 'm') {
      out += std::to_string(index_mod ? index % index_mod : index);
    } else if (next == 'c') {
      out += client_id;
    } else if (next == '%') {
      out.push_back('%');
    } else {
      out.push_back('%');
      out.push_back(next);
    }
  }
  return out;
}

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  exit_code = 2;
  Options options;
  try {
    if (argc < 2) throw UsageError("missing mode");
    const std::string_view mode = argv[1];
    if (mode == "--help" || mode == "help") {
      std::fputs(kUsage, stdout);
      exit_code = 0;
      return std::nullopt;
    }
    constexpr Mode kModes[] = {Mode::Conn,  Mode::Pub,      Mode::Sub,
                               Mode::SnPub, Mode::StompPub, Mode::StompSub};
    const auto* known = std::find_if(std::begin(kModes), std::end(kModes),
                                     [&](Mode candidate) { return mode == mode_name(candidate); });
    if (known == std::end(kModes)) {
      throw UsageError("unknown mode '" + std::string(mode) +
                       "' (conn, pub, sub, snpub, stomppub or stompsub)");
    }
    options.mode = *known;
    const auto all = specs();
    for (int i = 2; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--help") {
        std::fputs(kUsage, stdout);
        exit_code = 0;
        return std::nullopt;
      }
      std::optional<std::string_view> inline_value;
      if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      const auto* spec = find_spec(all, arg);
      if (!spec) throw UsageError("unknown option '" + std::string(arg) + "'");
      std::string_view value;
      if (spec->takes_value) {
        if (inline_value) {
          value = *inline_value;
        } else if (i + 1 < argc) {
          value = argv[++i];
        } else {
          throw UsageError(std::string(arg) + " needs a value");
        }
      }
      spec->apply(options, value);
    }
    apply_defaults(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gatemq-bench: %s (gatemq-bench --help lists the options)\n", e.what());
    return std::nullopt;
  }
  exit_code = 0;
  return options;
}

}  // namespace gatemq::bench
