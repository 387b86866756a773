#pragma once
// Injected randomness for protocol cores (keys, nonces, indices, jitter, probe order): cores
// take a RandomSource&. Production sources wrap a CSPRNG (wireguard::SodiumRandom,
// gossip::OsRandom); tests, simulations and fuzzers use DeterministicRandom, seeded, so runs
// repeat.

#include <cstdint>
#include <span>

namespace gquic {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) noexcept = 0;
  // Four bytes, little-endian.
  std::uint32_t next_u32() noexcept {
    std::uint8_t b[4];
    fill(b);
    return std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 |
           std::uint32_t(b[3]) << 24;
  }
  // Eight bytes, big-endian.
  std::uint64_t next_u64() noexcept {
    std::uint8_t b[8];
    fill(b);
    std::uint64_t v = 0;
    for (auto x : b) v = v << 8 | x;
    return v;
  }
  // Uniform enough in [0, n) for scheduling (modulo bias is negligible for small n); 0 if n == 0.
  std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next_u64() % n; }
};

// NOT for keys or nonces in production: a seeded splitmix64 stream.
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

}  // namespace gquic
