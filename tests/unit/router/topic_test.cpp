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
                             "$share/g", "$share//a", "$share/g+/a", "$share/g/a/#/b", "$queue/"}) {
    EXPECT_FALSE(is_valid_topic_filter(filter, 0)) << filter;
  }
  EXPECT_FALSE(is_valid_topic_filter("a/+/c", 2));
}

TEST(TopicFilter, BadBytesAndLimits) {
  EXPECT_FALSE(is_valid_topic_filter(std::string("a/\0/+", 5), 0)) << "NUL";
  EXPECT_FALSE(is_valid_topic_filter("a/\xC0\xAF/#", 0)) << "overlong";
  EXPECT_FALSE(is_valid_topic_filter("\xED\xA0\x80/+", 0)) << "surrogate";
  EXPECT_FALSE(is_valid_topic_filter("$share/\xFF/a", 0)) << "bad UTF-8 in the group";
  EXPECT_FALSE(is_valid_topic_filter(std::string("$share/g\0/a", 11), 0)) << "NUL in the group";
  EXPECT_FALSE(is_valid_topic_filter("$share/g#/a", 0));
  EXPECT_FALSE(is_valid_topic_filter(std::string(65536, 'a'), 0));
  EXPECT_TRUE(is_valid_topic_filter(std::string(65535, 'a'), 0));
  EXPECT_FALSE(is_valid_topic_filter("$share/g/" + std::string(65530, 'a'), 0)) << "too long";
  EXPECT_TRUE(is_valid_topic_filter("$share/g/a/+/c", 3)) << "levels counted inside the share";
  EXPECT_FALSE(is_valid_topic_filter("$share/g/a/+/c/d", 3));
  EXPECT_TRUE(is_valid_topic_filter("a/+/#", 3));
  EXPECT_FALSE(is_valid_topic_filter("a/+/#", 2));
}

TEST(TopicFilter, HasWildcard) {
  EXPECT_TRUE(has_wildcard("a/+"));
  EXPECT_TRUE(has_wildcard("#"));
  EXPECT_FALSE(has_wildcard("a/b"));
  EXPECT_FALSE(has_wildcard(""));
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
  EXPECT_TRUE(topic_matches("a/#", "a/"));
  EXPECT_TRUE(topic_matches("a/+/#", "a/b"));
  EXPECT_FALSE(topic_matches("a/+/#", "a"));
  EXPECT_TRUE(topic_matches("+", ""));
  EXPECT_TRUE(topic_matches("/", "/"));
  EXPECT_TRUE(topic_matches("+/+", "/"));
  EXPECT_FALSE(topic_matches("a/b/#", "a"));
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
  EXPECT_FALSE(parse_shared("$share//a"));
  EXPECT_FALSE(parse_shared("$share/+/a"));
  EXPECT_FALSE(parse_shared("$sharex/g/a"));
  auto deep = parse_shared("$share/g/$SYS/#");
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->group, "g");
  EXPECT_EQ(deep->filter, "$SYS/#");
}

TEST(Mountpoint, ApplyAndStrip) {
  EXPECT_EQ(apply_mountpoint("dev/", "t"), "dev/t");
  EXPECT_EQ(apply_mountpoint("", "t"), "t");
  EXPECT_EQ(strip_mountpoint("dev/", "dev/t"), "t");
  EXPECT_FALSE(strip_mountpoint("dev/", "other/t"));
  EXPECT_EQ(strip_mountpoint("", "t"), "t");
  EXPECT_EQ(strip_mountpoint("dev/", "dev/"), "");
  EXPECT_FALSE(strip_mountpoint("dev/", "dev"));
  EXPECT_EQ(strip_mountpoint("dev/", apply_mountpoint("dev/", "a/b")), "a/b");
}

TEST(DelayedTopic, Parse) {
  auto delayed = parse_delayed("$delayed/15/a/b");
  ASSERT_TRUE(delayed);
  EXPECT_EQ(delayed->seconds, 15u);
  EXPECT_EQ(delayed->topic, "a/b");
  EXPECT_EQ(parse_delayed("$delayed/0/t")->seconds, 0u);
  EXPECT_EQ(parse_delayed("$delayed/4294967295/t")->seconds, 4294967295u);
  for (const char* bad : {"a/b", "$delayed/", "$delayed/5", "$delayed/5/", "$delayed//t",
                          "$delayed/x5/t", "$delayed/-1/t", "$delayed/12345678901/t"}) {
    EXPECT_FALSE(parse_delayed(bad)) << bad;
  }
  EXPECT_TRUE(is_delayed("$delayed/abc"));
  EXPECT_FALSE(is_delayed("delayed/1/t"));
}

TEST(Mountpoint, DelayedAndSharedMountTheirInnerTopic) {
  EXPECT_EQ(apply_mountpoint("dev/", "$delayed/10/t"), "$delayed/10/dev/t");
  EXPECT_EQ(apply_mountpoint("dev/", "$share/g/t/+"), "$share/g/dev/t/+");
  EXPECT_EQ(apply_mountpoint("dev/", "$queue/t"), "$queue/dev/t");
  EXPECT_EQ(apply_mountpoint("dev/", "$delayed/bad"), "dev/$delayed/bad");
}

TEST(Placeholders, Expand) {
  const PlaceholderValues values{"client1", "alice", "ep9", "10.0.0.1"};
  EXPECT_EQ(expand_placeholders("user/%u/%c/", values), "user/alice/client1/");
  EXPECT_EQ(expand_placeholders("%e@%a", values), "ep9@10.0.0.1");
  EXPECT_EQ(expand_placeholders("100%%/%x/%", values), "100%/%x/%");
  EXPECT_EQ(expand_placeholders("", values), "");
  EXPECT_EQ(expand_placeholders("%%c", values), "%c") << "%% is consumed before c";
}

TEST(Placeholders, AggregateInitFromStrings) {
  // Mirrors the call sites: std::string arguments, endpoint left empty.
  const std::string client_id = "c1";
  const std::string username = "bob";
  const std::string peer_host = "::1";
  const auto expanded =
      expand_placeholders("%u/%c/%e/%a", PlaceholderValues{client_id, username, "", peer_host});
  EXPECT_EQ(expanded, "bob/c1//::1");
}

}  // namespace
}  // namespace gatemq::router
