// MemoryPool get+return against malloc+free of the same size, measured in the same run so the
// result is a ratio. Sizes: 2048 (a datagram buffer) and 65536 (a GSO batch). Each iteration
// writes the first and the last byte of the buffer so neither side can skip touching memory,
// and the pointers pass through DoNotOptimize so the allocation cannot be elided.
//
//   BM_Malloc/<size>           malloc + touch + free
//   BM_Pool/<size>             get_buffer + touch + handle destroyed (chunk returned)
//   BM_MallocBurst/<size>      16 mallocs, then 16 frees (buffers held across a batch)
//   BM_PoolBurst/<size>        16 gets, then 16 returns
// Each is run on 1 thread and on 2 threads sharing one pool (Threads(2)). Times are wall
// clock (UseRealTime); with 2 threads Google Benchmark divides by the iterations of both
// threads, so the time is per operation of the whole process and items_per_second is the
// total rate. Compare pool and malloc rows of the same size and thread count.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>

#include "gquic/zerocopy/memory_pool.h"

namespace {

using gquic::zerocopy::MemoryPool;
using gquic::zerocopy::PoolConfig;
using gquic::zerocopy::PooledBuffer;

constexpr int kBurst = 16;

MemoryPool& pool_for(std::size_t size) {
  auto make = [](std::size_t chunk) {
    PoolConfig c;
    c.chunk_size = chunk;
    c.initial_chunks = 64;
    c.max_chunks = 256;
    c.per_thread_cache = 32;
    c.name = "bench";
    auto pool = MemoryPool::create(c);
    if (!pool) std::abort();
    return std::move(pool).value();
  };
  static auto small = make(2048);
  static auto large = make(65536);
  return size == 2048 ? *small : *large;
}

inline void touch(void* p, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(p);
  bytes[0] = 1;
  bytes[size - 1] = 2;
  benchmark::DoNotOptimize(bytes);
  benchmark::ClobberMemory();
}

void BM_Malloc(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    void* p = std::malloc(size);
    benchmark::DoNotOptimize(p);
    touch(p, size);
    std::free(p);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Pool(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  MemoryPool& pool = pool_for(size);
  for (auto _ : state) {
    auto b = pool.get_buffer();
    if (!b) {
      state.SkipWithError("pool exhausted");
      break;
    }
    touch(b->data(), b->capacity());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MallocBurst(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::array<void*, kBurst> held{};
  for (auto _ : state) {
    for (auto& p : held) {
      p = std::malloc(size);
      benchmark::DoNotOptimize(p);
      touch(p, size);
    }
    for (auto* p : held) std::free(p);
  }
  state.SetItemsProcessed(state.iterations() * kBurst);
}

void BM_PoolBurst(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  MemoryPool& pool = pool_for(size);
  std::array<PooledBuffer, kBurst> held;
  for (auto _ : state) {
    for (auto& slot : held) {
      auto b = pool.get_buffer();
      if (!b) {
        state.SkipWithError("pool exhausted");
        return;
      }
      slot = std::move(*b);
      touch(slot.data(), slot.capacity());
    }
    for (auto& slot : held) pool.return_buffer(std::move(slot));
  }
  state.SetItemsProcessed(state.iterations() * kBurst);
}

#define GQUIC_POOL_BENCH(fn) \
  BENCHMARK(fn)->Arg(2048)->Arg(65536)->Threads(1)->Threads(2)->UseRealTime()

GQUIC_POOL_BENCH(BM_Malloc);
GQUIC_POOL_BENCH(BM_Pool);
GQUIC_POOL_BENCH(BM_MallocBurst);
GQUIC_POOL_BENCH(BM_PoolBurst);

}  // namespace

BENCHMARK_MAIN();
