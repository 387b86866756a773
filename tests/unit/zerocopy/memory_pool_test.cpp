// Single-threaded behaviour of MemoryPool: reuse, exhaustion, lazy growth, stats, several
// pools, and the lifetime rules.

#include "gquic/zerocopy/memory_pool.h"
#include "pool_test_util.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "gquic/core/assert.h"

namespace gquic::zerocopy {
namespace {

PoolConfig config(std::size_t chunk, std::size_t initial, std::size_t max, std::size_t cache) {
  return test::config(chunk, initial, max, cache, "test");
}
using test::make_pool;

// Every cache setting the pool has: none, one chunk, and the usual batch.
class MemoryPoolTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  std::size_t cache() const { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(CacheSizes, MemoryPoolTest, ::testing::Values(0, 1, 32),
                         [](const auto& p) { return "cache" + std::to_string(p.param); });

TEST_P(MemoryPoolTest, ReturnedChunkIsHandedOutAgain) {
  auto pool = make_pool(config(256, 0, 1, cache()));
  std::uint8_t* first = nullptr;
  {
    auto b = pool->get_buffer();
    ASSERT_TRUE(b);
    first = b->data();
    b->data()[0] = 0xab;
  }
  auto again = pool->get_buffer();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->data(), first);
  EXPECT_EQ(again->size(), 0u);  // a fresh handle, whatever the chunk held
  EXPECT_EQ(pool->stats().total_chunks, 1u);
}

TEST_P(MemoryPoolTest, MostRecentlyReturnedChunkComesBackFirst) {
  auto pool = make_pool(config(256, 8, 8, cache()));
  auto a = pool->get_buffer();
  auto b = pool->get_buffer();
  ASSERT_TRUE(a && b);
  std::uint8_t* b_chunk = b->data();
  pool->return_buffer(std::move(*b));
  EXPECT_FALSE(*b);
  auto c = pool->get_buffer();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->data(), b_chunk);
}

TEST_P(MemoryPoolTest, ExhaustionIsAnErrorThatIsCountedAndRecovers) {
  constexpr std::size_t kMax = 10;
  auto pool = make_pool(config(128, 3, kMax, cache()));
  std::vector<PooledBuffer> held;
  std::set<std::uint8_t*> distinct;
  for (std::size_t i = 0; i < kMax; ++i) {
    auto b = pool->get_buffer();
    ASSERT_TRUE(b) << "get " << i << ": " << b.error().message();
    distinct.insert(b->data());
    held.push_back(std::move(*b));
  }
  EXPECT_EQ(distinct.size(), kMax);

  auto denied = pool->get_buffer();
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error(), Errc::exhausted);
  auto denied_again = pool->get_buffer();
  EXPECT_FALSE(denied_again);
  auto s = pool->stats();
  EXPECT_EQ(s.exhaustion_count, 2u);
  EXPECT_EQ(s.total_chunks, kMax);  // no growth past max_chunks
  EXPECT_EQ(s.in_use, kMax);
  EXPECT_EQ(s.gets, kMax);          // failed gets are not counted as gets

  std::uint8_t* freed = held.back().data();
  pool->return_buffer(std::move(held.back()));
  held.pop_back();
  auto ok = pool->get_buffer();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->data(), freed);
  EXPECT_EQ(pool->stats().exhaustion_count, 2u);
}

TEST_P(MemoryPoolTest, ChunksBeyondInitialAreAllocatedLazily) {
  auto pool = make_pool(config(300, 2, 6, cache()));
  EXPECT_EQ(pool->stats().total_chunks, 2u);
  std::vector<PooledBuffer> held;
  for (std::size_t i = 1; i <= 6; ++i) {
    auto b = pool->get_buffer();
    ASSERT_TRUE(b);
    held.push_back(std::move(*b));
    EXPECT_EQ(pool->stats().total_chunks, std::max<std::size_t>(2, i)) << i;
  }
  // Returned chunks are reused; nothing more is allocated.
  held.clear();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 6; ++i) {
      auto b = pool->get_buffer();
      ASSERT_TRUE(b);
      held.push_back(std::move(*b));
    }
    held.clear();
  }
  EXPECT_EQ(pool->stats().total_chunks, 6u);
}

TEST_P(MemoryPoolTest, StatsFollowGetsAndReturns) {
  auto pool = make_pool(config(2048, 4, 20, cache()));
  auto s = pool->stats();
  EXPECT_EQ(s.chunk_size, 2048u);
  EXPECT_EQ(s.max_chunks, 20u);
  EXPECT_EQ(s.total_chunks, 4u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.available, 4u);
  EXPECT_EQ(s.utilization, 0.0);
  EXPECT_EQ(s.peak_in_use, 0u);
  EXPECT_EQ(s.gets, 0u);
  EXPECT_EQ(s.returns, 0u);
  EXPECT_EQ(s.exhaustion_count, 0u);

  std::vector<PooledBuffer> held;
  for (int i = 0; i < 5; ++i) held.push_back(std::move(pool->get_buffer().value()));
  s = pool->stats();
  EXPECT_EQ(s.in_use, 5u);
  EXPECT_EQ(s.total_chunks, 5u);
  EXPECT_EQ(s.available, 0u);
  EXPECT_EQ(s.gets, 5u);
  EXPECT_EQ(s.peak_in_use, 5u);
  EXPECT_DOUBLE_EQ(s.utilization, 5.0 / 20.0);

  held.resize(2);  // three go back
  s = pool->stats();
  EXPECT_EQ(s.in_use, 2u);
  EXPECT_EQ(s.available, 3u);
  EXPECT_EQ(s.returns, 3u);
  EXPECT_EQ(s.peak_in_use, 5u);  // the peak stays
  EXPECT_DOUBLE_EQ(s.utilization, 0.1);

  for (int i = 0; i < 18; ++i) held.push_back(std::move(pool->get_buffer().value()));
  EXPECT_FALSE(pool->get_buffer());
  s = pool->stats();
  EXPECT_EQ(s.in_use, 20u);
  EXPECT_EQ(s.peak_in_use, 20u);
  EXPECT_DOUBLE_EQ(s.utilization, 1.0);
  EXPECT_EQ(s.gets, 23u);
  EXPECT_EQ(s.exhaustion_count, 1u);

  held.clear();
  s = pool->stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.available, 20u);
  EXPECT_EQ(s.gets, s.returns);
  EXPECT_EQ(s.peak_in_use, 20u);
}

