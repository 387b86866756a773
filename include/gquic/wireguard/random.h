#pragma once
// Randomness is injected into the WireGuard core: ephemeral keys, session indices, cookie
// secrets and timer jitter all come from a RandomSource (gquic/core/random.h). Production uses
// SodiumRandom (libsodium's CSPRNG); tests and fuzzers use DeterministicRandom.

#include <cstdint>
#include <span>

#include "gquic/core/random.h"

namespace gquic::wireguard {

using gquic::DeterministicRandom;
using gquic::RandomSource;

// libsodium randombytes_buf.
class SodiumRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) noexcept override;
  static SodiumRandom& instance() noexcept;
};

}  // namespace gquic::wireguard
