#include "gquic/zerocopy/pool_config.h"

#include <gtest/gtest.h>

#include <limits>

#include "gquic/zerocopy/memory_pool.h"

namespace gquic::zerocopy {
namespace {

PoolConfig good() {
  PoolConfig c;
  c.chunk_size = 2048;
  c.initial_chunks = 4;
  c.max_chunks = 16;
  c.per_thread_cache = 8;
  return c;
}

void expect_rejected(const PoolConfig& c) {
  auto v = validate(c);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error(), Errc::invalid_argument);
  auto pool = MemoryPool::create(c);
  ASSERT_FALSE(pool);
  EXPECT_EQ(pool.error(), Errc::invalid_argument);
}

TEST(PoolConfig, DefaultsAndAGoodConfigAreAccepted) {
  EXPECT_TRUE(validate(PoolConfig{}));
  EXPECT_TRUE(validate(good()));
  ASSERT_TRUE(MemoryPool::create(good()));
  EXPECT_EQ(PoolConfig{}.per_thread_cache, 32u);
}

TEST(PoolConfig, RejectsZeroChunkSize) {
  auto c = good();
  c.chunk_size = 0;
  expect_rejected(c);
}

TEST(PoolConfig, RejectsZeroMaxChunks) {
  auto c = good();
  c.initial_chunks = 0;
  c.max_chunks = 0;
  expect_rejected(c);
}

TEST(PoolConfig, RejectsMaxBelowInitial) {
  auto c = good();
  c.initial_chunks = 17;
  expect_rejected(c);
  c.initial_chunks = 16;  // equal is fine
  EXPECT_TRUE(validate(c));
}

TEST(PoolConfig, RejectsAbsurdSizes) {
  auto c = good();
  c.chunk_size = kMaxChunkSize + 1;
  expect_rejected(c);
  c.chunk_size = kMaxChunkSize;
  EXPECT_TRUE(validate(c));

  c = good();
  c.max_chunks = kMaxChunks + 1;
  expect_rejected(c);

  c = good();
  c.max_chunks = std::numeric_limits<std::size_t>::max();
  expect_rejected(c);

  // Each size within its own limit, but the total above kMaxPoolBytes.
  c = good();
  c.chunk_size = kMaxChunkSize;
  c.initial_chunks = 0;
  c.max_chunks = kMaxPoolBytes / kMaxChunkSize + 1;
  expect_rejected(c);
  c.max_chunks = kMaxPoolBytes / kMaxChunkSize;
  EXPECT_TRUE(validate(c));

  c = good();
  c.per_thread_cache = kMaxPerThreadCache + 1;
  expect_rejected(c);
}

TEST(PoolConfig, TinyChunksUpToTheChunkLimit) {
  auto c = good();
  c.chunk_size = 1;
  c.initial_chunks = 0;
  c.max_chunks = kMaxChunks;
  EXPECT_TRUE(validate(c));
}

TEST(PoolConfig, ZeroPerThreadCacheIsAllowed) {
  auto c = good();
  c.per_thread_cache = 0;
  EXPECT_TRUE(validate(c));
}

}  // namespace
}  // namespace gquic::zerocopy
