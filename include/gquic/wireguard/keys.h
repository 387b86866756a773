#pragma once
// Curve25519 keys of WireGuard. Public keys are plain 32-byte values; private and preshared
// keys are SecretKey, wiped (sodium_memzero) when destroyed. Text form is standard base64 with
// padding (44 characters), the form `wg genkey`, `wg pubkey` and `wg genpsk` print.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "gquic/core/error.h"
#include "gquic/wireguard/constants.h"
#include "gquic/wireguard/random.h"

namespace gquic::wireguard {

// Wipes memory in a way the compiler cannot elide (libsodium sodium_memzero).
void secure_zero(void* p, std::size_t n) noexcept;

using KeyBytes = std::array<std::uint8_t, kKeySize>;

struct PublicKey {
  KeyBytes bytes{};
  bool is_zero() const noexcept;
  friend bool operator==(const PublicKey&, const PublicKey&) noexcept = default;
};

class SecretKey {
 public:
  SecretKey() noexcept = default;
  explicit SecretKey(const KeyBytes& b) noexcept : bytes_(b) {}
  SecretKey(const SecretKey&) noexcept = default;
  SecretKey& operator=(const SecretKey&) noexcept = default;
  ~SecretKey() { secure_zero(bytes_.data(), bytes_.size()); }

  KeyBytes& bytes() noexcept { return bytes_; }
  const KeyBytes& bytes() const noexcept { return bytes_; }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  bool is_zero() const noexcept;
  friend bool operator==(const SecretKey& a, const SecretKey& b) noexcept {
    return a.bytes_ == b.bytes_;
  }

 private:
  KeyBytes bytes_{};
};

using PrivateKey = SecretKey;
using PresharedKey = SecretKey;

// A fresh private key, clamped as X25519 requires (RFC 7748 section 5).
PrivateKey generate_private_key(RandomSource& rng);
// A fresh preshared key (32 random bytes, no clamping).
PresharedKey generate_preshared_key(RandomSource& rng);
// X25519(priv, 9). Fails only on a key libsodium rejects.
Result<PublicKey> public_key_from_private(const PrivateKey& priv);
// Clamps in place: clear bits 0-2 and 255, set bit 254.
void clamp_private_key(KeyBytes& k) noexcept;

// 32 bytes <-> 44-character base64.
std::string to_base64(std::span<const std::uint8_t, kKeySize> key);
Result<KeyBytes> key_from_base64(std::string_view text);
inline std::string to_base64(const PublicKey& k) { return to_base64(std::span(k.bytes)); }
inline std::string to_base64(const SecretKey& k) { return to_base64(std::span(k.bytes())); }
// Lowercase hex (64 characters), the form of the UAPI.
std::string to_hex(std::span<const std::uint8_t> bytes);
Result<KeyBytes> key_from_hex(std::string_view text);

}  // namespace gquic::wireguard

template <>
struct std::hash<gquic::wireguard::PublicKey> {
  std::size_t operator()(const gquic::wireguard::PublicKey& k) const noexcept {
    std::size_t h;
    std::memcpy(&h, k.bytes.data(), sizeof(h));  // keys are uniformly random
    return h;
  }
};
