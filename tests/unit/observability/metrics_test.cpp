#include "gquic/observability/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace gquic::observability {
namespace {

TEST(MetricsCollector, CounterFamilyChildrenAreStableHandles) {
  MetricsCollector m;
  auto fam = m.counter("gquic_udp_datagrams_sent_total", "Datagrams sent", {"socket"});
  ASSERT_TRUE(fam) << fam.error().message();
  CounterFamily& f = *fam;
  Counter& s0 = *f.with({"0"});
  Counter& s1 = *f.with({"1"});
  s0.inc(3);
  s1.inc();
  EXPECT_EQ(&s0, &f.with({"0"})->get());  // same child for the same values
  EXPECT_NE(&s0, &s1);
  EXPECT_EQ(s0.value(), 3u);
  EXPECT_EQ(f.size(), 2u);
  // Many more children do not move the first ones.
  for (int i = 2; i < 200; ++i) ASSERT_TRUE(f.with({std::to_string(i)}));
  EXPECT_EQ(&s0, &f.with({"0"})->get());

  // Runtime-built label values.
  const std::vector<std::string> values{"7"};
  Counter& s7 = *f.with(values);
  EXPECT_EQ(&s7, &f.with({"7"})->get());
}

TEST(MetricsCollector, GaugeAndHistogramFamilies) {
  MetricsCollector m;
  auto g = m.gauge("gquic_pool_buffers_in_use", "Buffers handed out", {"pool"});
  ASSERT_TRUE(g);
  Gauge& in_use = *g->get().with({"rx"});
  in_use.set(5);
  in_use.dec(2);
  EXPECT_DOUBLE_EQ(in_use.value(), 3);

  auto h = m.histogram("gquic_handshake_duration_seconds", "Handshake time", {"role"},
                       {0.01, 0.1, 1});
  ASSERT_TRUE(h);
  Histogram& client = *h->get().with({"client"});
  client.observe(0.05);
  EXPECT_EQ(client.count(), 1u);
  EXPECT_EQ(h->get().bounds(), (std::vector<double>{0.01, 0.1, 1}));
}

TEST(MetricsCollector, UnlabelledFamilyHasItsChildFromTheStart) {
  MetricsCollector m;
  auto fam = m.counter("gquic_x_total", "X");
  ASSERT_TRUE(fam);
  EXPECT_EQ(fam->get().size(), 1u);
  Counter& c = *fam->get().with();
  c.inc();
  EXPECT_EQ(fam->get().with({})->get().value(), 1u);
}

TEST(MetricsCollector, RejectsBadNamesAsValues) {
  MetricsCollector m;
  EXPECT_EQ(m.counter("gquic-bad_total", "h").error(), MetricsErrc::invalid_metric_name);
  EXPECT_EQ(m.counter("gquic_sent", "h").error(), MetricsErrc::naming_convention);
  EXPECT_EQ(m.gauge("other_thing", "h").error(), MetricsErrc::naming_convention);
  EXPECT_EQ(m.gauge("gquic_rtt_ms", "h").error(), MetricsErrc::naming_convention);
  EXPECT_EQ(m.counter("gquic_a_total", "h", {"__x"}).error(), MetricsErrc::invalid_label_name);
  EXPECT_EQ(m.counter("gquic_a_total", "h", {"a-b"}).error(), MetricsErrc::invalid_label_name);
  EXPECT_EQ(m.counter("gquic_a_total", "h", {"a", "a"}).error(),
            MetricsErrc::invalid_label_name);
  EXPECT_EQ(m.histogram("gquic_h_seconds", "h", {"le"}, {1}).error(),
            MetricsErrc::invalid_label_name);
  EXPECT_EQ(m.gauge("gquic_g", "bad \xff help").error(), MetricsErrc::invalid_help);
  EXPECT_EQ(m.family_count(), 0u);
}

TEST(MetricsCollector, HistogramBoundsAreValidated) {
  MetricsCollector m;
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(m.histogram("gquic_a_seconds", "h", {}, {1, 1}).error(), MetricsErrc::invalid_buckets);
  EXPECT_EQ(m.histogram("gquic_a_seconds", "h", {}, {2, 1}).error(), MetricsErrc::invalid_buckets);
  EXPECT_EQ(m.histogram("gquic_a_seconds", "h", {}, {std::nan(""), 1}).error(),
            MetricsErrc::invalid_buckets);
  EXPECT_EQ(m.histogram("gquic_a_seconds", "h", {}, {-inf, 1}).error(),
            MetricsErrc::invalid_buckets);
  EXPECT_EQ(m.histogram("gquic_a_seconds", "h", {}, {inf, inf}).error(),
            MetricsErrc::invalid_buckets);
  auto ok = m.histogram("gquic_a_seconds", "h", {}, {-1, 0, 1, inf});  // trailing +Inf dropped
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->get().bounds(), (std::vector<double>{-1, 0, 1}));
  EXPECT_TRUE(m.histogram("gquic_b_seconds", "h", {}, {}));  // only +Inf
}

