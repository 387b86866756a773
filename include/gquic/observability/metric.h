#pragma once
// The three metric kinds a module updates on its hot path: Counter, Gauge and Histogram.
//
// Each object is one time series (one label-value set of a family, see metrics.h). Updates are
// single relaxed atomic operations — no locks, no allocation — so a module may update them from
// any thread. The collector reads them at scrape time; a scrape sees every update that
// happened-before it and possibly some concurrent ones, which is all Prometheus asks.
//
// The objects are created and owned by their family and never move or die while the collector
// lives, so modules look a handle up once (`Counter& c = *family.with({"0"});`) and keep the
// reference. Each is aligned to a cache line so two series updated by two threads do not
// share one.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace gquic::observability {

inline constexpr std::size_t kCacheLine = 64;

// A monotonically increasing count of events (packets, bytes, errors).
class alignas(kCacheLine) Counter {
 public:
  Counter() noexcept = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (queue depth, open connections, pool size).
class alignas(kCacheLine) Gauge {
 public:
  Gauge() noexcept = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double d = 1.0) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  void dec(double d = 1.0) noexcept { value_.fetch_sub(d, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into buckets with fixed upper bounds (inclusive, as Prometheus' `le`).
// Bounds come from the family and are validated there: finite and strictly increasing; the
// +Inf bucket is implicit. Each bucket keeps its own, non-cumulative count; the exposition
// cumulates them and derives `_count` from the same numbers, so `_count` always equals the
// +Inf bucket even while observations race a scrape. A NaN observation lands in the +Inf bucket
// and makes the sum NaN (the behaviour of the reference Prometheus clients).
class alignas(kCacheLine) Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double v) noexcept;

  std::span<const double> bounds() const noexcept { return bounds_; }
  // Non-cumulative count of bucket i; i == bounds().size() is the +Inf bucket.
  std::uint64_t bucket_count(std::size_t i) const noexcept {
    return buckets_[i].load(std::memory_order_relaxed);
  }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  // Cumulative counts, one per bound plus +Inf; the last element is the total count.
  std::vector<std::uint64_t> cumulative_counts() const;
  std::uint64_t count() const noexcept;

 private:
  std::span<const double> bounds_;  // owned by the family, which outlives this object
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 entries
  std::atomic<double> sum_{0.0};
};

}  // namespace gquic::observability
