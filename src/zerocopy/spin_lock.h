#pragma once
// A small test-and-test-and-set lock for the per-thread chunk caches. Each cache is locked by
// its own thread on every get and return and by another thread only in the pool's exhaustion
// sweep, so the lock is nearly always free and costs one atomic exchange. Waiters spin briefly
// and then yield, since the holder may be descheduled on a machine with few cores.

#include <atomic>
#include <thread>

namespace gquic::zerocopy::detail {

class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      for (int spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace gquic::zerocopy::detail
