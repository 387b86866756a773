#pragma once
// Private to src/wireguard: the primitives WireGuard composes, each a thin call into a vetted
// library. BLAKE2s-256 and keyed BLAKE2s-128 come from OpenSSL 3 (EVP, "BLAKE2S-256" and
// "BLAKE2SMAC"); HMAC-BLAKE2s is RFC 2104 over that hash; X25519 and the two AEADs come from
// libsodium. No primitive is implemented here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "gquic/wireguard/constants.h"
#include "gquic/wireguard/keys.h"

namespace gquic::wireguard::crypto {

using Bytes = std::span<const std::uint8_t>;
using Hash = std::array<std::uint8_t, 32>;

// BLAKE2s-256 of the concatenation of `parts`.
Hash hash(std::initializer_list<Bytes> parts) noexcept;
// HMAC-BLAKE2s(key, concatenation of parts).
Hash hmac(Bytes key, std::initializer_list<Bytes> parts) noexcept;
// Keyed BLAKE2s with a 16-byte output (the MAC of mac1, mac2 and cookies).
std::array<std::uint8_t, kMacSize> mac(Bytes key, std::initializer_list<Bytes> parts) noexcept;

// Noise HKDF: n outputs of 32 bytes from chaining key `ck` and `input`.
void kdf1(const Hash& ck, Bytes input, Hash& t1) noexcept;
void kdf2(const Hash& ck, Bytes input, Hash& t1, Hash& t2) noexcept;
void kdf3(const Hash& ck, Bytes input, Hash& t1, Hash& t2, Hash& t3) noexcept;

// X25519(priv, pub) into `out`; false if the shared secret is all zeros (small-order point).
bool dh(const KeyBytes& priv, const KeyBytes& pub, KeyBytes& out) noexcept;

// ChaCha20-Poly1305 (IETF) with nonce = 4 zero bytes || counter LE. `out` holds
// plaintext.size() + 16 bytes.
void aead_seal(const std::uint8_t* key, std::uint64_t counter, Bytes plaintext, Bytes ad,
               std::uint8_t* out) noexcept;
// Decrypts `ciphertext` (>= 16 bytes) into `out` (ciphertext.size() - 16 bytes).
bool aead_open(const std::uint8_t* key, std::uint64_t counter, Bytes ciphertext, Bytes ad,
               std::uint8_t* out) noexcept;
// XChaCha20-Poly1305 with a 24-byte nonce.
void xaead_seal(const std::uint8_t* key, const std::uint8_t* nonce, Bytes plaintext, Bytes ad,
                std::uint8_t* out) noexcept;
bool xaead_open(const std::uint8_t* key, const std::uint8_t* nonce, Bytes ciphertext, Bytes ad,
                std::uint8_t* out) noexcept;

inline Bytes as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace gquic::wireguard::crypto
