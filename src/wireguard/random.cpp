// The production random source: libsodium's CSPRNG.
#include "gquic/wireguard/random.h"

#include <cstdlib>

#include <sodium.h>

namespace gquic::wireguard {

void SodiumRandom::fill(std::span<std::uint8_t> out) noexcept {
  randombytes_buf(out.data(), out.size());
}

SodiumRandom& SodiumRandom::instance() noexcept {
  static SodiumRandom r = [] {
    if (sodium_init() < 0) std::abort();
    return SodiumRandom{};
  }();
  return r;
}

}  // namespace gquic::wireguard
