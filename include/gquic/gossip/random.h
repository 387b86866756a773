#pragma once
// Randomness is injected into the gossip core (probe order, fan-out targets, nonces): OsRandom
// (OpenSSL's CSPRNG) in production, DeterministicRandom (seeded) in tests and simulations.

#include <cstdint>
#include <span>

namespace gquic::gossip {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) noexcept = 0;
  std::uint64_t next_u64() noexcept {
    std::uint8_t b[8];
    fill(b);
    std::uint64_t v = 0;
    for (auto x : b) v = v << 8 | x;
    return v;
  }
  // Uniform in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next_u64() % n; }
};

class OsRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) noexcept override;
  static OsRandom& instance() noexcept;
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

}  // namespace gquic::gossip
