// A log-linear histogram of non-negative integers (nanoseconds here), in the manner of
// HdrHistogram: every power of two is split into kSubBuckets linear slots, so any recorded value
// is known to within 1/kSubBuckets (< 0.8 %) across the whole 64-bit range. The bucket array is
// allocated once at construction; record() is a few instructions and never allocates, so it can
// sit on the per-message path.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace gatemq::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBits;
  // Values below kSubBuckets get one slot each; each further power of two gets kSubBuckets.
  static constexpr std::size_t kBucketCount = (64 - kSubBits + 1) * kSubBuckets;

  Histogram() : counts_(kBucketCount, 0) {}

  static std::size_t index_of(std::uint64_t value) {
    if (value < kSubBuckets) return static_cast<std::size_t>(value);
    const int top_bit = 63 - std::countl_zero(value);
    const int shift = top_bit - kSubBits;
    return static_cast<std::size_t>((static_cast<std::uint64_t>(shift + 1) << kSubBits) +
                                    ((value >> shift) - kSubBuckets));
  }

  // Smallest value that lands in slot `index`.
  static std::uint64_t lowest_of(std::size_t index) {
    if (index < kSubBuckets) return index;
    const int shift = static_cast<int>(index >> kSubBits) - 1;
    return (kSubBuckets + (index & (kSubBuckets - 1))) << shift;
  }

  // Largest value that lands in slot `index`: percentiles report it, so they never understate.
  static std::uint64_t highest_of(std::size_t index) {
    if (index < kSubBuckets) return index;
    const int shift = static_cast<int>(index >> kSubBits) - 1;
    return lowest_of(index) + ((std::uint64_t{1} << shift) - 1);
  }

  void record(std::uint64_t value) {
    ++counts_[index_of(value)];
    ++total_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  void merge(const Histogram& other) {
    for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  void reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = 0;
    sum_ = 0;
    min_ = std::numeric_limits<std::uint64_t>::max();
    max_ = 0;
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t min() const { return total_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }

  // The value at or below which `percent` of the recorded values lie (0 when empty); clamped to
  // the exact maximum so p100 and a single-slot histogram read back exactly.
  std::uint64_t percentile(double percent) const {
    if (total_ == 0) return 0;
    const double wanted = std::clamp(percent, 0.0, 100.0) / 100.0 * static_cast<double>(total_);
    auto rank = static_cast<std::uint64_t>(wanted);
    if (static_cast<double>(rank) < wanted || rank == 0) ++rank;  // ceil, at least the first
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(highest_of(i), max_);
    }
    return max_;
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace gatemq::bench
