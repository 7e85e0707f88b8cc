// The latency histogram: slot boundaries, percentile accuracy, merging.
#include "bench/histogram.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace gatemq::bench {
namespace {

TEST(Histogram, SmallValuesAreExact) {
  for (std::uint64_t v = 0; v < Histogram::kSubBuckets; ++v) {
    EXPECT_EQ(Histogram::index_of(v), v);
    EXPECT_EQ(Histogram::lowest_of(v), v);
    EXPECT_EQ(Histogram::highest_of(v), v);
  }
}

TEST(Histogram, EverySlotContainsItsBounds) {
  for (std::size_t i = 0; i < Histogram::kBucketCount; ++i) {
    const auto low = Histogram::lowest_of(i);
    const auto high = Histogram::highest_of(i);
    ASSERT_LE(low, high);
    EXPECT_EQ(Histogram::index_of(low), i);
    EXPECT_EQ(Histogram::index_of(high), i);
    if (i + 1 < Histogram::kBucketCount) {
      EXPECT_EQ(Histogram::lowest_of(i + 1), high + 1);
    }
  }
  EXPECT_EQ(Histogram::index_of(std::numeric_limits<std::uint64_t>::max()),
            Histogram::kBucketCount - 1);
}

TEST(Histogram, RelativeErrorBelowOnePercent) {
  for (std::uint64_t v = 1; v < (std::uint64_t{1} << 40); v = v * 3 + 7) {
    const auto i = Histogram::index_of(v);
    const double width = static_cast<double>(Histogram::highest_of(i) - Histogram::lowest_of(i));
    EXPECT_LE(width / static_cast<double>(v), 1.0 / Histogram::kSubBuckets) << v;
  }
}

TEST(Histogram, Percentiles) {
  Histogram h;
  EXPECT_EQ(h.percentile(50), 0u);
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v * 1000);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 1'000'000u);
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 500'000.0, 500'000.0 / 128);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 990'000.0, 990'000.0 / 128);
  EXPECT_EQ(h.percentile(100), 1'000'000u);
  EXPECT_GE(h.percentile(99.9), h.percentile(99));
  EXPECT_DOUBLE_EQ(h.mean(), 500'500.0);
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a;
  Histogram b;
  a.record(10);
  b.record(1'000'000);
  b.record(5);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 1'000'000u);
  EXPECT_EQ(a.percentile(50), 10u);
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.max(), 0u);
}

}  // namespace
}  // namespace gatemq::bench