TEST(MetricsCollector, DuplicateRegistration) {
  MetricsCollector m;
  auto a = m.counter("gquic_sent_total", "Sent", {"socket"});
  ASSERT_TRUE(a);
  auto again = m.counter("gquic_sent_total", "Other help is ignored", {"socket"});
  ASSERT_TRUE(again);
  EXPECT_EQ(&a->get(), &again->get());
  EXPECT_EQ(again->get().help(), "Sent");

  EXPECT_EQ(m.counter("gquic_sent_total", "Sent", {"sock"}).error(),
            MetricsErrc::conflicting_registration);
  EXPECT_EQ(m.counter("gquic_sent_total", "Sent", {"socket", "x"}).error(),
            MetricsErrc::conflicting_registration);
  EXPECT_EQ(m.counter("gquic_sent_total", "Sent").error(), MetricsErrc::conflicting_registration);

  ASSERT_TRUE(m.gauge("gquic_depth", "Depth"));
  EXPECT_EQ(m.histogram("gquic_depth", "Depth", {}, {1}).error(),
            MetricsErrc::conflicting_registration);
  EXPECT_TRUE(m.gauge("gquic_depth", "Depth"));

  ASSERT_TRUE(m.histogram("gquic_rtt_seconds", "RTT", {}, {1, 2}));
  EXPECT_TRUE(m.histogram("gquic_rtt_seconds", "RTT", {}, {1, 2}));
  EXPECT_EQ(m.histogram("gquic_rtt_seconds", "RTT", {}, {1, 3}).error(),
            MetricsErrc::conflicting_registration);
  EXPECT_EQ(m.family_count(), 3u);
}

TEST(MetricsCollector, HistogramSampleNamesCannotBeTakenByOthers) {
  MetricsCollector m;
  ASSERT_TRUE(m.histogram("gquic_rtt_seconds", "h", {}, {1}));
  EXPECT_FALSE(m.gauge("gquic_rtt_seconds_sum", "h"));
  EXPECT_FALSE(m.gauge("gquic_rtt_seconds_bucket", "h"));
  EXPECT_FALSE(m.gauge("gquic_rtt_seconds_count", "h"));
  EXPECT_EQ(m.family_count(), 1u);
}

TEST(MetricsCollector, WrongLabelValuesAreErrors) {
  MetricsCollector m;
  auto fam = m.counter("gquic_drops_total", "Drops", {"socket", "reason"});
  ASSERT_TRUE(fam);
  EXPECT_EQ(fam->get().with({"0"}).error(), MetricsErrc::label_count_mismatch);
  EXPECT_EQ(fam->get().with({"0", "a", "b"}).error(), MetricsErrc::label_count_mismatch);
  EXPECT_EQ(fam->get().with({}).error(), MetricsErrc::label_count_mismatch);
  EXPECT_EQ(fam->get().with({"0", "\xc3("}).error(), MetricsErrc::invalid_label_value);
  EXPECT_EQ(fam->get().size(), 0u);
  EXPECT_TRUE(fam->get().with({"0", ""}));  // empty values are allowed
}

TEST(MetricsCollector, ConcurrentIncrementsThroughFamiliesAreExact) {
  MetricsCollector m;
  auto fam = m.counter("gquic_events_total", "Events", {"kind"});
  ASSERT_TRUE(fam);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      // Each thread looks the children up itself (creation races) and keeps the handles.
      Counter& a = *fam->get().with({"a"});
      for (int i = 0; i < kPerThread; ++i) {
        a.inc();
        if (i % 1000 == 0) fam->get().with({"b"})->get().inc(2);
        if (i % 5000 == 0) (void)m.export_prometheus_metrics();  // scrapes race updates
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fam->get().with({"a"})->get().value(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(fam->get().with({"b"})->get().value(), std::uint64_t{kThreads} * 50 * 2);
}

TEST(BucketHelpers, ExponentialAndLinear) {
  EXPECT_EQ(exponential_buckets(0.5, 2, 4), (std::vector<double>{0.5, 1, 2, 4}));
  EXPECT_EQ(linear_buckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
  EXPECT_TRUE(linear_buckets(1, 2, 0).empty());
}

}  // namespace
}  // namespace gquic::observability