TEST_P(MemoryPoolTest, ManyCyclesKeepTheCountersExact) {
  // Far more operations than one batch, so the per-thread counters publish many times.
  auto pool = make_pool(config(64, 0, 50, cache()));
  std::vector<PooledBuffer> held;
  std::size_t peak = 0;
  for (int i = 0; i < 5000; ++i) {
    const bool grow = (i * 7919) % 11 < 6;
    if (grow && held.size() < 50) {
      held.push_back(std::move(pool->get_buffer().value()));
    } else if (!held.empty()) {
      held.pop_back();
    }
    peak = std::max(peak, held.size());
    if (i % 97 == 0) {
      auto s = pool->stats();
      ASSERT_EQ(s.in_use, held.size()) << i;
      ASSERT_EQ(s.peak_in_use, peak) << i;
    }
  }
}

TEST(MemoryPool, TwoPoolsAreIndependent) {
  auto small = make_pool(config(100, 2, 3, 4));
  auto large = make_pool(config(9000, 0, 2, 4));
  EXPECT_NE(small->id(), large->id());
  std::vector<PooledBuffer> s_held;
  std::vector<PooledBuffer> l_held;
  for (int i = 0; i < 3; ++i) {
    s_held.push_back(std::move(small->get_buffer().value()));
    if (i < 2) l_held.push_back(std::move(large->get_buffer().value()));
  }
  EXPECT_EQ(s_held[0].capacity(), 100u);
  EXPECT_EQ(l_held[0].capacity(), 9000u);
  EXPECT_FALSE(small->get_buffer());
  EXPECT_FALSE(large->get_buffer());
  // Returning to one pool does not help the other.
  s_held.pop_back();
  EXPECT_FALSE(large->get_buffer());
  auto again = small->get_buffer();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->capacity(), 100u);

  EXPECT_EQ(small->stats().exhaustion_count, 1u);
  EXPECT_EQ(large->stats().exhaustion_count, 2u);
  EXPECT_EQ(large->stats().in_use, 2u);
}

TEST(MemoryPool, NewPoolsNeverReuseIds) {
  std::set<std::uint64_t> ids;
  for (int i = 0; i < 20; ++i) {
    auto pool = make_pool(config(64, 1, 1, 4));
    auto b = pool->get_buffer();  // gives this thread a cache entry for the pool
    ASSERT_TRUE(b);
    EXPECT_TRUE(ids.insert(pool->id()).second);
  }
}

TEST(MemoryPool, PoolsComeAndGoWhileThisThreadKeepsCaches) {
  // Each pool dies with a chunk in this thread's cache; a new pool (often at the same address)
  // must not see it.
  for (int i = 0; i < 50; ++i) {
    auto pool = make_pool(config(128, 0, 2, 4));
    auto b = pool->get_buffer();
    ASSERT_TRUE(b);
    std::memset(b->data(), i, 128);
    b->reset();
    auto s = pool->stats();
    EXPECT_EQ(s.total_chunks, 1u);
    EXPECT_EQ(s.gets, 1u);
    EXPECT_EQ(s.returns, 1u);
  }
}

#ifdef NDEBUG
TEST(MemoryPool, ReturnToTheWrongPoolGoesBackToTheRightOne) {
  auto a = make_pool(config(64, 1, 1, 4));
  auto b = make_pool(config(64, 1, 1, 4));
  auto buf = a->get_buffer();
  ASSERT_TRUE(buf);
  const auto violations = core::invariant_violations();
  b->return_buffer(std::move(*buf));
  EXPECT_EQ(core::invariant_violations(), violations + 1);
  EXPECT_EQ(a->stats().in_use, 0u);
  EXPECT_EQ(b->stats().returns, 0u);
  EXPECT_TRUE(a->get_buffer());
}

TEST(MemoryPool, DestroyedWithBuffersOutstandingKeepsThemValid) {
  auto pool = make_pool(config(64, 1, 2, 4));
  auto buf = pool->get_buffer();
  ASSERT_TRUE(buf);
  const auto violations = core::invariant_violations();
  pool.reset();
  EXPECT_EQ(core::invariant_violations(), violations + 1);
  std::memset(buf->data(), 0x5a, buf->capacity());  // still valid memory
  buf->reset();                                     // and returning is harmless
}
#else
TEST(MemoryPoolDeathTest, ReturnToTheWrongPoolAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto a = make_pool(config(64, 1, 1, 4));
  auto b = make_pool(config(64, 1, 1, 4));
  auto buf = a->get_buffer();
  ASSERT_TRUE(buf);
  EXPECT_DEATH(b->return_buffer(std::move(*buf)), "invariant violated");
}

TEST(MemoryPoolDeathTest, DestroyedWithBuffersOutstandingAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto pool = make_pool(config(64, 1, 2, 4));
        auto buf = pool->get_buffer();
        pool.reset();
      },
      "invariant violated");
}
#endif

}  // namespace
}  // namespace gquic::zerocopy
