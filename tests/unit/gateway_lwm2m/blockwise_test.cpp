#include "gateways/lwm2m/blockwise.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace gatemq::gateway::lwm2m {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string text;
  for (int value : values) text.push_back(static_cast<char>(value));
  return text;
}

TEST(BlockOption, ParsesZeroToThreeBytes) {
  EXPECT_EQ(parse_block(""), (Block{0, false, 0}));
  EXPECT_EQ(parse_block(bytes({0x0E})), (Block{0, true, 6}));
  EXPECT_EQ(parse_block(bytes({0x12})), (Block{1, false, 2}));
  EXPECT_EQ(parse_block(bytes({0x12, 0x3A})), (Block{0x123, true, 2}));
  EXPECT_EQ(parse_block(bytes({0xFF, 0xFF, 0xF6})), (Block{Block::kMaxNum, false, 6}));
}

TEST(BlockOption, RefusesReservedSzxAndLongValues) {
  EXPECT_FALSE(parse_block(bytes({0x07})));
  EXPECT_FALSE(parse_block(bytes({0xFF, 0xFF, 0xFF})));
  EXPECT_FALSE(parse_block(bytes({0x00, 0x00, 0x00, 0x01})));
}

TEST(BlockOption, EncodesShortest) {
  EXPECT_EQ(encode_block({0, false, 0}), "");
  EXPECT_EQ(encode_block({0, true, 6}), bytes({0x0E}));
  EXPECT_EQ(encode_block({15, false, 2}), bytes({0xF2}));
  EXPECT_EQ(encode_block({16, false, 2}), bytes({0x01, 0x02}));
  EXPECT_EQ(encode_block({Block::kMaxNum, true, 6}), bytes({0xFF, 0xFF, 0xFE}));
}

TEST(BlockOption, RoundTripsAndSizes) {
  for (std::uint32_t num : {0u, 1u, 15u, 16u, 4095u, 4096u, Block::kMaxNum}) {
    for (std::uint8_t szx = 0; szx <= Block::kMaxSzx; ++szx) {
      for (bool more : {false, true}) {
        const Block block{num, more, szx};
        EXPECT_EQ(parse_block(encode_block(block)), block);
      }
    }
  }
  EXPECT_EQ((Block{2, false, 6}).offset(), 2048u);
  EXPECT_EQ(szx_for(1), 0);
  EXPECT_EQ(szx_for(16), 0);
  EXPECT_EQ(szx_for(100), 2);
  EXPECT_EQ(szx_for(1024), 6);
  EXPECT_EQ(szx_for(1 << 20), 6);
}

TEST(BlockOption, RandomValuesNeverCrashAndRoundTrip) {
  std::mt19937 random(7);
  for (int i = 0; i < 20000; ++i) {
    std::string value(random() % 5, '\0');
    for (auto& byte : value) byte = static_cast<char>(random());
    if (const auto block = parse_block(value)) {
      EXPECT_LE(block->szx, Block::kMaxSzx);
      EXPECT_LE(block->num, Block::kMaxNum);
      EXPECT_EQ(parse_block(encode_block(*block)), block);
    }
  }
}

TEST(Assembly, TakesBlocksInOrder) {
  Assembly assembly(1000);
  EXPECT_EQ(assembly.add({0, true, 0}, std::string(16, 'a')), Assembly::Result::More);
  EXPECT_EQ(assembly.next_num(), 1u);
  EXPECT_EQ(assembly.add({1, true, 0}, std::string(16, 'b')), Assembly::Result::More);
  EXPECT_EQ(assembly.add({2, false, 0}, "cc"), Assembly::Result::Complete);
  EXPECT_EQ(assembly.body(), std::string(16, 'a') + std::string(16, 'b') + "cc");
}

TEST(Assembly, AllowsAPeerToShrinkTheBlockSize) {
  Assembly assembly(1000);
  EXPECT_EQ(assembly.add({0, true, 1}, std::string(32, 'a')), Assembly::Result::More);
  EXPECT_EQ(assembly.add({2, false, 0}, "x"), Assembly::Result::Complete);
  EXPECT_EQ(assembly.body().size(), 33u);
}

TEST(Assembly, RefusesGapsRepeatsAndShortBlocks) {
  Assembly assembly(1000);
  EXPECT_EQ(assembly.add({1, true, 0}, std::string(16, 'a')), Assembly::Result::OutOfOrder);
  EXPECT_EQ(assembly.add({0, true, 0}, std::string(16, 'a')), Assembly::Result::More);
  EXPECT_EQ(assembly.add({0, true, 0}, std::string(16, 'a')), Assembly::Result::OutOfOrder);
  EXPECT_EQ(assembly.add({2, true, 0}, std::string(16, 'a')), Assembly::Result::OutOfOrder);
  EXPECT_EQ(assembly.add({1, true, 0}, "short"), Assembly::Result::Malformed);
  EXPECT_EQ(assembly.add({1, false, 0}, std::string(17, 'a')), Assembly::Result::Malformed);
  EXPECT_EQ(assembly.body().size(), 16u);  // nothing refused was taken
}

