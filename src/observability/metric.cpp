#include "gquic/observability/metric.h"

#include <algorithm>
#include <cmath>

namespace gquic::observability {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double v) noexcept {
  // Bucket i holds bounds_[i-1] < v <= bounds_[i]; NaN and values above the last bound go to
  // the +Inf bucket at index bounds_.size().
  const std::size_t i =
      std::isnan(v) ? bounds_.size()
                    : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                               bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    acc += bucket_count(i);
    out[i] = acc;
  }
  return out;
}

std::uint64_t Histogram::count() const noexcept {
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) acc += bucket_count(i);
  return acc;
}

}  // namespace gquic::observability
