#include "core/router/topic.hpp"

#include <gtest/gtest.h>

namespace gatemq::router {
namespace {

TEST(TopicName, ValidNames) {
  for (const char* topic : {"a", "a/b", "/", "a//b", "/a", "a/", "$SYS/x", "sport/tennis",
                            "caf\xC3\xA9", "\xF0\x9F\x98\x80/emoji", " "}) {
    EXPECT_TRUE(is_valid_topic_name(topic, 0)) << topic;
  }
}

TEST(TopicName, InvalidNames) {
  EXPECT_FALSE(is_valid_topic_name("", 0));
  EXPECT_FALSE(is_valid_topic_name("a/+", 0));
  EXPECT_FALSE(is_valid_topic_name("a/#", 0));
  EXPECT_FALSE(is_valid_topic_name("a+b", 0));
  EXPECT_FALSE(is_valid_topic_name(std::string("a\0b", 3), 0)) << "NUL";
  EXPECT_FALSE(is_valid_topic_name("\xC3", 0)) << "truncated sequence";
  EXPECT_FALSE(is_valid_topic_name("\xC0\xAF", 0)) << "overlong";
  EXPECT_FALSE(is_valid_topic_name("\xED\xA0\x80", 0)) << "surrogate";
  EXPECT_FALSE(is_valid_topic_name("\xF4\x90\x80\x80", 0)) << "above U+10FFFF";
  EXPECT_FALSE(is_valid_topic_name("\xFF", 0));
  EXPECT_FALSE(is_valid_topic_name(std::string(65536, 'a'), 0)) << "too long";
}

TEST(TopicName, MaxLevels) {
  EXPECT_TRUE(is_valid_topic_name("a/b/c", 3));
  EXPECT_FALSE(is_valid_topic_name("a/b/c/d", 3));
  EXPECT_TRUE(is_valid_topic_name("a/b/c/d", 0));
}

TEST(TopicFilter, ValidFilters) {
  for (const char* filter : {"#", "+", "a/#", "a/+/b", "+/+", "/+", "+/", "a//#", "$SYS/#",
                             "$share/g/a/+", "$queue/a/#", "sport/tennis/+"}) {
    EXPECT_TRUE(is_valid_topic_filter(filter, 0)) << filter;
  }
}

TEST(TopicFilter, InvalidFilters) {
  for (const char* filter : {"", "a/#/b", "a#", "#a", "a/b#", "a+", "+a/b", "a/++", "##",
                             "$share/g", "$share//a", "$share/g+/a", "$share/g/a/#/b",
                             "$queue/"}) {
    EXPECT_FALSE(is_valid_topic_filter(filter, 0)) << filter;
  }
  EXPECT_FALSE(is_valid_topic_filter("a/+/c", 2));
}

TEST(TopicMatch, SpecExamples) {
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(topic_matches("sport/#", "sport"));
  EXPECT_TRUE(topic_matches("#", "sport/tennis"));
  EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(topic_matches("sport/+", "sport"));
  EXPECT_TRUE(topic_matches("sport/+", "sport/"));
  EXPECT_TRUE(topic_matches("+/+", "/finance"));
  EXPECT_TRUE(topic_matches("/+", "/finance"));
  EXPECT_FALSE(topic_matches("+", "/finance"));
  EXPECT_TRUE(topic_matches("+/#", "a"));
  EXPECT_FALSE(topic_matches("a/b", "a"));
  EXPECT_FALSE(topic_matches("a", "a/b"));
  EXPECT_TRUE(topic_matches("a//b", "a//b"));
  EXPECT_FALSE(topic_matches("a/b", "a/bc"));
}

TEST(TopicMatch, DollarTopicsNeedExplicitFirstLevel) {
  EXPECT_FALSE(topic_matches("#", "$SYS/uptime"));
  EXPECT_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  EXPECT_TRUE(topic_matches("a/+", "a/$b"));
}

TEST(SharedFilter, Parse) {
  auto shared = parse_shared("$share/group/a/+");
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->group, "group");
  EXPECT_EQ(shared->filter, "a/+");
  auto queued = parse_shared("$queue/x/y");
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->group, "$queue");
  EXPECT_EQ(queued->filter, "x/y");
  EXPECT_FALSE(parse_shared("a/b"));
  EXPECT_FALSE(parse_shared("$share/nofilter"));
}

TEST(Mountpoint, ApplyAndStrip) {
  EXPECT_EQ(apply_mountpoint("dev/", "t"), "dev/t");
  EXPECT_EQ(apply_mountpoint("", "t"), "t");
  EXPECT_EQ(strip_mountpoint("dev/", "dev/t"), "t");
  EXPECT_FALSE(strip_mountpoint("dev/", "other/t"));
  EXPECT_EQ(strip_mountpoint("", "t"), "t");
}

TEST(Placeholders, Expand) {
  const PlaceholderValues values{"client1", "alice", "ep9", "10.0.0.1"};
  EXPECT_EQ(expand_placeholders("user/%u/%c/", values), "user/alice/client1/");
  EXPECT_EQ(expand_placeholders("%e@%a", values), "ep9@10.0.0.1");
  EXPECT_EQ(expand_placeholders("100%%/%x/%", values), "100%/%x/%");
  EXPECT_EQ(expand_placeholders("", values), "");
}

}  // namespace
}  // namespace gatemq::router
