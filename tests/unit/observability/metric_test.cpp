#include "gquic/observability/metric.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace gquic::observability {
namespace {

TEST(Counter, Increments) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(Gauge, SetIncDec) {
  Gauge g;
  EXPECT_EQ(g.value(), 0.0);
  g.set(10);
  g.inc();
  g.inc(2.5);
  g.dec();
  g.dec(0.5);
  EXPECT_DOUBLE_EQ(g.value(), 12.0);
  g.set(-3.25);
  EXPECT_DOUBLE_EQ(g.value(), -3.25);
}

TEST(Histogram, BucketsAreUpperInclusiveAndCumulate) {
  const std::vector<double> bounds{0.1, 1, 10};
  Histogram h(bounds);
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 11.0, 1e9}) h.observe(v);
  EXPECT_EQ(h.bucket_count(0), 2u);  // 0.05, 0.1
  EXPECT_EQ(h.bucket_count(1), 2u);  // 0.5, 1
  EXPECT_EQ(h.bucket_count(2), 2u);  // 5, 10
  EXPECT_EQ(h.bucket_count(3), 2u);  // 11, 1e9 (+Inf)
  EXPECT_EQ(h.cumulative_counts(), (std::vector<std::uint64_t>{2, 4, 6, 8}));
  EXPECT_EQ(h.count(), 8u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.05 + 0.1 + 0.5 + 1.0 + 5.0 + 10.0 + 11.0 + 1e9);
}

TEST(Histogram, NegativeInfinityAndNaN) {
  const std::vector<double> bounds{0};
  Histogram h(bounds);
  h.observe(-std::numeric_limits<double>::infinity());
  h.observe(-1);
  EXPECT_EQ(h.bucket_count(0), 2u);
  h.observe(std::nan(""));
  EXPECT_EQ(h.bucket_count(1), 1u);  // NaN counts in +Inf
  EXPECT_TRUE(std::isnan(h.sum()));
}

TEST(Histogram, NoBoundsIsOnlyInf) {
  Histogram h(std::span<const double>{});
  h.observe(3);
  EXPECT_EQ(h.cumulative_counts(), (std::vector<std::uint64_t>{1}));
}

TEST(Metrics, ConcurrentUpdatesAreExact) {
  Counter c;
  Gauge g;
  const std::vector<double> bounds{1, 2};
  Histogram h(bounds);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        g.inc(1.0);
        h.observe(static_cast<double>((i + t) % 3));  // 0, 1, 2: all exact in binary
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(c.value(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(g.value(), double{kThreads} * kPerThread);
  EXPECT_EQ(h.count(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h.bucket_count(2), 0u);
  double expected_sum = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) expected_sum += (i + t) % 3;
  }
  EXPECT_EQ(h.sum(), expected_sum);
}

}  // namespace
}  // namespace gquic::observability
