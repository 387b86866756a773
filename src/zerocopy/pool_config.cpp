#include "gquic/zerocopy/pool_config.h"

namespace gquic::zerocopy {

Result<void> validate(const PoolConfig& config) noexcept {
  if (config.chunk_size == 0 || config.chunk_size > kMaxChunkSize) return Errc::invalid_argument;
  if (config.max_chunks == 0 || config.max_chunks > kMaxChunks) return Errc::invalid_argument;
  if (config.initial_chunks > config.max_chunks) return Errc::invalid_argument;
  if (config.per_thread_cache > kMaxPerThreadCache) return Errc::invalid_argument;
  // Each chunk occupies chunk_size rounded up to the alignment; the bound counts that.
  const std::size_t stride =
      (config.chunk_size + kChunkAlignment - 1) / kChunkAlignment * kChunkAlignment;
  std::size_t total_bytes = 0;
  if (__builtin_mul_overflow(stride, config.max_chunks, &total_bytes) ||
      total_bytes > kMaxPoolBytes) {
    return Errc::invalid_argument;
  }
  return {};
}

}  // namespace gquic::zerocopy
