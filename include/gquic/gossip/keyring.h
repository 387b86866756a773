#pragma once
// Shared-key encryption of gossip traffic: AES-256-GCM (OpenSSL EVP) with a keyring. The
// primary key seals; open() tries every key, so a cluster rotates keys in three steps:
// add(new) everywhere, use(new) everywhere, remove(old) everywhere.
//
// Sealed layout: u8 kSealedMarker | 12-byte nonce | ciphertext | 16-byte tag. The marker byte
// is authenticated as associated data. Nonces are random (96 bits) from the caller.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gquic/core/error.h"

namespace gquic::gossip {

inline constexpr std::uint8_t kSealedMarker = 0xE1;  // never a plain packet's first byte
inline constexpr std::size_t kNonceSize = 12;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kSealOverhead = 1 + kNonceSize + kTagSize;

using GossipKey = std::array<std::uint8_t, 32>;

class Keyring {
 public:
  Keyring() = default;
  explicit Keyring(GossipKey primary) : keys_{primary} {}
  // 64 hex digits or 44 base64 characters of a 32-byte key.
  static Result<GossipKey> parse_key(std::string_view text);

  bool empty() const noexcept { return keys_.empty(); }
  const std::vector<GossipKey>& keys() const noexcept { return keys_; }  // primary first
  void add(const GossipKey& key);
  Result<void> use(const GossipKey& key);     // make it primary; not_found if absent
  Result<void> remove(const GossipKey& key);  // invalid_argument for the primary

  // Seals with the primary key (the keyring must not be empty).
  Result<std::vector<std::uint8_t>> seal(std::span<const std::uint8_t> plain,
                                         std::span<const std::uint8_t, kNonceSize> nonce) const;
  // Opens with any key: malformed if too short or not sealed, not_found if no key fits.
  Result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> sealed) const;

 private:
  std::vector<GossipKey> keys_;
};

}  // namespace gquic::gossip
