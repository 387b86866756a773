// The sliding replay window; see replay.h.
#include "gquic/wireguard/replay.h"

namespace gquic::wireguard {

bool ReplayFilter::validate(std::uint64_t counter, std::uint64_t limit) noexcept {
  if (counter >= limit) return false;
  std::uint64_t block = counter / kBlockBits;
  if (counter > last_) {
    const std::uint64_t current = last_ / kBlockBits;
    std::uint64_t diff = block - current;
    if (diff > kRingBlocks) diff = kRingBlocks;
    for (std::uint64_t i = current + 1; diff > 0; ++i, --diff) ring_[i % kRingBlocks] = 0;
    last_ = counter;
  } else if (last_ - counter > kWindowSize) {
    return false;
  }
  const std::uint64_t bit = 1ull << (counter % kBlockBits);
  std::uint64_t& word = ring_[block % kRingBlocks];
  if (word & bit) return false;
  word |= bit;
  return true;
}

}  // namespace gquic::wireguard
