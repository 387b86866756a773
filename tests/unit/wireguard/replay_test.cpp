#include "gquic/wireguard/replay.h"

#include <gtest/gtest.h>

namespace gquic::wireguard {
namespace {

constexpr std::uint64_t W = ReplayFilter::kWindowSize;  // 8128

TEST(WgReplay, InOrderAndDuplicates) {
  ReplayFilter f;
  for (std::uint64_t i = 0; i < 300; ++i) EXPECT_TRUE(f.validate(i)) << i;
  for (std::uint64_t i = 0; i < 300; ++i) EXPECT_FALSE(f.validate(i)) << i;
}

TEST(WgReplay, OutOfOrderInsideWindow) {
  ReplayFilter f;
  EXPECT_TRUE(f.validate(10));
  EXPECT_TRUE(f.validate(5));
  EXPECT_TRUE(f.validate(0));
  EXPECT_FALSE(f.validate(5));
  EXPECT_TRUE(f.validate(9));
}

TEST(WgReplay, ExactWindowBoundary) {
  ReplayFilter f;
  EXPECT_TRUE(f.validate(W + 100));
  EXPECT_TRUE(f.validate(100));     // exactly W behind: still inside
  EXPECT_FALSE(f.validate(100));    // and now a duplicate
  EXPECT_FALSE(f.validate(99));     // W + 1 behind: too old
  EXPECT_TRUE(f.validate(W + 99));  // fresh, below the highest
}

TEST(WgReplay, FarFutureJumpClearsWindow) {
  ReplayFilter f;
  for (std::uint64_t i = 0; i < 64; ++i) EXPECT_TRUE(f.validate(i));
  const std::uint64_t far = 1'000'000'000ull;
  EXPECT_TRUE(f.validate(far));
  EXPECT_FALSE(f.validate(far));
  EXPECT_FALSE(f.validate(10));         // far too old now
  EXPECT_TRUE(f.validate(far - W));     // the oldest still allowed
  EXPECT_TRUE(f.validate(far - 1));     // bits of reused ring blocks were cleared
  EXPECT_TRUE(f.validate(far + 8192));  // a jump of exactly the ring size
  EXPECT_TRUE(f.validate(far + 8192 - 64));
}

TEST(WgReplay, RejectLimit) {
  ReplayFilter f;
  EXPECT_FALSE(f.validate(kRejectAfterMessages));
  EXPECT_FALSE(f.validate(~0ull));
  EXPECT_TRUE(f.validate(kRejectAfterMessages - 1));
  EXPECT_FALSE(f.validate(kRejectAfterMessages - 1));
  EXPECT_TRUE(f.validate(kRejectAfterMessages - 2));
}

}  // namespace
}  // namespace gquic::wireguard
