#pragma once
// zerocopy::MemoryPool: fixed-size chunks for packet buffers, handed out as PooledBuffers.
//
// Why chunks. Every datagram buffer on the data path has the same bound (the path MTU, or a
// GSO batch), so a pool of equal chunks replaces malloc/free with a pointer pop/push, never
// fragments, and puts a hard bound (`max_chunks`) on packet memory: when it is reached a get
// fails with Errc::exhausted (counted in stats) instead of growing without limit. Chunks past
// `initial_chunks` are allocated one at a time, only when no idle chunk is left. Each chunk
// starts on a 64-byte boundary.
//
// Why per-thread caches. A shared free list behind one mutex makes every get and return of
// every thread meet on one lock. Instead each thread keeps up to `per_thread_cache` idle chunks
// of each pool it uses, touched by that thread only: no lock and no atomic read-modify-write on
// the fast path. A get pops from the caller's cache, a return pushes onto the returning
// thread's cache (not the taking thread's: chunks migrate). Only when the cache is empty does a
// get take a batch of per_thread_cache/2 chunks from the shared free list (or allocate one
// chunk), and only when it is full does a return move a batch back. Counters are per-thread
// too, written by their thread and summed by stats().
//
// Exhaustion. A get fails with Errc::exhausted when the caller's cache and the shared free
// list are empty and max_chunks are allocated. Idle chunks may then still sit in other live
// threads' caches (at most per_thread_cache each), which no other thread may touch. The
// failed get raises the pool's drain epoch, and every thread gives back all its idle chunks at
// its next get or return for the pool (or when it exits), so scarcity clears as soon as
// the other users make progress. `available` in stats counts those chunks. Set
// per_thread_cache = 0 when `exhausted` must mean exactly "max_chunks in use" (every
// operation then takes the shared lock). A cache that the owning thread must lock on every
// operation, so that others could empty it, was measured: it costs two atomic exchanges per
// get+return, twice the fast path (bench/zerocopy/pool_bench.cpp).
//
// Threads and lifetimes.
//  * A thread's caches are found through a thread-local table keyed by the pool's id. Ids come
//    from a process-wide counter and are never reused, so a thread can never reach a dead pool
//    through a stale entry; entries of destroyed pools are pruned when the thread next
//    registers with a pool.
//  * When a thread exits, its cached chunks go back to the shared free list of every pool
//    still alive, and its counters are folded into the pool's totals: nothing is lost, and all
//    max_chunks chunks can be taken again by other threads. Gets and returns a thread makes
//    after its thread-local table was destroyed (from other thread-local destructors) bypass
//    the caches and use the shared free list directly.
//  * The pool must outlive every PooledBuffer taken from it. Destroying a pool while buffers
//    are outstanding is a broken invariant: GQUIC_ASSERT fires (abort in debug builds); in
//    release builds the pool's memory is deliberately kept alive so the stray buffers stay
//    valid and their eventual return is harmless.
//
// Statistics are read without stopping the pool: stats() sums per-thread atomics under the
// pool's registry lock, which gets and returns take only on a thread's first use of the pool. With no concurrent gets or
// returns every field is exact. Under concurrency each is a recent value; `peak_in_use`
// comes from each thread's view of in_use, in which other threads' last few (< per_thread_cache
// / 2) gets and returns may not yet be visible, so it is exact for use from one thread and may
// be off by that much per other active thread.

#include <cstdint>
#include <memory>

#include "gquic/core/error.h"
#include "gquic/zerocopy/pool_config.h"
#include "gquic/zerocopy/pooled_buffer.h"

namespace gquic::zerocopy {

class MemoryPool {
 public:
  // Validates `config` (Errc::invalid_argument) and allocates the initial chunks
  // (std::errc::not_enough_memory if that fails). Never throws.
  static Result<std::unique_ptr<MemoryPool>> create(const PoolConfig& config) noexcept;

  // GQUIC_ASSERTs that no buffer is outstanding (see the lifetime rules above).
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  // A chunk with size() 0 and capacity() chunk_size, or Errc::exhausted when no idle chunk is
  // within reach (see "Exhaustion" above) or the system refuses memory for a new chunk.
  // Thread-safe.
  Result<PooledBuffer> get_buffer() noexcept;

  // Gives the buffer's chunk back now and leaves `buffer` empty; the same as destroying it.
  // An empty handle is ignored. A buffer of another pool goes back to its own pool (and
  // GQUIC_ASSERT reports the mix-up). Thread-safe; any thread may return any buffer.
  void return_buffer(PooledBuffer&& buffer) noexcept;

  PoolStats stats() const noexcept;
  const PoolConfig& config() const noexcept;
  // Unique for the life of the process; never reused after the pool is destroyed.
  std::uint64_t id() const noexcept;

 private:
  explicit MemoryPool(std::shared_ptr<detail::PoolCore> core) noexcept;
  std::shared_ptr<detail::PoolCore> core_;
};

}  // namespace gquic::zerocopy
