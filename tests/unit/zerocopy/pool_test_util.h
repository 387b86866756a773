#pragma once
// Helpers shared by the pool tests.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gquic/zerocopy/memory_pool.h"

namespace gquic::zerocopy::test {

inline PoolConfig config(std::size_t chunk, std::size_t initial, std::size_t max,
                         std::size_t cache, std::string name = "test") {
  PoolConfig c;
  c.chunk_size = chunk;
  c.initial_chunks = initial;
  c.max_chunks = max;
  c.per_thread_cache = cache;
  c.name = std::move(name);
  return c;
}

inline std::unique_ptr<MemoryPool> make_pool(const PoolConfig& c) {
  auto pool = MemoryPool::create(c);
  EXPECT_TRUE(pool) << pool.error().message();
  return pool ? std::move(pool).value() : nullptr;
}

}  // namespace gquic::zerocopy::test
