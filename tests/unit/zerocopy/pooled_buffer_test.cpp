#include "gquic/zerocopy/pooled_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "gquic/zerocopy/memory_pool.h"

namespace gquic::zerocopy {
namespace {

static_assert(!std::is_copy_constructible_v<PooledBuffer>);
static_assert(!std::is_copy_assignable_v<PooledBuffer>);
static_assert(std::is_nothrow_move_constructible_v<PooledBuffer>);
static_assert(std::is_nothrow_move_assignable_v<PooledBuffer>);
static_assert(!std::is_convertible_v<PooledBuffer, bool>);  // operator bool is explicit

std::unique_ptr<MemoryPool> make_pool(std::size_t chunk = 512, std::size_t max = 4) {
  PoolConfig c;
  c.chunk_size = chunk;
  c.initial_chunks = 1;
  c.max_chunks = max;
  c.per_thread_cache = 2;
  auto pool = MemoryPool::create(c);
  EXPECT_TRUE(pool);
  return std::move(pool).value();
}

TEST(PooledBuffer, DefaultHandleIsEmpty) {
  PooledBuffer b;
  EXPECT_FALSE(b);
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_TRUE(b.span().empty());
  EXPECT_TRUE(b.writable().empty());
  EXPECT_TRUE(b.resize(0));
  EXPECT_EQ(b.resize(1).error(), Errc::invalid_argument);
  b.reset();  // harmless
}

TEST(PooledBuffer, FreshBufferHasCapacityAndNoData) {
  auto pool = make_pool(1000);
  auto b = pool->get_buffer();
  ASSERT_TRUE(b);
  EXPECT_TRUE(*b);
  EXPECT_NE(b->data(), nullptr);
  EXPECT_EQ(b->capacity(), 1000u);
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(b->writable().size(), 1000u);
  EXPECT_EQ(b->writable().data(), b->data());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b->data()) % kChunkAlignment, 0u);
}

TEST(PooledBuffer, ResizeBoundsTheValidBytes) {
  auto pool = make_pool(64);
  auto r = pool->get_buffer();
  ASSERT_TRUE(r);
  PooledBuffer& b = *r;
  std::memcpy(b.writable().data(), "hello", 5);
  ASSERT_TRUE(b.resize(5));
  EXPECT_EQ(b.size(), 5u);
  EXPECT_EQ(std::string(b.span().begin(), b.span().end()), "hello");
  const PooledBuffer& cb = b;
  EXPECT_EQ(cb.span().size(), 5u);
  EXPECT_EQ(cb.data(), b.data());

  ASSERT_TRUE(b.resize(64));
  EXPECT_EQ(b.span().size(), 64u);
  auto too_big = b.resize(65);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error(), Errc::invalid_argument);
  EXPECT_EQ(b.size(), 64u);  // unchanged
  ASSERT_TRUE(b.resize(0));
  EXPECT_TRUE(b.span().empty());
}

TEST(PooledBuffer, MoveLeavesTheSourceEmpty) {
  auto pool = make_pool();
  auto r = pool->get_buffer();
  ASSERT_TRUE(r);
  std::uint8_t* chunk = r->data();
  ASSERT_TRUE(r->resize(7));

  PooledBuffer a = std::move(*r);
  EXPECT_FALSE(*r);
  EXPECT_EQ(r->data(), nullptr);
  EXPECT_EQ(r->size(), 0u);
  EXPECT_EQ(r->capacity(), 0u);
  EXPECT_EQ(a.data(), chunk);
  EXPECT_EQ(a.size(), 7u);
  EXPECT_EQ(pool->stats().in_use, 1u);

  PooledBuffer c;
  c = std::move(a);
  EXPECT_FALSE(a);
  EXPECT_EQ(c.data(), chunk);
  EXPECT_EQ(pool->stats().in_use, 1u);

  // Self-move keeps the buffer.
  PooledBuffer& alias = c;
  c = std::move(alias);
  EXPECT_EQ(c.data(), chunk);
  EXPECT_EQ(pool->stats().in_use, 1u);
}

TEST(PooledBuffer, MoveAssignReturnsTheOverwrittenChunk) {
  auto pool = make_pool();
  auto a = pool->get_buffer();
  auto b = pool->get_buffer();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(pool->stats().in_use, 2u);
  *a = std::move(*b);  // a's old chunk goes back
  EXPECT_EQ(pool->stats().in_use, 1u);
  EXPECT_EQ(pool->stats().returns, 1u);
}

TEST(PooledBuffer, DestructionAndResetReturnTheChunk) {
  auto pool = make_pool();
  {
    auto b = pool->get_buffer();
    ASSERT_TRUE(b);
    EXPECT_EQ(pool->stats().in_use, 1u);
  }
  EXPECT_EQ(pool->stats().in_use, 0u);
  auto b = pool->get_buffer();
  ASSERT_TRUE(b);
  b->reset();
  EXPECT_FALSE(*b);
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(pool->stats().returns, 2u);
}

}  // namespace
}  // namespace gquic::zerocopy
