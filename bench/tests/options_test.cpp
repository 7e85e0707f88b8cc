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

}  // namespace
}  // namespace gatemq::bench
