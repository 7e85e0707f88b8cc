#include "gateways/lwm2m/path.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatemq::gateway::lwm2m {

// Readable failure output.
inline void PrintTo(const Path& path, std::ostream* out) {
  *out << path.to_string();
}

namespace {

Path must(std::string_view text) {
  auto path = Path::parse(text, /*allow_root=*/true);
  EXPECT_TRUE(path.ok()) << text << ": " << (path.ok() ? "" : path.error());
  return path.ok() ? *path : Path{};
}

TEST(Lwm2mPath, ParsesEveryLevel) {
  const auto object = must("/3");
  EXPECT_TRUE(object.is_object());
  EXPECT_EQ(object.level(), Path::Level::Object);
  EXPECT_EQ(object.object_id(), 3);

  const auto instance = must("/3/0");
  EXPECT_TRUE(instance.is_object_instance());
  EXPECT_EQ(instance.instance_id(), 0);

  const auto resource = must("/3/0/1");
  EXPECT_TRUE(resource.is_resource());
  EXPECT_EQ(resource.resource_id(), 1);

  const auto resource_instance = must("/3/0/1/2");
  EXPECT_TRUE(resource_instance.is_resource_instance());
  EXPECT_EQ(resource_instance.depth(), 4u);
  EXPECT_EQ(resource_instance.resource_instance_id(), 2);
  EXPECT_EQ(resource_instance.id(0), 3);

  const auto largest = must("/65534/65534/65534/65534");
  EXPECT_EQ(largest.object_id(), 65534);
  EXPECT_EQ(largest.resource_instance_id(), 65534);
}

TEST(Lwm2mPath, RootOnlyWhenAllowed) {
  const auto root = Path::parse("/", /*allow_root=*/true);
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->is_root());
  EXPECT_EQ(root->to_string(), "/");

  const auto refused = Path::parse("/");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("root"), std::string::npos);
}

TEST(Lwm2mPath, RefusesMalformedText) {
  const std::vector<std::string> bad = {"",
                                        "3/0",
                                        "//",
                                        "/3/",
                                        "/3/0/",
                                        "/3//0",
                                        "/+3",
                                        "/-3",
                                        "/3/+0",
                                        "/ 3",
                                        "/3 ",
                                        "/3/0x1",
                                        "/a",
                                        "/65535",
                                        "/99999",
                                        "/100000",
                                        "/03",
                                        "/3/00",
                                        "/3/0/1/2/3",
                                        "/3/0/1/2/",
                                        "/3\\0",
                                        std::string("/3\0", 3),
                                        "/1.5",
                                        "/3/0/1e2",
                                        "/18446744073709551616"};
  for (const auto& text : bad) {
    const auto path = Path::parse(text, /*allow_root=*/true);
    EXPECT_FALSE(path.ok()) << "accepted '" << text << "'";
    if (!path.ok()) {
      EXPECT_FALSE(path.error().empty());
    }
  }
}

TEST(Lwm2mPath, ErrorMessagesExplain) {
  EXPECT_NE(Path::parse("3/0").error().find("must start with '/'"), std::string::npos);
  EXPECT_NE(Path::parse("/3//0").error().find("empty segment"), std::string::npos);
  EXPECT_NE(Path::parse("/3/70000").error().find("invalid id '70000'"), std::string::npos);
  EXPECT_NE(Path::parse("/1/2/3/4/5").error().find("more than 4 levels"), std::string::npos);
  // Hostile bytes are not echoed raw.
  const auto binary = Path::parse(std::string("/\x01\xff", 3)).error();
  EXPECT_EQ(binary.find('\x01'), std::string::npos);
}

TEST(Lwm2mPath, FormatsBack) {
  for (const char* text : {"/", "/0", "/3/0", "/3/0/13", "/65534/1/2/3", "/10/20/30/40"}) {
    EXPECT_EQ(must(text).to_string(), text);
  }
}

TEST(Lwm2mPath, FromIdsChildParent) {
  const auto path = Path::from_ids({3, 0, 13});
  ASSERT_TRUE(path);
  EXPECT_EQ(path->to_string(), "/3/0/13");
  EXPECT_FALSE(Path::from_ids({1, 2, 3, 4, 5}));
  EXPECT_FALSE(Path::from_ids({65535}));
  EXPECT_TRUE(Path::from_ids({})->is_root());

  EXPECT_EQ(path->parent().to_string(), "/3/0");
  EXPECT_EQ(Path{}.parent(), Path{});
  EXPECT_EQ(path->child(7)->to_string(), "/3/0/13/7");
  EXPECT_FALSE(path->child(7)->child(1));
  EXPECT_FALSE(path->child(65535));
  // parent() clears the dropped id so equality holds with a freshly parsed path.
  EXPECT_EQ(must("/3/0/13").parent(), must("/3/0"));
}

TEST(Lwm2mPath, Join) {
  const auto base = must("/3/0");
  EXPECT_EQ(base.join("13")->to_string(), "/3/0/13");
  EXPECT_EQ(base.join("/13")->to_string(), "/3/0/13");
  EXPECT_EQ(base.join("6/0")->to_string(), "/3/0/6/0");
  EXPECT_EQ(base.join("/6/0")->to_string(), "/3/0/6/0");
  EXPECT_EQ(Path{}.join("3/0/1")->to_string(), "/3/0/1");
  EXPECT_EQ(must("/3").join("0/1/2")->to_string(), "/3/0/1/2");

  for (const char* relative :
       {"", "/", "//13", "13/", "6//0", "+1", "a", "65535", "6/0/1", "013", " 13"}) {
    EXPECT_FALSE(base.join(relative).ok()) << "joined '" << relative << "'";
  }
  EXPECT_FALSE(must("/3/0/1/2").join("0").ok());
}

TEST(Lwm2mPath, StartsWith) {
  const auto resource = must("/3/0/13");
  EXPECT_TRUE(resource.starts_with(Path{}));
  EXPECT_TRUE(resource.starts_with(must("/3")));
  EXPECT_TRUE(resource.starts_with(must("/3/0")));
  EXPECT_TRUE(resource.starts_with(resource));
  EXPECT_FALSE(resource.starts_with(must("/3/0/13/0")));
  EXPECT_FALSE(resource.starts_with(must("/3/1")));
  EXPECT_FALSE(resource.starts_with(must("/30")));
  // Not a text prefix test: /3/0/1 does not start /3/0/13 and vice versa.
  EXPECT_FALSE(resource.starts_with(must("/3/0/1")));
  EXPECT_FALSE(must("/3/0/1").starts_with(resource));
}

TEST(Lwm2mPath, OrdersDepthFirst) {
  EXPECT_LT(must("/"), must("/0"));
  EXPECT_LT(must("/3"), must("/3/0"));
  EXPECT_LT(must("/3/0"), must("/3/0/0"));
  EXPECT_LT(must("/3/0/6"), must("/3/0/6/0"));
  EXPECT_LT(must("/3/0/6/5"), must("/3/0/7"));
  EXPECT_LT(must("/3/0/9"), must("/3/0/10"));
  EXPECT_LT(must("/2/5"), must("/3"));
  EXPECT_EQ(must("/3/0"), must("/3/0"));
  EXPECT_NE(must("/3/0"), must("/3/0/0"));
  EXPECT_NE(must("/3"), must("/3/0"));
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m
