#pragma once
// Randomness is injected into the gossip core (probe order, fan-out targets, nonces) as a
// RandomSource (gquic/core/random.h): OsRandom (OpenSSL's CSPRNG) in production,
// DeterministicRandom (seeded) in tests and simulations.

#include <cstdint>
#include <span>

#include "gquic/core/random.h"

namespace gquic::gossip {

using gquic::DeterministicRandom;
using gquic::RandomSource;

class OsRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) noexcept override;
  static OsRandom& instance() noexcept;
};

}  // namespace gquic::gossip
