// Key generation, X25519 public keys and the base64/hex text forms of keys.
#include "gquic/wireguard/keys.h"

#include <sodium.h>

#include "gquic/wireguard/random.h"

namespace gquic::wireguard {

void secure_zero(void* p, std::size_t n) noexcept { sodium_memzero(p, n); }

bool PublicKey::is_zero() const noexcept { return sodium_is_zero(bytes.data(), bytes.size()) == 1; }
bool SecretKey::is_zero() const noexcept {
  return sodium_is_zero(bytes_.data(), bytes_.size()) == 1;
}

void clamp_private_key(KeyBytes& k) noexcept {
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
}

PrivateKey generate_private_key(RandomSource& rng) {
  PrivateKey k;
  rng.fill(k.bytes());
  clamp_private_key(k.bytes());
  return k;
}

PresharedKey generate_preshared_key(RandomSource& rng) {
  PresharedKey k;
  rng.fill(k.bytes());
  return k;
}

Result<PublicKey> public_key_from_private(const PrivateKey& priv) {
  if (sodium_init() < 0) return Errc::unsupported;
  KeyBytes clamped = priv.bytes();
  clamp_private_key(clamped);
  PublicKey pub;
  const int rc = crypto_scalarmult_curve25519_base(pub.bytes.data(), clamped.data());
  sodium_memzero(clamped.data(), clamped.size());
  if (rc != 0) return Errc::invalid_argument;
  return pub;
}

std::string to_base64(std::span<const std::uint8_t, kKeySize> key) {
  char buf[sodium_base64_ENCODED_LEN(kKeySize, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(buf, sizeof(buf), key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  return std::string(buf);
}

Result<KeyBytes> key_from_base64(std::string_view text) {
  if (text.size() != 44 || text[43] != '=' || text[42] == '=') return Errc::malformed;
  KeyBytes out{};
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != kKeySize || end != text.data() + text.size()) {
    return Errc::malformed;
  }
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Result<KeyBytes> key_from_hex(std::string_view text) {
  if (text.size() != 2 * kKeySize) return Errc::malformed;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  KeyBytes out{};
  for (std::size_t i = 0; i < kKeySize; ++i) {
    const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return Errc::malformed;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace gquic::wireguard
