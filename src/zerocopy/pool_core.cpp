// The shared half of the pool: creation, the shared free list, growth, exhaustion and drain
// requests, thread retirement and stats. The per-thread fast paths are in thread_cache.cpp.

#include "pool_core.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "gquic/core/assert.h"
#include "gquic/core/log.h"

namespace gquic::zerocopy::detail {
namespace {

// Pool ids are never reused, so a stale thread-local entry can never match a new pool.
std::atomic<std::uint64_t> g_next_pool_id{1};

std::size_t stride_of(std::size_t chunk_size) noexcept {
  return (chunk_size + kChunkAlignment - 1) / kChunkAlignment * kChunkAlignment;
}

std::uint8_t* allocate_chunks(std::size_t bytes) noexcept {
  return static_cast<std::uint8_t*>(
      ::operator new(bytes, std::align_val_t{kChunkAlignment}, std::nothrow));
}

void free_chunks(std::uint8_t* p) noexcept {
  ::operator delete(p, std::align_val_t{kChunkAlignment});
}

}  // namespace

PoolCore::PoolCore(const PoolConfig& config, std::uint64_t id) noexcept
    : config_(config),
      id_(id),
      stride_(stride_of(config.chunk_size)),
      batch_(std::max<std::size_t>(1, config.per_thread_cache / 2)) {}

Result<std::shared_ptr<PoolCore>> PoolCore::create(const PoolConfig& config) noexcept {
  if (auto valid = validate(config); !valid) return valid.error();
  const auto oom = std::make_error_code(std::errc::not_enough_memory);
  try {
    std::shared_ptr<PoolCore> core(new PoolCore(config, g_next_pool_id.fetch_add(1)));
    core->free_.reset(new (std::nothrow) std::uint8_t*[config.max_chunks]);
    core->grown_.reset(new (std::nothrow) std::uint8_t*[config.max_chunks - config.initial_chunks]);
    if (!core->free_ || !core->grown_) return oom;
    if (config.initial_chunks > 0) {
      core->initial_block_ = allocate_chunks(core->stride_ * config.initial_chunks);
      if (core->initial_block_ == nullptr) return oom;
      // Pushed in reverse so the first gets take the lowest addresses.
      for (std::size_t i = config.initial_chunks; i-- > 0;) {
        core->free_[core->free_count_++] = core->initial_block_ + i * core->stride_;
      }
    }
    core->total_chunks_.store(config.initial_chunks, std::memory_order_release);
    log::get("zerocopy")->debug("pool '{}' (id {}): chunk {} B, {} initial, {} max, cache {}",
                                config.name, core->id_, config.chunk_size, config.initial_chunks,
                                config.max_chunks, config.per_thread_cache);
    return core;
  } catch (const std::bad_alloc&) {
    return oom;
  }
}

PoolCore::~PoolCore() {
  // Thread caches may still hold pointers into this memory; they never use them again once
  // their weak_ptr to this core has expired.
  if (initial_block_ != nullptr) free_chunks(initial_block_);
  for (std::size_t i = 0; i < grown_count_; ++i) free_chunks(grown_[i]);
}

std::uint8_t* PoolCore::pop_or_grow_locked() noexcept {
  if (free_count_ > 0) return free_[--free_count_];
  const std::size_t total = total_chunks_.load(std::memory_order_relaxed);
  if (total >= config_.max_chunks) return nullptr;
  std::uint8_t* chunk = allocate_chunks(stride_);
  if (chunk == nullptr) return nullptr;  // reported as exhaustion
  grown_[grown_count_++] = chunk;
  total_chunks_.store(total + 1, std::memory_order_release);
  return chunk;
}

std::uint8_t* PoolCore::exhausted_locked() noexcept {
  exhaustion_count_.fetch_add(1, std::memory_order_relaxed);
  drain_epoch_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void PoolCore::push_shared_locked(std::uint8_t* const* chunks, std::size_t n) noexcept {
  GQUIC_ASSERT(free_count_ + n <= config_.max_chunks);  // more idle chunks than exist: a double return
  const std::size_t fits = std::min(n, config_.max_chunks - free_count_);
  std::memcpy(free_.get() + free_count_, chunks, fits * sizeof(std::uint8_t*));
  free_count_ += fits;
}

std::uint8_t* PoolCore::refill(ThreadCache& cache) noexcept {
  std::lock_guard guard(shared_mu_);
  const std::size_t n = std::min(batch_, free_count_);
  if (n == 0) {
    std::uint8_t* chunk = pop_or_grow_locked();
    return chunk != nullptr ? chunk : exhausted_locked();
  }
  free_count_ -= n;
  std::memcpy(cache.chunks.get(), free_.get() + free_count_, n * sizeof(std::uint8_t*));
  cache.count = n - 1;
  return cache.chunks[n - 1];
}

void PoolCore::flush(ThreadCache& cache) noexcept {
  // The bottom of the stack holds the chunks returned longest ago (coldest in the CPU cache);
  // those go back, the recent ones stay.
  const std::size_t n = std::min(batch_, cache.count);
  {
    std::lock_guard guard(shared_mu_);
    push_shared_locked(cache.chunks.get(), n);
  }
  std::memmove(cache.chunks.get(), cache.chunks.get() + n,
               (cache.count - n) * sizeof(std::uint8_t*));
  cache.count -= n;
}

void PoolCore::answer_drain(ThreadCache& cache, std::uint8_t* extra) noexcept {
  std::lock_guard guard(shared_mu_);
  push_shared_locked(cache.chunks.get(), cache.count);
  cache.count = 0;
  if (extra != nullptr) push_shared_locked(&extra, 1);
  cache.seen_drain = drain_epoch_.load(std::memory_order_relaxed);
}

std::uint8_t* PoolCore::acquire_slow(ThreadCache& cache) noexcept {
  if (cache.seen_drain == drain_epoch()) return refill(cache);  // the cache is just empty
  // Some thread found the pool dry: keep one chunk for this get, give back the others, and
  // take no batch while chunks are scarce.
  std::uint8_t* chunk = cache.count > 0 ? cache.chunks[--cache.count] : nullptr;
  answer_drain(cache, nullptr);
  if (chunk != nullptr) return chunk;
  std::lock_guard guard(shared_mu_);
  chunk = pop_or_grow_locked();
  return chunk != nullptr ? chunk : exhausted_locked();
}

std::uint8_t* PoolCore::acquire_direct() noexcept {
  std::uint8_t* chunk = nullptr;
  {
    std::lock_guard guard(shared_mu_);
    chunk = pop_or_grow_locked();
    if (chunk == nullptr) return exhausted_locked();
  }
  note_direct_get();
  return chunk;
}

void PoolCore::release_direct(std::uint8_t* chunk) noexcept {
  {
    std::lock_guard guard(shared_mu_);
    push_shared_locked(&chunk, 1);
  }
  direct_returns_.fetch_add(1, std::memory_order_release);
  published_in_use_.fetch_sub(1, std::memory_order_relaxed);
}

void PoolCore::note_direct_get() noexcept {
  direct_gets_.fetch_add(1, std::memory_order_release);
  const std::int64_t seen = published_in_use_.fetch_add(1, std::memory_order_relaxed) + 1;
  std::int64_t peak = direct_peak_.load(std::memory_order_relaxed);
  while (seen > peak &&
         !direct_peak_.compare_exchange_weak(peak, seen, std::memory_order_relaxed)) {
  }
}

bool PoolCore::register_cache(ThreadCache* cache) noexcept {
  std::lock_guard registry(registry_mu_);
  try {
    caches_.push_back(cache);
  } catch (const std::bad_alloc&) {
    return false;
  }
  return true;
}

void PoolCore::retire(ThreadCache& cache) noexcept {
  std::lock_guard registry(registry_mu_);
  {
    std::lock_guard guard(shared_mu_);
    push_shared_locked(cache.chunks.get(), cache.count);
    cache.count = 0;
  }
  published_in_use_.fetch_add(cache.unpublished, std::memory_order_relaxed);
  cache.unpublished = 0;
  retired_gets_ += cache.gets.load(std::memory_order_relaxed);
  retired_returns_ += cache.returns.load(std::memory_order_relaxed);
  retired_peak_ = std::max(retired_peak_, cache.peak_seen.load(std::memory_order_relaxed));
  std::erase(caches_, &cache);
}

PoolStats PoolCore::stats() const noexcept {
  PoolStats s;
  s.chunk_size = config_.chunk_size;
  s.max_chunks = config_.max_chunks;
  s.exhaustion_count = exhaustion_count_.load(std::memory_order_relaxed);

  std::lock_guard registry(registry_mu_);
  // Returns are read before gets: a return counted here happened after its get, whose count
  // is then visible too, so in_use never comes out negative.
  std::uint64_t returns = retired_returns_ + direct_returns_.load(std::memory_order_acquire);
  for (const ThreadCache* c : caches_) returns += c->returns.load(std::memory_order_acquire);
  std::uint64_t gets = retired_gets_ + direct_gets_.load(std::memory_order_acquire);
  for (const ThreadCache* c : caches_) gets += c->gets.load(std::memory_order_acquire);
  std::int64_t peak = std::max(retired_peak_, direct_peak_.load(std::memory_order_relaxed));
  for (const ThreadCache* c : caches_) {
    peak = std::max(peak, c->peak_seen.load(std::memory_order_relaxed));
  }
  // Read after the gets, so every chunk counted in use is counted as allocated.
  s.total_chunks = total_chunks_.load(std::memory_order_acquire);

  s.gets = gets;
  s.returns = returns;
  s.in_use = static_cast<std::size_t>(
      std::min<std::uint64_t>(gets >= returns ? gets - returns : 0, s.total_chunks));
  s.available = s.total_chunks - s.in_use;
  s.utilization = static_cast<double>(s.in_use) / static_cast<double>(s.max_chunks);
  s.peak_in_use = std::min<std::size_t>(
      std::max<std::size_t>(s.in_use, static_cast<std::size_t>(std::max<std::int64_t>(peak, 0))),
      s.max_chunks);
  return s;
}

}  // namespace gquic::zerocopy::detail
