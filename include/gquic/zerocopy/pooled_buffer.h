#pragma once
// PooledBuffer: the owning, move-only handle to one chunk of a zerocopy::MemoryPool.
//
// The handle knows its pool; destroying it (or MemoryPool::return_buffer) gives the chunk back.
// A moved-from handle is empty: no data, size and capacity 0, `operator bool` false, and its
// destruction does nothing. `size()` counts the valid bytes written so far (0 for a fresh
// buffer; the chunk's previous contents are not cleared), `capacity()` is the pool's
// chunk_size. The pool must outlive every handle taken from it (memory_pool.h).

#include <cstddef>
#include <cstdint>
#include <span>

#include "gquic/core/error.h"

namespace gquic::zerocopy {

class MemoryPool;
namespace detail {
class PoolCore;
// Gives `chunk` back to `core`; the destructor's path, defined beside the pool.
void release_chunk(PoolCore* core, std::uint8_t* chunk) noexcept;
}  // namespace detail

class PooledBuffer {
 public:
  PooledBuffer() noexcept = default;
  PooledBuffer(PooledBuffer&& other) noexcept
      : core_(other.core_), data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
    other.clear_handle();
  }
  PooledBuffer& operator=(PooledBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      core_ = other.core_;
      data_ = other.data_;
      size_ = other.size_;
      capacity_ = other.capacity_;
      other.clear_handle();
    }
    return *this;
  }
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  ~PooledBuffer() { reset(); }

  // Gives the chunk back now; the handle becomes empty.
  void reset() noexcept {
    if (data_ != nullptr) {
      std::uint8_t* chunk = data_;
      detail::PoolCore* core = core_;
      clear_handle();
      detail::release_chunk(core, chunk);
    }
  }

  explicit operator bool() const noexcept { return data_ != nullptr; }

  std::uint8_t* data() noexcept { return data_; }
  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }

  // Sets how many bytes are valid. n > capacity() is Errc::invalid_argument and changes
  // nothing; resizing an empty handle is Errc::invalid_argument unless n == 0.
  Result<void> resize(std::size_t n) noexcept {
    if (n > capacity_) return Errc::invalid_argument;
    size_ = static_cast<std::uint32_t>(n);
    return {};
  }

  // The valid bytes.
  std::span<std::uint8_t> span() noexcept { return {data_, size_}; }
  std::span<const std::uint8_t> span() const noexcept { return {data_, size_}; }
  // The whole chunk, to write into before resize().
  std::span<std::uint8_t> writable() noexcept { return {data_, capacity_}; }

 private:
  friend class MemoryPool;
  PooledBuffer(detail::PoolCore* core, std::uint8_t* chunk, std::uint32_t capacity) noexcept
      : core_(core), data_(chunk), capacity_(capacity) {}
  void clear_handle() noexcept {
    core_ = nullptr;
    data_ = nullptr;
    size_ = 0;
    capacity_ = 0;
  }

  detail::PoolCore* core_ = nullptr;
  std::uint8_t* data_ = nullptr;
  std::uint32_t size_ = 0;      // chunk_size <= kMaxChunkSize fits in 32 bits
  std::uint32_t capacity_ = 0;
};

}  // namespace gquic::zerocopy
