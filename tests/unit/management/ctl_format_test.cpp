// `gatemq ctl` output formats (the seed's Commands chapter) from API JSON.
#include "management/ctl_format.hpp"

#include <gtest/gtest.h>

namespace gatemq::management::ctl {
namespace {

TEST(CtlFormat, Status) {
  EXPECT_EQ(format_status(Json{{"node", "gatemq@127.0.0.1"}, {"version", "0.1.0"}}),
            "Node 'gatemq@127.0.0.1' is started\ngatemq 0.1.0 is running\n");
}

TEST(CtlFormat, Broker) {
  const Json broker{{"sysdescr", "gatemq MQTT broker"},
                    {"version", "0.1.0"},
                    {"uptime", "25 seconds"},
                    {"datetime", "2026-11-25 10:42:10"}};
  EXPECT_EQ(format_broker(broker),
            "sysdescr  : gatemq MQTT broker\n"
            "version   : 0.1.0\n"
            "uptime    : 25 seconds\n"
            "datetime  : 2026-11-25 10:42:10\n");
}

TEST(CtlFormat, CountersSortedPaddedAndCut) {
  const Json counters{{"packets/disconnect/received", 3}, {"bytes/sent", 10}};
  EXPECT_EQ(format_counters(counters, 24),
            "bytes/sent              : 10\n"
            "packets/disconnect/recei: 3\n");
  EXPECT_EQ(format_counters(Json{{"connections/count", 1}}, 30),
            "connections/count             : 1\n");
}

TEST(CtlFormat, Client) {
  const Json client{{"clientid", "c1"},
                    {"clean_start", true},
                    {"username", nullptr},
                    {"ip_address", "127.0.0.1"},
                    {"port", 5000},
                    {"protocol", "mqtt"},
                    {"proto_name", "MQTT"},
                    {"proto_ver", 4},
                    {"keepalive", 60},
                    {"connected_at", "2026-11-25 10:00:00"}};
  EXPECT_EQ(format_client(client),
            "Connection(c1, clean_start=true, username=undefined, peername=127.0.0.1:5000, "
            "protocol=mqtt, proto_name=MQTT, proto_ver=4, keepalive=60, "
            "connected_at=2026-11-25 10:00:00)\n");
}

TEST(CtlFormat, Session) {
  const Json session{{"clientid", "c1"},      {"clean_start", false},
                     {"expiry_interval", 60}, {"subscriptions_cnt", 2},
                     {"max_inflight", 32},    {"inflight", 0},
                     {"mqueue_len", 1},       {"mqueue_dropped", 0},
                     {"awaiting_rel", 0},     {"created_at", "2026-11-25 10:00:00"}};
  EXPECT_EQ(format_session(session),
            "Session(c1, clean_start=false, expiry_interval=60, subscriptions_count=2, "
            "max_inflight=32, inflight=0, mqueue_len=1, mqueue_dropped=0, awaiting_rel=0, "
            "created_at=2026-11-25 10:00:00)\n");
}

TEST(CtlFormat, SubscriptionRouteListener) {
  EXPECT_EQ(format_subscription(Json{{"clientid", "c1"}, {"topic", "t/+/x"}, {"qos", 2}}),
            "c1 -> t/+/x:2\n");
  EXPECT_EQ(format_route(Json{{"topic", "t2/#"}, {"node", "gatemq@127.0.0.1"}}),
            "t2/# -> gatemq@127.0.0.1\n");
  const Json listener{{"protocol", "mqtt:tcp"}, {"listen", "0.0.0.0:1883"},
                      {"acceptors", 1},         {"max_conns", 1024000},
                      {"current_conns", 2},     {"shutdown_count", Json::array()}};
  EXPECT_EQ(format_listener(listener),
            "listener on mqtt:tcp:0.0.0.0:1883\n"
            "  acceptors       : 1\n"
            "  max_conns       : 1024000\n"
            "  current_conn    : 2\n"
            "  shutdown_count  : []\n");
}

TEST(CtlFormat, PluginAsEmqxCtlPrintsIt) {
  EXPECT_EQ(format_plugin(Json{{"name", "stomp"},
                               {"version", "0.1.0"},
                               {"description", "stomp gateway"},
                               {"active", false},
                               {"type", "protocol"}}),
            "Plugin(stomp, version=0.1.0, description=stomp gateway, active=false)\n");
}

TEST(CtlFormat, BanAndGateway) {
  EXPECT_EQ(format_ban(Json{{"who", "c1"},
                            {"as", "clientid"},
                            {"reason", "r"},
                            {"by", "me"},
                            {"at", 1},
                            {"until", 2}}),
            "Banned(c1, as=clientid, reason=r, by=me, at=1, until=2)\n");
  EXPECT_EQ(format_gateway(Json{{"name", "tcp"},
                                {"status", "running"},
                                {"clients", 1},
                                {"connects", 3},
                                {"listeners", {"a", "b"}}}),
            "Gateway(tcp, status=running, clients=1, connects=3, listeners=a; b)\n");
}

}  // namespace
}  // namespace gatemq::management::ctl
