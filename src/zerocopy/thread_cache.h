#pragma once
// One thread's cache of idle chunks for one pool, and that thread's counters for the pool.
//
// Ownership: the cache belongs to its thread (a thread-local table in thread_cache.cpp holds
// it) and is registered by raw pointer with its pool while both are alive, so stats() can read
// the counters. The thread unregisters it at exit if the pool still lives (PoolCore::retire);
// a pool that dies first never touches it again, and the thread only sees the dead pool
// through `core.expired()`.
//
// Only the owning thread touches `chunks`, `count`, `seen_drain` and `unpublished`, so the fast
// path needs no lock and no atomic read-modify-write. The counters are written only by the
// owner too (plain load + store on atomics) and read by stats() from any thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gquic::zerocopy::detail {

class PoolCore;

struct alignas(64) ThreadCache {
  ThreadCache(std::uint64_t id, std::weak_ptr<PoolCore> owner,
              std::unique_ptr<std::uint8_t*[]> slots, std::size_t slot_count,
              std::uint64_t drain_epoch) noexcept
      : pool_id(id),
        core(std::move(owner)),
        chunks(std::move(slots)),
        capacity(slot_count),
        seen_drain(drain_epoch) {}

  const std::uint64_t pool_id;
  const std::weak_ptr<PoolCore> core;

  std::unique_ptr<std::uint8_t*[]> chunks;  // a stack: the most recently returned on top
  const std::size_t capacity;
  std::size_t count = 0;
  std::uint64_t seen_drain;     // the pool's drain epoch this cache last answered
  std::int64_t unpublished = 0; // gets - returns not yet added to the pool's published total

  std::atomic<std::uint64_t> gets{0};
  std::atomic<std::uint64_t> returns{0};
  std::atomic<std::int64_t> peak_seen{0};  // highest in_use this thread has observed
};

// Owner-only increment: no other thread writes `counter`, so no read-modify-write is needed.
inline void bump(std::atomic<std::uint64_t>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

}  // namespace gquic::zerocopy::detail
