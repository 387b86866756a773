#pragma once
// Configuration and statistics of a zerocopy::MemoryPool (memory_pool.h explains the design).
//
// A pool hands out fixed-size chunks. `initial_chunks` are allocated when the pool is created,
// further chunks one at a time when a get finds no idle chunk, never more than `max_chunks` in
// total. `per_thread_cache` is how many idle chunks each thread may keep for itself in front of
// the pool's shared free list (0 turns the per-thread caches off).

#include <cstddef>
#include <cstdint>
#include <string>

#include "gquic/core/error.h"

namespace gquic::zerocopy {

// Limits beyond which a configuration is rejected as absurd.
inline constexpr std::size_t kMaxChunkSize = std::size_t{16} << 20;           // 16 MiB
inline constexpr std::size_t kMaxChunks = std::size_t{1} << 24;               // 16 Mi chunks
inline constexpr std::size_t kMaxPoolBytes = std::uint64_t{1} << 40;          // 1 TiB
inline constexpr std::size_t kMaxPerThreadCache = std::size_t{1} << 16;
// Chunks start on this boundary so two threads never share a cache line through them.
inline constexpr std::size_t kChunkAlignment = 64;

struct PoolConfig {
  std::size_t chunk_size = 2048;       // bytes per chunk, 1..kMaxChunkSize
  std::size_t initial_chunks = 64;     // allocated by create()
  std::size_t max_chunks = 4096;       // hard bound, >= initial_chunks, >= 1
  std::size_t per_thread_cache = 32;   // idle chunks a thread may keep; 0 = no caches
  std::string name = "pool";           // appears in log lines only
};

// Checks a configuration against the rules above; Errc::invalid_argument when one is broken.
Result<void> validate(const PoolConfig& config) noexcept;

// A snapshot of a pool's counters, read without stopping the pool. Exact when no get or return
// runs concurrently with stats(); otherwise each field is a recent value (see memory_pool.h).
struct PoolStats {
  std::size_t chunk_size = 0;
  std::size_t total_chunks = 0;       // chunks allocated so far (initial + lazily added)
  std::size_t max_chunks = 0;
  std::size_t in_use = 0;             // chunks held by PooledBuffers
  std::size_t available = 0;          // allocated chunks not in use (free list or thread caches)
  double utilization = 0.0;           // in_use / max_chunks, 0..1
  std::size_t peak_in_use = 0;        // highest in_use seen (see memory_pool.h for accuracy)
  std::uint64_t gets = 0;             // successful get_buffer() calls
  std::uint64_t returns = 0;          // chunks given back (destructor or return_buffer)
  std::uint64_t exhaustion_count = 0; // get_buffer() calls that failed with Errc::exhausted
};

}  // namespace gquic::zerocopy
