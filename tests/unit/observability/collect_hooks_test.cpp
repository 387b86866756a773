#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gquic/observability/metrics.h"

namespace gquic::observability {
namespace {

// A module that publishes its own stats at scrape time, like the buffer pool would.
struct FakePool {
  std::size_t free_buffers = 0;
  Gauge* gauge = nullptr;
  ScopedCollectHook hook;
  FakePool(MetricsCollector& m) {
    gauge = &m.gauge("gquic_pool_free_buffers", "Free buffers")->get().with()->get();
    hook = ScopedCollectHook(m, [this] { gauge->set(static_cast<double>(free_buffers)); });
  }
};

TEST(CollectHooks, RunBeforeEachExport) {
  MetricsCollector m;
  auto fam = m.gauge("gquic_queue_depth", "Depth");
  ASSERT_TRUE(fam);
  int depth = 3;
  int runs = 0;
  auto id = m.add_collect_hook([&] {
    ++runs;
    fam->get().with()->get().set(depth);
  });
  EXPECT_NE(id, 0u);
  EXPECT_NE(m.export_prometheus_metrics().find("gquic_queue_depth 3\n"), std::string::npos);
  depth = 7;
  EXPECT_NE(m.export_prometheus_metrics().find("gquic_queue_depth 7\n"), std::string::npos);
  EXPECT_EQ(runs, 2);
  (void)m.render_prometheus_metrics();  // render alone does not run hooks
  EXPECT_EQ(runs, 2);
}

TEST(CollectHooks, CanBeRemoved) {
  MetricsCollector m;
  int a = 0, b = 0;
  auto ida = m.add_collect_hook([&] { ++a; });
  auto idb = m.add_collect_hook([&] { ++b; });
  EXPECT_NE(ida, idb);
  (void)m.export_prometheus_metrics();
  EXPECT_TRUE(m.remove_collect_hook(ida));
  EXPECT_FALSE(m.remove_collect_hook(ida));  // already gone
  EXPECT_FALSE(m.remove_collect_hook(12345));
  (void)m.export_prometheus_metrics();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  EXPECT_EQ(m.add_collect_hook(nullptr), 0u);  // an empty function is refused
}

TEST(CollectHooks, ScopedHookGoesAwayWithItsModule) {
  MetricsCollector m;
  auto pool = std::make_unique<FakePool>(m);
  pool->free_buffers = 42;
  EXPECT_NE(m.export_prometheus_metrics().find("gquic_pool_free_buffers 42\n"), std::string::npos);
  pool.reset();  // the module dies before the collector; its hook must not run any more
  EXPECT_NE(m.export_prometheus_metrics().find("gquic_pool_free_buffers 42\n"), std::string::npos);

  // Moving a scoped hook moves the ownership.
  int runs = 0;
  ScopedCollectHook outer;
  {
    ScopedCollectHook inner(m, [&] { ++runs; });
    outer = std::move(inner);
  }
  (void)m.export_prometheus_metrics();
  EXPECT_EQ(runs, 1);
  outer.reset();
  (void)m.export_prometheus_metrics();
  EXPECT_EQ(runs, 1);
}

TEST(CollectHooks, HookMayRemoveItselfOrOthersAndRegisterMetrics) {
  MetricsCollector m;
  int self_runs = 0, victim_runs = 0, adder_runs = 0;
  MetricsCollector::CollectHookId self_id = 0, victim_id = 0;
  self_id = m.add_collect_hook([&] {
    ++self_runs;
    EXPECT_TRUE(m.remove_collect_hook(self_id));
    EXPECT_FALSE(m.remove_collect_hook(self_id));
    EXPECT_TRUE(m.remove_collect_hook(victim_id));
  });
  victim_id = m.add_collect_hook([&] { ++victim_runs; });
  m.add_collect_hook([&] {
    ++adder_runs;
    ASSERT_TRUE(m.counter("gquic_late_total", "Registered by a hook"));
    (void)m.export_prometheus_metrics();  // re-entrant export does not re-run the hooks
  });
  const std::string first = m.export_prometheus_metrics();
  (void)m.export_prometheus_metrics();
  EXPECT_EQ(self_runs, 1);
  EXPECT_EQ(victim_runs, 0);
  EXPECT_EQ(adder_runs, 2);
  EXPECT_NE(first.find("gquic_late_total 0\n"), std::string::npos);
}

TEST(CollectHooks, ThrowingHookDoesNotBreakTheExport) {
  MetricsCollector m;
  int after = 0;
  m.add_collect_hook([] { throw std::runtime_error("boom"); });
  m.add_collect_hook([&] { ++after; });
  ASSERT_TRUE(m.counter("gquic_x_total", "X"));
  EXPECT_NE(m.export_prometheus_metrics().find("gquic_x_total 0"), std::string::npos);
  EXPECT_EQ(after, 1);
}

TEST(CollectHooks, RemovalFromAnotherThreadWaitsForARunningHook) {
  MetricsCollector m;
  std::atomic<bool> in_hook{false};
  std::atomic<bool> release{false};
  std::atomic<bool> hook_finished{false};
  auto id = m.add_collect_hook([&] {
    in_hook = true;
    while (!release.load()) std::this_thread::yield();
    hook_finished = true;
  });
  std::thread scraper([&] { (void)m.export_prometheus_metrics(); });
  while (!in_hook.load()) std::this_thread::yield();
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    EXPECT_TRUE(m.remove_collect_hook(id));
    // Once removal returns the hook has finished: the module may be destroyed now.
    EXPECT_TRUE(hook_finished.load());
    removed = true;
  });
  // Give the remover time to reach the lock; it must still be waiting, whatever the timing.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(removed.load());
  release = true;
  remover.join();
  scraper.join();
  EXPECT_TRUE(removed.load());
}

}  // namespace
}  // namespace gquic::observability
