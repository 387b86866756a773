#pragma once
// The state behind a MemoryPool: chunk memory, the shared free list, the registry of per-thread
// caches and the counters. Held by shared_ptr so an exiting thread can tell through a weak_ptr
// whether the pool still lives, and so a pool destroyed with buffers outstanding can be kept
// alive (memory_pool.h). The fast paths acquire()/release() live in thread_cache.cpp beside
// the thread-local lookup; the shared free list, growth, drain requests and stats live
// in pool_core.cpp.
//
// Lock order: registry_mu_, then shared_mu_. Per-thread caches have no lock (thread_cache.h).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/zerocopy/pool_config.h"
#include "thread_cache.h"

namespace gquic::zerocopy::detail {

class PoolCore : public std::enable_shared_from_this<PoolCore> {
 public:
  static Result<std::shared_ptr<PoolCore>> create(const PoolConfig& config) noexcept;
  ~PoolCore();
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  // Fast paths (thread_cache.cpp). acquire() returns nullptr when the pool is exhausted.
  std::uint8_t* acquire() noexcept;
  void release(std::uint8_t* chunk) noexcept;

  PoolStats stats() const noexcept;
  const PoolConfig& config() const noexcept { return config_; }
  std::uint64_t id() const noexcept { return id_; }

  // Thread-cache plumbing (called from thread_cache.cpp).
  bool register_cache(ThreadCache* cache) noexcept;  // false if out of memory
  void retire(ThreadCache& cache) noexcept;           // the cache's thread is exiting
  std::uint64_t drain_epoch() const noexcept {
    return drain_epoch_.load(std::memory_order_relaxed);
  }

 private:
  PoolCore(const PoolConfig& config, std::uint64_t id) noexcept;
  std::uint8_t* acquire_slow(ThreadCache& cache) noexcept;  // cache empty or drain requested
  std::uint8_t* refill(ThreadCache& cache) noexcept;  // cache empty; nullptr: exhausted
  void flush(ThreadCache& cache) noexcept;            // cache full: a batch goes back
  // Another thread found the pool dry: give back every idle chunk, plus `extra` if not null.
  void answer_drain(ThreadCache& cache, std::uint8_t* extra) noexcept;
  void push_shared_locked(std::uint8_t* const* chunks, std::size_t n) noexcept;
  std::uint8_t* acquire_direct() noexcept;            // no cache for this thread
  void release_direct(std::uint8_t* chunk) noexcept;
  std::uint8_t* pop_or_grow_locked() noexcept;        // shared_mu_ held
  std::uint8_t* exhausted_locked() noexcept;          // shared_mu_ held; always nullptr
  void note_get(ThreadCache& cache) noexcept;
  void note_return(ThreadCache& cache) noexcept;
  void note_direct_get() noexcept;

  const PoolConfig config_;
  const std::uint64_t id_;
  const std::size_t stride_;  // chunk_size rounded up to kChunkAlignment
  const std::size_t batch_;   // chunks moved per refill or flush

  // Chunk memory: one block for the initial chunks, one allocation per later chunk.
  std::uint8_t* initial_block_ = nullptr;
  std::unique_ptr<std::uint8_t*[]> grown_;  // max_chunks - initial_chunks slots
  std::size_t grown_count_ = 0;             // guarded by shared_mu_

  // Written groups start on their own cache line, away from the read-only fields above that
  // every get and return reads.
  alignas(64) std::mutex shared_mu_;
  std::unique_ptr<std::uint8_t*[]> free_;  // max_chunks slots, a stack; guarded by shared_mu_
  std::size_t free_count_ = 0;
  std::atomic<std::size_t> total_chunks_{0};  // written under shared_mu_

  alignas(64) mutable std::mutex registry_mu_;
  std::vector<ThreadCache*> caches_;  // guarded by registry_mu_
  std::uint64_t retired_gets_ = 0;    // counters of exited threads, guarded by registry_mu_
  std::uint64_t retired_returns_ = 0;
  std::int64_t retired_peak_ = 0;

  // Gets and returns of threads without a cache, and the published sum of all threads'
  // gets - returns that each thread adds its own unpublished part to when tracking the peak.
  alignas(64) std::atomic<std::uint64_t> direct_gets_{0};
  std::atomic<std::uint64_t> direct_returns_{0};
  std::atomic<std::int64_t> direct_peak_{0};
  std::atomic<std::int64_t> published_in_use_{0};
  std::atomic<std::uint64_t> exhaustion_count_{0};
  // Raised by a get that finds the pool dry; every thread whose cache saw an older value gives
  // its idle chunks back at its next get or return.
  alignas(64) std::atomic<std::uint64_t> drain_epoch_{0};
};

}  // namespace gquic::zerocopy::detail
