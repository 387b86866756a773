#pragma once
// Helpers for modules that publish stats they already keep (the collect-hook pattern of
// metrics.h): look a series up once, tolerate a family that failed to register, and mirror a
// monotonic total kept elsewhere into a Prometheus counter.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string_view>

#include "gquic/core/error.h"
#include "gquic/observability/metrics.h"

namespace gquic::observability {

// The series of `family` for `values`, or nullptr when the family failed to register (the
// caller has logged that) or the values are invalid. Publishing code skips null series.
template <typename M>
M* series_or_null(Result<std::reference_wrapper<Family<M>>>& family,
                  std::initializer_list<std::string_view> values) {
  if (!family) return nullptr;
  auto series = family->get().with(values);
  return series ? &series->get() : nullptr;
}

// A counter that follows a monotonic total kept by its module: each update adds the increase
// since the last one. A total that went backwards (a module reset) adds nothing.
class CounterMirror {
 public:
  CounterMirror() = default;
  explicit CounterMirror(Counter* counter) : counter_(counter) {}
  void update(std::uint64_t total) noexcept {
    if (counter_ != nullptr && total > published_) counter_->inc(total - published_);
    if (total > published_) published_ = total;
  }

 private:
  Counter* counter_ = nullptr;
  std::uint64_t published_ = 0;
};

// Sets a gauge that may be null.
inline void set_gauge(Gauge* g, double v) noexcept {
  if (g != nullptr) g->set(v);
}

}  // namespace gquic::observability
