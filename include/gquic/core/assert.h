#pragma once
// Broken invariants are loud. GQUIC_ASSERT aborts with the place and the condition in debug
// builds; in release builds it logs once per call site and counts, and execution goes on, so a
// bug degrades one flow instead of the whole node. Never use it for untrusted input: bad input
// is an error value (core/error.h).

#include <atomic>
#include <cstdint>

namespace gquic::core {

// How many invariant violations this process has seen (exported as a metric).
std::uint64_t invariant_violations() noexcept;
void report_invariant_violation(const char* expr, const char* file, int line) noexcept;

}  // namespace gquic::core

#define GQUIC_ASSERT(cond)                                                        \
  do {                                                                            \
    if (!(cond)) [[unlikely]] {                                                   \
      ::gquic::core::report_invariant_violation(#cond, __FILE__, __LINE__);       \
    }                                                                             \
  } while (false)