TEST(Assembly, CapsTheBody) {
  Assembly assembly(40);
  EXPECT_EQ(assembly.add({0, true, 0}, std::string(16, 'a')), Assembly::Result::More);
  EXPECT_EQ(assembly.add({1, true, 0}, std::string(16, 'a')), Assembly::Result::More);
  EXPECT_EQ(assembly.add({2, true, 0}, std::string(16, 'a')), Assembly::Result::TooLarge);
  EXPECT_EQ(assembly.add({2, false, 0}, std::string(8, 'a')), Assembly::Result::Complete);
  EXPECT_EQ(assembly.body().size(), 40u);
}

TEST(Assembly, RandomBlocksNeverPassTheCap) {
  std::mt19937 random(11);
  for (int round = 0; round < 2000; ++round) {
    Assembly assembly(300);
    for (int i = 0; i < 40; ++i) {
      const Block block{static_cast<std::uint32_t>(random() % 24), random() % 2 == 0,
                        static_cast<std::uint8_t>(random() % 7)};
      const auto result = assembly.add(block, std::string(random() % 130, 'x'));
      EXPECT_LE(assembly.body().size(), 300u);
      if (result == Assembly::Result::Complete) break;
    }
  }
}

TEST(Uploads, AssemblesPerKeyAndForgetsFinishedOnes) {
  const auto now = Uploads::Clock::now();
  Uploads uploads(1000, 4, std::chrono::seconds(10));
  std::string body;
  EXPECT_EQ(uploads.add("a", {0, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::Continue);
  EXPECT_EQ(uploads.add("b", {0, true, 0}, std::string(16, 'b'), now, body),
            Uploads::Result::Continue);
  EXPECT_EQ(uploads.add("a", {1, false, 0}, "end", now, body), Uploads::Result::Complete);
  EXPECT_EQ(body, std::string(16, 'a') + "end");
  EXPECT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads.add("c", {0, false, 0}, "whole", now, body), Uploads::Result::Complete);
  EXPECT_EQ(body, "whole");
}

TEST(Uploads, GapsUnknownUploadsAndCaps) {
  const auto now = Uploads::Clock::now();
  Uploads uploads(32, 2, std::chrono::seconds(10));
  std::string body;
  EXPECT_EQ(uploads.add("a", {1, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::Incomplete);
  EXPECT_EQ(uploads.add("a", {0, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::Continue);
  EXPECT_EQ(uploads.add("a", {2, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::Incomplete);
  EXPECT_EQ(uploads.size(), 0u);  // a gap drops the upload
  EXPECT_EQ(uploads.add("a", {0, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::Continue);
  EXPECT_EQ(uploads.add("a", {1, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::TooLarge);
  EXPECT_EQ(uploads.add("x", {0, false, 0}, std::string(33, 'a'), now, body),
            Uploads::Result::Malformed);  // bigger than its own block size
  EXPECT_EQ(uploads.add("b", {0, true, 0}, std::string(16, 'b'), now, body),
            Uploads::Result::Continue);
  EXPECT_EQ(uploads.add("c", {0, true, 0}, std::string(16, 'c'), now, body),
            Uploads::Result::Continue);
  EXPECT_EQ(uploads.add("d", {0, true, 0}, std::string(16, 'd'), now, body), Uploads::Result::Busy);
}

TEST(Uploads, ExpiresAndRestarts) {
  const auto now = Uploads::Clock::now();
  Uploads uploads(1000, 4, std::chrono::seconds(10));
  std::string body;
  EXPECT_EQ(uploads.add("a", {0, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::Continue);
  // NUM 0 again: a new transfer replaces the old one.
  EXPECT_EQ(uploads.add("a", {0, true, 0}, std::string(16, 'z'), now, body),
            Uploads::Result::Continue);
  EXPECT_EQ(uploads.add("a", {1, false, 0}, "!", now, body), Uploads::Result::Complete);
  EXPECT_EQ(body, std::string(16, 'z') + "!");
  EXPECT_EQ(uploads.add("a", {0, true, 0}, std::string(16, 'a'), now, body),
            Uploads::Result::Continue);
  uploads.expire(now + std::chrono::seconds(11));
  EXPECT_EQ(uploads.size(), 0u);
  EXPECT_EQ(uploads.add("a", {1, false, 0}, "!", now, body), Uploads::Result::Incomplete);
}

}  // namespace
}  // namespace gatemq::gateway::lwm2m
