#pragma once
// Anti-replay for transport counters (whitepaper 5.4.6), an RFC 6479 style sliding window:
// a ring of 128 blocks of 64 bits (8192 bits) of which 127 blocks, 8128 counters, lie behind
// the highest counter seen. Moving the window forward clears whole blocks, so the cost does
// not depend on how far the counter jumps. A counter is accepted once if it is below
// kRejectAfterMessages, not older than the window and not seen before. Call validate() only
// after the packet authenticated, so forgeries cannot move the window.

#include <array>
#include <cstdint>

#include "gquic/wireguard/constants.h"

namespace gquic::wireguard {

class ReplayFilter {
 public:
  static constexpr int kBlockBits = 64;
  static constexpr std::uint64_t kRingBlocks = 128;
  static constexpr std::uint64_t kWindowSize = (kRingBlocks - 1) * kBlockBits;  // 8128

  // True if `counter` is new and inside the window (and then marks it seen).
  bool validate(std::uint64_t counter, std::uint64_t limit = kRejectAfterMessages) noexcept;
  void reset() noexcept { *this = ReplayFilter{}; }
  std::uint64_t highest() const noexcept { return last_; }

 private:
  std::uint64_t last_ = 0;
  std::array<std::uint64_t, kRingBlocks> ring_{};
};

}  // namespace gquic::wireguard
