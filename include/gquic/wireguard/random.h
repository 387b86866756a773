#pragma once
// Randomness is injected into the WireGuard core: ephemeral keys, session indices, cookie
// secrets and timer jitter all come from a RandomSource. Production uses SodiumRandom
// (libsodium's CSPRNG); tests and fuzzers use DeterministicRandom, seeded, so runs repeat.

#include <cstdint>
#include <span>

namespace gquic::wireguard {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) noexcept = 0;
  std::uint32_t next_u32() noexcept {
    std::uint8_t b[4];
    fill(b);
    return std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 |
           std::uint32_t(b[3]) << 24;
  }
};

// libsodium randombytes_buf.
class SodiumRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) noexcept override;
  static SodiumRandom& instance() noexcept;
};

// NOT for production keys: a seeded splitmix64 stream for tests, simulations and fuzzing.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(std::uint64_t seed) noexcept : state_(seed) {}
  void fill(std::span<std::uint8_t> out) noexcept override {
    for (auto& b : out) {
      if (avail_ == 0) {
        state_ += 0x9e3779b97f4a7c15ull;
        std::uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        word_ = z ^ (z >> 31);
        avail_ = 8;
      }
      b = static_cast<std::uint8_t>(word_);
      word_ >>= 8;
      --avail_;
    }
  }

 private:
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  int avail_ = 0;
};

}  // namespace gquic::wireguard
