#include "gquic/wireguard/keys.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace gquic::wireguard {
namespace {

// RFC 7748 section 6.1: Alice's key pair, in the base64 form of `wg genkey | wg pubkey`.
constexpr std::string_view kAlicePrivate = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
constexpr std::string_view kAlicePublic = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

TEST(WgKeys, Rfc7748AlicePublicKey) {
  auto priv = key_from_base64(kAlicePrivate);
  ASSERT_TRUE(priv);
  const auto hex =
      test::from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  EXPECT_TRUE(std::equal(hex.begin(), hex.end(), priv->begin()));
  auto pub = public_key_from_private(PrivateKey(*priv));
  ASSERT_TRUE(pub);
  EXPECT_EQ(to_base64(*pub), kAlicePublic);
  EXPECT_EQ(to_hex(pub->bytes), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
}

TEST(WgKeys, Base64RoundTrip) {
  DeterministicRandom rng(1);
  for (int i = 0; i < 50; ++i) {
    PrivateKey k = generate_private_key(rng);
    const std::string text = to_base64(k);
    EXPECT_EQ(text.size(), 44u);
    auto back = key_from_base64(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, k.bytes());
    auto hex = key_from_hex(to_hex(k.bytes()));
    ASSERT_TRUE(hex);
    EXPECT_EQ(*hex, k.bytes());
  }
}

TEST(WgKeys, Base64RejectsBadText) {
  EXPECT_FALSE(key_from_base64(""));
  EXPECT_FALSE(key_from_base64("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo"));    // no padding
  EXPECT_FALSE(key_from_base64("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC=="));   // 31 bytes
  EXPECT_FALSE(key_from_base64("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L!o="));   // bad char
  EXPECT_FALSE(key_from_base64("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=="));  // too long
  EXPECT_FALSE(key_from_hex("zz"));
}

TEST(WgKeys, GeneratedKeysAreClamped) {
  DeterministicRandom rng(2);
  PrivateKey k = generate_private_key(rng);
  EXPECT_EQ(k.bytes()[0] & 7, 0);
  EXPECT_EQ(k.bytes()[31] & 0x80, 0);
  EXPECT_EQ(k.bytes()[31] & 0x40, 0x40);
}

}  // namespace
}  // namespace gquic::wireguard
