#include "gquic/core/assert.h"

#include <cstdio>
#include <cstdlib>

#include "gquic/core/log.h"

namespace gquic::core {
namespace {
std::atomic<std::uint64_t> g_violations{0};
}

std::uint64_t invariant_violations() noexcept { return g_violations.load(std::memory_order_relaxed); }

void report_invariant_violation(const char* expr, const char* file, int line) noexcept {
  g_violations.fetch_add(1, std::memory_order_relaxed);
#ifndef NDEBUG
  std::fprintf(stderr, "gquic: invariant violated: %s at %s:%d\n", expr, file, line);
  std::abort();
#else
  try {
    log::get("core")->error("invariant violated: {} at {}:{}", expr, file, line);
  } catch (...) {
    std::fprintf(stderr, "gquic: invariant violated: %s at %s:%d\n", expr, file, line);
  }
#endif
}

}  // namespace gquic::core
