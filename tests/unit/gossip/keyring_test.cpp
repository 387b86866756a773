#include "gquic/gossip/keyring.h"

#include <gtest/gtest.h>

namespace gquic::gossip {
namespace {

GossipKey key(std::uint8_t b) {
  GossipKey k;
  k.fill(b);
  return k;
}
constexpr std::array<std::uint8_t, kNonceSize> kNonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

TEST(GossipKeyring, SealsAndOpens) {
  Keyring ring(key(1));
  std::vector<std::uint8_t> msg{1, 2, 3, 4};
  auto sealed = ring.seal(msg, kNonce);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->size(), msg.size() + kSealOverhead);
  EXPECT_EQ((*sealed)[0], kSealedMarker);
  auto opened = ring.open(*sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, msg);
  auto tampered = *sealed;
  tampered[5] ^= 1;
  EXPECT_FALSE(ring.open(tampered));
  tampered = *sealed;
  tampered[0] = 0xE2;
  EXPECT_FALSE(ring.open(tampered));
  EXPECT_FALSE(ring.open(std::span(sealed->data(), kSealOverhead - 1)));
  EXPECT_FALSE(Keyring(key(2)).open(*sealed));
}

TEST(GossipKeyring, RotationKeepsTrafficFlowing) {
  Keyring a(key(1)), b(key(1));
  b.add(key(2));                  // step 1: everyone learns the new key
  ASSERT_TRUE(b.use(key(2)));     // step 2: b seals with it, a still opens? not yet
  auto from_b = b.seal(std::vector<std::uint8_t>{7}, kNonce);
  EXPECT_FALSE(a.open(*from_b));
  a.add(key(2));
  EXPECT_TRUE(a.open(*from_b));   // a opens with its secondary key
  EXPECT_TRUE(b.open(*a.seal(std::vector<std::uint8_t>{8}, kNonce)));
  EXPECT_FALSE(b.remove(key(2)));  // the primary cannot go
  ASSERT_TRUE(b.remove(key(1)));   // step 3
  EXPECT_FALSE(b.open(*a.seal(std::vector<std::uint8_t>{8}, kNonce)));
  EXPECT_EQ(b.use(key(9)).error(), make_error_code(Errc::not_found));
}

TEST(GossipKeyring, ParsesHexAndBase64Keys) {
  auto hex = Keyring::parse_key(std::string(64, 'a'));
  ASSERT_TRUE(hex);
  EXPECT_EQ(*hex, key(0xaa));
  auto b64 = Keyring::parse_key("qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=");
  ASSERT_TRUE(b64);
  EXPECT_EQ(*b64, key(0xaa));
  EXPECT_FALSE(Keyring::parse_key("zz"));
  EXPECT_FALSE(Keyring::parse_key(std::string(64, 'g')));
}

}  // namespace
}  // namespace gquic::gossip
