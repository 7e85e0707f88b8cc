// The mailbox keeps a session's output in the order the session made it, even where asio::post
// alone would let a later item overtake an earlier one.
#include "core/broker/outbound_mailbox.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <thread>

namespace gatemq::broker {
namespace {

Outbound item(std::uint16_t packet_id) {
  return OutboundPubrel{packet_id};
}

std::vector<std::uint16_t> ids(const std::vector<Outbound>& items) {
  std::vector<std::uint16_t> result;
  for (const auto& entry : items) result.push_back(std::get<OutboundPubrel>(entry).packet_id);
  return result;
}

TEST(OutboundMailbox, OnlyTheFirstItemSinceATakeAsksForADrain) {
  OutboundMailbox mailbox;
  EXPECT_TRUE(mailbox.push(item(1)));
  EXPECT_FALSE(mailbox.push(item(2)));
  EXPECT_FALSE(mailbox.push(item(3)));
  EXPECT_EQ(ids(mailbox.take()), (std::vector<std::uint16_t>{1, 2, 3}));
  EXPECT_TRUE(mailbox.take().empty());
  EXPECT_TRUE(mailbox.push(item(4)));
  EXPECT_EQ(ids(mailbox.take()), (std::vector<std::uint16_t>{4}));
}

// The case that reordered a resumed STOMP session: the connection's own thread posts a resend
// (it lands in that thread's private queue until the running handler returns) and, before the
// handler returns, another thread routes a newer message.
TEST(OutboundMailbox, ItemsFromTheOwnThreadAreNotOvertakenByAnotherThread) {
  asio::io_context context(1);  // one thread: asio's private per-thread queue is in use
  OutboundMailbox mailbox;
  std::vector<std::uint16_t> drained;
  std::vector<std::uint16_t> plain_posts;
  const auto schedule = [&](std::uint16_t packet_id) {
    asio::post(context, [&plain_posts, packet_id] { plain_posts.push_back(packet_id); });
    if (mailbox.push(item(packet_id))) {
      asio::post(context, [&] {
        for (auto id : ids(mailbox.take())) drained.push_back(id);
      });
    }
  };
  asio::post(context, [&] {
    schedule(1);  // from the connection's own thread
    std::thread router([&] { schedule(2); });
    router.join();
  });
  context.run();
  EXPECT_EQ(drained, (std::vector<std::uint16_t>{1, 2}));
  // What the mailbox protects against: plain posts came out the other way round.
  EXPECT_EQ(plain_posts, (std::vector<std::uint16_t>{2, 1}));
}

}  // namespace
}  // namespace gatemq::broker
