// The per-thread half of the pool: the thread-local table of caches, the fast get and return
// paths, and handing a thread's cached chunks back when it exits.

#include <algorithm>
#include <new>
#include <vector>

#include "gquic/zerocopy/pooled_buffer.h"
#include "pool_core.h"

namespace gquic::zerocopy::detail {
namespace {

// This thread's caches, one per pool it has used. Its destructor runs at thread exit.
struct ThreadTable {
  std::vector<std::unique_ptr<ThreadCache>> caches;
  ~ThreadTable();
};

// The last pool this thread used and its cache (nullptr: that pool runs without caches),
// checked before the table so the common case is one compare.
thread_local constinit std::uint64_t t_last_id = 0;  // pool ids start at 1
thread_local constinit ThreadCache* t_last = nullptr;
// Set once the table is destroyed; later gets and returns of this thread go direct.
thread_local constinit bool t_table_gone = false;
thread_local ThreadTable t_table;

ThreadTable::~ThreadTable() {
  t_table_gone = true;
  t_last_id = 0;
  t_last = nullptr;
  for (auto& cache : caches) {
    if (auto core = cache->core.lock()) core->retire(*cache);
  }
  caches.clear();
}

ThreadCache* lookup_slow(PoolCore& core) noexcept {
  if (t_table_gone) return nullptr;
  t_last_id = core.id();
  t_last = nullptr;
  if (core.config().per_thread_cache == 0) return nullptr;

  ThreadTable& table = t_table;
  for (auto& cache : table.caches) {
    if (cache->pool_id == core.id()) return t_last = cache.get();
  }
  // Entries of destroyed pools are dropped here; nothing else refers to them.
  std::erase_if(table.caches, [](const auto& cache) { return cache->core.expired(); });

  // Out of memory anywhere below: this thread uses the pool without a cache.
  std::unique_ptr<std::uint8_t*[]> slots(new (std::nothrow)
                                             std::uint8_t*[core.config().per_thread_cache]);
  if (!slots) return nullptr;
  std::unique_ptr<ThreadCache> cache(
      new (std::nothrow) ThreadCache(core.id(), core.weak_from_this(), std::move(slots),
                                     core.config().per_thread_cache, core.drain_epoch()));
  if (!cache) return nullptr;
  try {
    table.caches.reserve(table.caches.size() + 1);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  if (!core.register_cache(cache.get())) return nullptr;
  table.caches.push_back(std::move(cache));
  return t_last = table.caches.back().get();
}

inline ThreadCache* lookup(PoolCore& core) noexcept {
  if (t_last_id == core.id()) [[likely]] return t_last;
  return lookup_slow(core);
}

}  // namespace

std::uint8_t* PoolCore::acquire() noexcept {
  ThreadCache* cache = lookup(*this);
  if (cache == nullptr) return acquire_direct();
  std::uint8_t* chunk = nullptr;
  if (cache->count > 0 && cache->seen_drain == drain_epoch()) [[likely]] {
    chunk = cache->chunks[--cache->count];
  } else {
    chunk = acquire_slow(*cache);
    if (chunk == nullptr) return nullptr;
  }
  note_get(*cache);
  return chunk;
}

void PoolCore::release(std::uint8_t* chunk) noexcept {
  ThreadCache* cache = lookup(*this);
  if (cache == nullptr) {
    release_direct(chunk);
    return;
  }
  if (cache->seen_drain != drain_epoch()) [[unlikely]] {
    answer_drain(*cache, chunk);  // this chunk goes straight back to the shared list too
  } else {
    if (cache->count == cache->capacity) [[unlikely]] flush(*cache);
    cache->chunks[cache->count++] = chunk;
  }
  note_return(*cache);
}

void PoolCore::note_get(ThreadCache& cache) noexcept {
  bump(cache.gets);
  ++cache.unpublished;
  // This thread's view of in_use: everyone's published part plus its own unpublished part.
  const std::int64_t seen = published_in_use_.load(std::memory_order_relaxed) + cache.unpublished;
  if (seen > cache.peak_seen.load(std::memory_order_relaxed)) {
    cache.peak_seen.store(seen, std::memory_order_relaxed);
  }
  if (cache.unpublished >= static_cast<std::int64_t>(batch_)) {
    published_in_use_.fetch_add(cache.unpublished, std::memory_order_relaxed);
    cache.unpublished = 0;
  }
}

void PoolCore::note_return(ThreadCache& cache) noexcept {
  bump(cache.returns);
  --cache.unpublished;
  if (cache.unpublished <= -static_cast<std::int64_t>(batch_)) {
    published_in_use_.fetch_add(cache.unpublished, std::memory_order_relaxed);
    cache.unpublished = 0;
  }
}

void release_chunk(PoolCore* core, std::uint8_t* chunk) noexcept { core->release(chunk); }

}  // namespace gquic::zerocopy::detail
