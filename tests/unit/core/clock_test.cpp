#include "gquic/core/clock.h"

#include <gtest/gtest.h>

namespace gquic {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock;
  const TimePoint t0 = clock.now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(250ms);
  EXPECT_EQ(clock.now() - t0, 250ms);
  clock.set(t0);
  EXPECT_EQ(clock.now(), t0);
}

TEST(SteadyClock, IsMonotonic) {
  const Clock& clock = SteadyClock::instance();
  const TimePoint a = clock.now();
  const TimePoint b = clock.now();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace gquic
