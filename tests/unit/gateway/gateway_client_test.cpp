#include "core/gateway/gateway_client.hpp"

#include <gtest/gtest.h>

#include "tests/unit/broker/recording_sink.hpp"

namespace gatemq::gateway {
namespace {

using broker::testing::RecordingSink;

class GatewayClientTest : public ::testing::Test {
 protected:
  GatewayClient make_client(const std::string& mountpoint = "") {
    return GatewayClient(broker_, stats_,
                         GatewayClientOptions{"tcp", "tcp-gateway:external", "external", mountpoint},
                         "10.0.0.7", 4000);
  }

  broker::Workers workers_{1};
  broker::Broker broker_{config::Settings{}, workers_};
  GatewayStats stats_;
};

TEST_F(GatewayClientTest, ConnectsAsAFirstClassClient) {
  std::vector<std::string> connected;
  broker_.hooks().on_connected([&](const broker::ClientInfo& info) {
    connected.push_back(info.protocol + ":" + info.client_id);
  });
  auto client = make_client();
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_EQ(client.connect({.client_id = "dev-1", .username = "alice"}, sink),
            GatewayClient::ConnectResult::Accepted);
  EXPECT_EQ(connected, std::vector<std::string>{"tcp:dev-1"});
  EXPECT_EQ(stats_.clients.load(), 1u);
  EXPECT_EQ(client.expand("up/%u/%c/%a"), "up/alice/dev-1/10.0.0.7");
  EXPECT_NE(broker_.find_session("dev-1"), nullptr);
  client.disconnect(broker::CloseKind::Normal, "test over");
  EXPECT_EQ(stats_.clients.load(), 0u);
  EXPECT_EQ(broker_.find_session("dev-1"), nullptr) << "clean session ends with the connection";
}

TEST_F(GatewayClientTest, AuthenticationGoesThroughTheHookChain) {
  broker_.hooks().add_authenticator(0, [](const broker::ClientInfo& info, const auto&) {
    return info.protocol == "tcp" ? broker::HookVerdict::Deny : broker::HookVerdict::Ignore;
  });
  auto client = make_client();
  EXPECT_EQ(client.connect({.client_id = "dev-2"}, std::make_shared<RecordingSink>()),
            GatewayClient::ConnectResult::NotAuthorized);
  EXPECT_EQ(stats_.auth_failures.load(), 1u);
}

TEST_F(GatewayClientTest, PublishSubscribeAndMountpoint) {
  auto device = make_client("gw/%c/");
  auto device_sink = std::make_shared<RecordingSink>();
  device.connect({.client_id = "dev-3"}, device_sink);
  EXPECT_EQ(device.subscribe("dn", 0), 0);
  // A message on the mounted topic reaches the device, which sees it without the mountpoint.
  broker_.publish(broker::make_message("gw/dev-3/dn", "down", 0, false, {}, "app"));
  ASSERT_EQ(device_sink->publishes().size(), 1u);
  EXPECT_EQ(device.device_topic(device_sink->publishes()[0].delivery.message->topic), "dn");
  // The device's own publish lands under the mountpoint.
  auto watcher = make_client();
  auto watcher_sink = std::make_shared<RecordingSink>();
  watcher.connect({.client_id = "watcher"}, watcher_sink);
  watcher.subscribe("gw/dev-3/up", 0);
  EXPECT_TRUE(device.publish("up", "hello", 0, false));
  ASSERT_EQ(watcher_sink->publishes().size(), 1u);
  EXPECT_EQ(watcher_sink->publishes()[0].delivery.message->payload, "hello");
  EXPECT_FALSE(device.publish("$SYS/x", "spoof", 0, false));
  device.disconnect(broker::CloseKind::Normal, "");
  watcher.disconnect(broker::CloseKind::Normal, "");
}

TEST_F(GatewayClientTest, AclDeniesPublish) {
  broker_.hooks().add_acl_checker(0, [](const auto&, broker::AclAction action, std::string_view) {
    return action == broker::AclAction::Publish ? broker::HookVerdict::Deny
                                                : broker::HookVerdict::Ignore;
  });
  auto client = make_client();
  client.connect({.client_id = "dev-4"}, std::make_shared<RecordingSink>());
  EXPECT_FALSE(client.publish("up", "x", 0, false));
  EXPECT_EQ(stats_.messages_dropped.load(), 1u);
  client.disconnect(broker::CloseKind::Normal, "");
}

TEST_F(GatewayClientTest, SameClientIdTakesOverAcrossProtocols) {
  auto first = make_client();
  auto first_sink = std::make_shared<RecordingSink>();
  first.connect({.client_id = "shared"}, first_sink);
  auto second = make_client();
  second.connect({.client_id = "shared"}, std::make_shared<RecordingSink>());
  EXPECT_EQ(first_sink->closed_with, std::vector<std::uint8_t>{0x8E});
  first.disconnect(broker::CloseKind::Abnormal, "taken over");  // no effect on the new owner
  EXPECT_NE(broker_.find_session("shared"), nullptr);
  second.disconnect(broker::CloseKind::Normal, "");
}

}  // namespace
}  // namespace gatemq::gateway
