#include "crypto.h"

#include <gtest/gtest.h>

#include "gquic/wireguard/keys.h"
#include "gquic/wireguard/noise.h"
#include "test_util.h"

namespace gquic::wireguard {
namespace {

std::vector<std::uint8_t> vec(const std::array<std::uint8_t, 32>& a) {
  return {a.begin(), a.end()};
}

TEST(WgCrypto, InitialChainingKeyIsHashOfConstruction) {
  EXPECT_EQ(vec(initial_chaining_key()),
            test::from_hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36"));
  EXPECT_EQ(vec(initial_hash()),
            test::from_hex("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3"));
}

// Reference values from Python's hashlib.blake2s and hmac modules.
TEST(WgCrypto, KeyedBlake2s128MatchesReference) {
  std::array<std::uint8_t, 32> key;
  for (int i = 0; i < 32; ++i) key[i] = static_cast<std::uint8_t>(i);
  const auto m = crypto::mac(key, {crypto::as_bytes("hel"), crypto::as_bytes("lo")});
  EXPECT_EQ(std::vector<std::uint8_t>(m.begin(), m.end()),
            test::from_hex("1f946dc212a39570bc06fd378517a91e"));
}

TEST(WgCrypto, HmacBlake2sMatchesReference) {
  std::array<std::uint8_t, 32> key;
  for (int i = 0; i < 32; ++i) key[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(vec(crypto::hmac(key, {crypto::as_bytes("hello")})),
            test::from_hex("ca3386d2021b8c299b42476827e7e729b48255da7aee060261072790ea0fc3fa"));
}

TEST(WgCrypto, DhRejectsAllZeroSharedSecret) {
  KeyBytes priv{};
  priv[0] = 0x48;
  priv[31] = 0x40;
  KeyBytes zero_point{};  // u = 0 is a small-order point
  KeyBytes out{};
  EXPECT_FALSE(crypto::dh(priv, zero_point, out));
}

TEST(WgCrypto, AeadRoundTripAndTamper) {
  std::array<std::uint8_t, 32> key{};
  key[0] = 7;
  const std::uint8_t msg[5] = {1, 2, 3, 4, 5};
  std::uint8_t ct[21], pt[5];
  crypto::aead_seal(key.data(), 42, msg, crypto::as_bytes("ad"), ct);
  EXPECT_TRUE(crypto::aead_open(key.data(), 42, ct, crypto::as_bytes("ad"), pt));
  EXPECT_EQ(0, std::memcmp(pt, msg, 5));
  EXPECT_FALSE(crypto::aead_open(key.data(), 43, ct, crypto::as_bytes("ad"), pt));
  ct[0] ^= 1;
  EXPECT_FALSE(crypto::aead_open(key.data(), 42, ct, crypto::as_bytes("ad"), pt));
}

// RFC 7748 section 5.2, first X25519 test vector (scalar a546e36b...).
TEST(WgCrypto, X25519Rfc7748Vector) {
  KeyBytes scalar{}, u{}, out{};
  const auto s = test::from_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
  const auto p = test::from_hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
  std::copy(s.begin(), s.end(), scalar.begin());
  std::copy(p.begin(), p.end(), u.begin());
  ASSERT_TRUE(crypto::dh(scalar, u, out));
  EXPECT_EQ(vec(out),
            test::from_hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"));
}

}  // namespace
}  // namespace gquic::wireguard
