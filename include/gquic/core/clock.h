#pragma once
// Time is a parameter. Protocol cores take a `TimePoint now` in every call and never read a
// clock; drivers read one through this interface: SteadyClock in production, ManualClock in
// tests and simulations.

#include <atomic>
#include <chrono>

namespace gquic {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const noexcept = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const noexcept override { return std::chrono::steady_clock::now(); }
  static SteadyClock& instance() noexcept {
    static SteadyClock clock;
    return clock;
  }
};

// A clock that moves only when told to. Starts at an arbitrary fixed point so tests print
// the same timestamps on every run.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds(1'000'000)}) noexcept
      : now_(start.time_since_epoch().count()) {}
  TimePoint now() const noexcept override {
    return TimePoint{Duration{now_.load(std::memory_order_acquire)}};
  }
  void advance(Duration d) noexcept { now_.fetch_add(d.count(), std::memory_order_acq_rel); }
  void set(TimePoint t) noexcept { now_.store(t.time_since_epoch().count(), std::memory_order_release); }

 private:
  std::atomic<Duration::rep> now_;
};

}  // namespace gquic
