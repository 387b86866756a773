#include "gquic/zerocopy/memory_pool.h"

#include <mutex>
#include <new>
#include <vector>

#include "gquic/core/assert.h"
#include "gquic/core/log.h"
#include "pool_core.h"

namespace gquic::zerocopy {
namespace {

// Cores of pools destroyed with buffers outstanding (release builds only reach this): kept
// alive for the rest of the process so those buffers stay valid. Reachable from a global, so
// leak checkers do not report them.
void keep_alive(std::shared_ptr<detail::PoolCore> core) noexcept {
  static std::mutex mu;
  static auto* kept = new std::vector<std::shared_ptr<detail::PoolCore>>();
  std::lock_guard guard(mu);
  try {
    kept->push_back(std::move(core));
  } catch (const std::bad_alloc&) {
    // Out of memory as well (push_back left `core` intact): leak a heap copy instead.
    new (std::nothrow) std::shared_ptr<detail::PoolCore>(std::move(core));
  }
}

}  // namespace

MemoryPool::MemoryPool(std::shared_ptr<detail::PoolCore> core) noexcept : core_(std::move(core)) {}

Result<std::unique_ptr<MemoryPool>> MemoryPool::create(const PoolConfig& config) noexcept {
  auto core = detail::PoolCore::create(config);
  if (!core) return core.error();
  std::unique_ptr<MemoryPool> pool(new (std::nothrow) MemoryPool(std::move(*core)));
  if (!pool) return std::make_error_code(std::errc::not_enough_memory);
  return pool;
}

MemoryPool::~MemoryPool() {
  const PoolStats s = core_->stats();
  if (s.in_use != 0) {
    try {
      log::get("zerocopy")->error("pool '{}' destroyed with {} buffers outstanding",
                                  core_->config().name, s.in_use);
    } catch (...) {
    }
    keep_alive(std::move(core_));
  }
  GQUIC_ASSERT(s.in_use == 0);  // the pool must outlive its buffers
}

Result<PooledBuffer> MemoryPool::get_buffer() noexcept {
  std::uint8_t* chunk = core_->acquire();
  if (chunk == nullptr) [[unlikely]] return Errc::exhausted;
  return PooledBuffer(core_.get(), chunk, static_cast<std::uint32_t>(core_->config().chunk_size));
}

void MemoryPool::return_buffer(PooledBuffer&& buffer) noexcept {
  GQUIC_ASSERT(!buffer || buffer.core_ == core_.get());  // returned to the wrong pool
  buffer.reset();  // goes back to the pool it came from in any case
}

PoolStats MemoryPool::stats() const noexcept { return core_->stats(); }
const PoolConfig& MemoryPool::config() const noexcept { return core_->config(); }
std::uint64_t MemoryPool::id() const noexcept { return core_->id(); }

}  // namespace gquic::zerocopy
