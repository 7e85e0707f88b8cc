// gatemq-bench's command line: templates, address ranges, option spellings, defaults.
#include "bench/options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatemq::bench {
namespace {

std::optional<Options> parse(std::vector<std::string> args, int& code) {
  args.insert(args.begin(), "gatemq-bench");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return parse_options(static_cast<int>(argv.size()), argv.data(), code);
}

TEST(Template, ExpandsIndexAndClientId) {
  EXPECT_EQ(expand_template("t/%i/%c", 7, "dev7"), "t/7/dev7");
  EXPECT_EQ(expand_template("100%%/%x/%", 1, "c"), "100%/%x/%");
  EXPECT_EQ(expand_template("plain", 1, "c"), "plain");
  EXPECT_EQ(expand_template("in/%m/%i", 37, "c", 10), "in/7/37");
  EXPECT_EQ(expand_template("in/%m", 37, "c"), "in/37");
}

TEST(Addresses, RangesAndLists) {
  EXPECT_EQ(expand_addresses("127.0.0.1-127.0.0.3"),
            (std::vector<std::string>{"127.0.0.1", "127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(expand_addresses("127.0.0.9,::1"), (std::vector<std::string>{"127.0.0.9", "::1"}));
  EXPECT_THROW(expand_addresses("127.0.0.3-127.0.0.1"), std::exception);
}

TEST(Options, LongShortAndInlineValues) {
  int code = -1;
  const auto options = parse({"pub", "-c", "10", "--qos=1", "-V", "5", "--rate", "2.5", "-t",
                              "a/%i", "--json", "--port", "1999"},
                             code);
  ASSERT_TRUE(options);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(options->mode, Mode::Pub);
  EXPECT_EQ(options->count, 10u);
  EXPECT_EQ(options->qos, 1);
  EXPECT_EQ(options->version, mqtt::ProtocolVersion::v5);
  EXPECT_DOUBLE_EQ(options->rate, 2.5);
  EXPECT_EQ(options->topic, "a/%i");
  EXPECT_TRUE(options->json);
  EXPECT_EQ(options->port, 1999);
}

TEST(Options, DefaultsDependOnMode) {
  int code = -1;
  const auto sub = parse({"sub"}, code);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->topic, "bench/#");
  EXPECT_TRUE(sub->prefix.starts_with("gatemq-bench-sub-"));
  const auto big = parse({"conn", "-c", "60000"}, code);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->source_addresses.size(), 3u);  // 60,000 loopback connections need 3 sources
}

TEST(Options, IntervalsBecomeRates) {
  int code = -1;
  const auto options = parse({"pub", "-I", "10", "-i", "2"}, code);
  ASSERT_TRUE(options);
  EXPECT_DOUBLE_EQ(options->rate, 100.0);
  EXPECT_DOUBLE_EQ(options->conn_rate, 500.0);
}

TEST(Options, Errors) {
  int code = -1;
  EXPECT_FALSE(parse({"bogus"}, code));
  EXPECT_EQ(code, 2);
  EXPECT_FALSE(parse({"pub", "--qos", "3"}, code));
  EXPECT_FALSE(parse({"pub", "--size", "4"}, code));
  EXPECT_FALSE(parse({"pub", "--count"}, code));
  EXPECT_FALSE(parse({"pub", "--nope"}, code));
  EXPECT_FALSE(parse({"pub", "--help"}, code));
  EXPECT_EQ(code, 0);
}

TEST(Options, SnPubDefaultsToTheGatewayPort) {
  int code = -1;
  const auto options = parse({"snpub", "-c", "100", "-t", "in/%m/%i", "--index-mod", "10", "-q",
                              "1", "--inflight", "8", "-r", "50", "-k", "60"},
                             code);
  ASSERT_TRUE(options);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(options->mode, Mode::SnPub);
  EXPECT_STREQ(mode_name(options->mode), "snpub");
  EXPECT_EQ(options->port, 1884);
  EXPECT_EQ(options->count, 100u);
  EXPECT_EQ(options->qos, 1);
  EXPECT_EQ(options->inflight, 8u);
  EXPECT_DOUBLE_EQ(options->rate, 50.0);
  EXPECT_EQ(options->keepalive, 60);
  EXPECT_EQ(options->topic, "in/%m/%i");
  EXPECT_EQ(options->sn_topic_id, 0);
  EXPECT_FALSE(options->sn_short_topic);
  EXPECT_TRUE(options->prefix.starts_with("gatemq-bench-snpub-"));

  const auto pub = parse({"pub"}, code);
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->port, 1883);
  const auto explicit_port = parse({"snpub", "-p", "1999"}, code);
  ASSERT_TRUE(explicit_port);
  EXPECT_EQ(explicit_port->port, 1999);
}

TEST(Options, SnPubTopicChoices) {
  int code = -1;
  const auto predefined = parse({"snpub", "--topic-id", "7"}, code);
  ASSERT_TRUE(predefined);
  EXPECT_EQ(predefined->sn_topic_id, 7);
  const auto short_name = parse({"snpub", "--short-topic", "-t", "s%i", "-c", "10"}, code);
  ASSERT_TRUE(short_name);
  EXPECT_TRUE(short_name->sn_short_topic);
  EXPECT_EQ(short_name->topic, "s%i");
}

TEST(Options, SnPubErrors) {
  int code = -1;
  EXPECT_FALSE(parse({"snpub", "-q", "2"}, code));  // snpub publishes at QoS 0 or 1 only
  EXPECT_EQ(code, 2);
  EXPECT_FALSE(parse({"snpub", "-u", "user"}, code));  // MQTT-SN CONNECT has no credentials
  EXPECT_FALSE(parse({"snpub", "--topic-id", "0"}, code));
  EXPECT_FALSE(parse({"snpub", "--topic-id", "70000"}, code));
  EXPECT_FALSE(parse({"snpub", "--topic-id", "3", "--short-topic", "-t", "ab"}, code));
  EXPECT_FALSE(parse({"snpub", "--short-topic"}, code));  // bench/%i is no short name
  // s9 fits, s10 does not: every client's expansion is checked.
  EXPECT_FALSE(parse({"snpub", "--short-topic", "-t", "s%i", "-c", "11"}, code));
  EXPECT_FALSE(parse({"snpub", "-s", "7"}, code));
  EXPECT_FALSE(parse({"pub", "--topic-id", "3"}, code));
  EXPECT_FALSE(parse({"sub", "--short-topic"}, code));
}

TEST(Options, StompModesDefaultToTheStompPortAndATopicDestination) {
  int code = -1;
  const auto pub = parse({"stomppub", "-c", "4", "-r", "0", "-u", "guest", "-P", "guest"}, code);
  ASSERT_TRUE(pub);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(pub->mode, Mode::StompPub);
  EXPECT_STREQ(mode_name(pub->mode), "stomppub");
  EXPECT_TRUE(is_publisher(pub->mode) && is_stomp(pub->mode) && !is_subscriber(pub->mode));
  EXPECT_EQ(pub->port, 61613);
  EXPECT_EQ(pub->topic, "/topic/bench");
  EXPECT_EQ(pub->username, "guest");
  EXPECT_EQ(pub->password, "guest");

  const auto sub = parse({"stompsub", "-t", "/topic/in.%i", "-p", "61000"}, code);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->mode, Mode::StompSub);
  EXPECT_TRUE(is_subscriber(sub->mode) && is_stomp(sub->mode) && !is_publisher(sub->mode));
  EXPECT_EQ(sub->port, 61000);
  EXPECT_EQ(sub->topic, "/topic/in.%i");
  EXPECT_TRUE(sub->prefix.starts_with("gatemq-bench-stompsub-"));
}

TEST(Options, StompErrors) {
  int code = -1;
  EXPECT_FALSE(parse({"stomppub", "-q", "1"}, code));  // SEND has no QoS
  EXPECT_EQ(code, 2);
  EXPECT_FALSE(parse({"stompsub", "-q", "1"}, code));
  EXPECT_FALSE(parse({"stomppub", "--retain"}, code));
  EXPECT_FALSE(parse({"stomppub", "-s", "7"}, code));  // no room for the send time stamp
  EXPECT_FALSE(parse({"stomppub", "--topic-id", "3"}, code));
  EXPECT_FALSE(parse({"stompx"}, code));
}

}  // namespace
}  // namespace gatemq::bench
