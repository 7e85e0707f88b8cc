#include <gtest/gtest.h>

#include "core/plugin/plugin.hpp"

namespace gatemq::plugin {
namespace {

Descriptor descriptor(std::string name, std::string prefix, std::vector<std::string> aliases = {},
                      Kind kind = Kind::Gateway) {
  return Descriptor{
      std::move(name),    kind,
      "a test plugin",    std::move(prefix),
      std::move(aliases), [](broker::Broker&, PluginConfig&) { return std::unique_ptr<Plugin>(); }};
}

TEST(PluginRegistry, FindsByNameOrAliasWhateverTheSeparatorsAndCase) {
  Registry registry;
  registry.add(descriptor("emqx_sn", "mqtt.sn.", {"mqtt-sn"}));
  registry.add(descriptor("emqx_stomp", "stomp.", {"stomp"}));
  EXPECT_EQ(registry.find("emqx_sn").name, "emqx_sn");
  EXPECT_EQ(registry.find("EMQX-SN").name, "emqx_sn");
  EXPECT_EQ(registry.find("mqtt-sn").name, "emqx_sn");
  EXPECT_EQ(registry.find("mqttsn").name, "emqx_sn");
  EXPECT_EQ(registry.find("mqtt_sn").name, "emqx_sn");
  EXPECT_EQ(registry.find("stomp").name, "emqx_stomp");
  EXPECT_EQ(&registry.find("stomp"), &registry.find("emqx_stomp"));
}

TEST(PluginRegistry, AnUnknownNameIsNotFound) {
  Registry registry;
  registry.add(descriptor("emqx_stomp", "stomp.", {"stomp"}));
  try {
    registry.find("nope");
    FAIL() << "found";
  } catch (const NotFound& e) {
    EXPECT_STREQ(e.what(), "no such plugin: nope");
  }
  EXPECT_THROW(registry.find(""), NotFound);
  EXPECT_THROW(registry.find("stomps"), NotFound);
}

TEST(PluginRegistry, RefusesANameOrAliasTakenAlready) {
  Registry registry;
  registry.add(descriptor("emqx_stomp", "stomp.", {"stomp"}));
  EXPECT_THROW(registry.add(descriptor("emqx-stomp", "other.")), std::invalid_argument);
  EXPECT_THROW(registry.add(descriptor("emqx_other", "other.", {"STOMP"})), std::invalid_argument);
  EXPECT_THROW(registry.add(descriptor("stomp", "other.")), std::invalid_argument);
  EXPECT_EQ(registry.descriptors().size(), 1u);
}

TEST(PluginRegistry, SectionsAreNamedAfterThePluginFile) {
  Registry registry;
  registry.add(descriptor("emqx_tcp", "tcp.", {"tcp"}));
  registry.add(descriptor("emqx_auth_http", "auth.http.", {}, Kind::Auth));
  const auto sections = registry.sections();
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].name, "emqx_tcp");
  EXPECT_EQ(sections[0].key_prefix, "tcp.");
  EXPECT_EQ(sections[1].name, "emqx_auth_http");
  EXPECT_EQ(registry.descriptors()[1].config_file(), "emqx_auth_http.conf");
}

TEST(PluginRegistry, TypesUseTheSeedsWords) {
  EXPECT_EQ(type_name(Kind::Gateway), "protocol");
  EXPECT_EQ(type_name(Kind::Auth), "auth");
  EXPECT_EQ(type_name(Kind::Bridge), "bridge");
  EXPECT_EQ(type_name(Kind::Backend), "backend");
  EXPECT_EQ(type_name(Kind::Feature), "feature");
}

}  // namespace
}  // namespace gatemq::plugin
