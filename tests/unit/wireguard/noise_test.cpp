#include "gquic/wireguard/noise.h"

#include <gtest/gtest.h>

namespace gquic::wireguard {
namespace {

struct Party {
  LocalStatic local;
  explicit Party(RandomSource& rng) {
    auto s = LocalStatic::from_private(generate_private_key(rng));
    EXPECT_TRUE(s);
    local = *s;
  }
};

class WgNoise : public ::testing::Test {
 protected:
  DeterministicRandom rng{42};
  Party a{rng};
  Party b{rng};
  Tai64n ts = Tai64n::from_unix(std::chrono::seconds(1'700'000'000));
};

TEST_F(WgNoise, Tai64nLayout) {
  const Tai64n t = Tai64n::from_unix(std::chrono::seconds(1) + std::chrono::nanoseconds(5));
  EXPECT_EQ(t.bytes[0], 0x40);
  EXPECT_EQ(t.bytes[7], 0x0b);  // 2^62 + 10 + 1
  EXPECT_EQ(t.bytes[11], 0x05);
  EXPECT_LT(t, Tai64n::from_unix(std::chrono::seconds(2)));
}

TEST_F(WgNoise, FullHandshakeDerivesMatchingKeys) {
  std::optional<PresharedKey> psk = generate_preshared_key(rng);
  RemoteStatic b_at_a = RemoteStatic::make(a.local, b.local.public_key, psk);
  RemoteStatic a_at_b = RemoteStatic::make(b.local, a.local.public_key, psk);

  HandshakeState hs_a;
  auto init = create_initiation(a.local, b_at_a, hs_a, 111, ts, rng);
  ASSERT_TRUE(init);
  // Round trip through the wire format.
  auto init2 = parse_initiation(serialize(*init));
  ASSERT_TRUE(init2);

  auto consumed = consume_initiation(b.local, *init2, [&](const PublicKey& k) {
    return k == a.local.public_key ? &a_at_b : nullptr;
  });
  ASSERT_TRUE(consumed) << consumed.error().message();
  EXPECT_EQ(consumed->initiator_static, a.local.public_key);
  EXPECT_EQ(consumed->timestamp, ts);
  EXPECT_EQ(consumed->state.remote_index, 111u);

  HandshakeState hs_b = consumed->state;
  auto resp = create_response(b.local, a_at_b, hs_b, 222, rng);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->receiver_index, 111u);
  ASSERT_TRUE(consume_response(a.local, b_at_a, hs_a, *resp));

  auto ka = derive_transport_keys(hs_a);
  auto kb = derive_transport_keys(hs_b);
  ASSERT_TRUE(ka);
  ASSERT_TRUE(kb);
  EXPECT_TRUE(ka->initiator);
  EXPECT_FALSE(kb->initiator);
  EXPECT_EQ(ka->send, kb->receive);
  EXPECT_EQ(ka->receive, kb->send);
  EXPECT_FALSE(ka->send == ka->receive);
  EXPECT_EQ(ka->local_index, 111u);
  EXPECT_EQ(ka->remote_index, 222u);
  EXPECT_EQ(kb->local_index, 222u);
  EXPECT_EQ(kb->remote_index, 111u);
  EXPECT_EQ(hs_a.stage, HandshakeState::Stage::zeroed);
}

TEST_F(WgNoise, PskMismatchFailsAtResponse) {
  RemoteStatic b_at_a =
      RemoteStatic::make(a.local, b.local.public_key, generate_preshared_key(rng));
  RemoteStatic a_at_b = RemoteStatic::make(b.local, a.local.public_key, std::nullopt);
  HandshakeState hs_a;
  auto init = create_initiation(a.local, b_at_a, hs_a, 1, ts, rng);
  ASSERT_TRUE(init);
  auto consumed = consume_initiation(b.local, *init, [&](const PublicKey&) { return &a_at_b; });
  ASSERT_TRUE(consumed);  // the PSK only enters with the response (psk2)
  auto resp = create_response(b.local, a_at_b, consumed->state, 2, rng);
  ASSERT_TRUE(resp);
  auto r = consume_response(a.local, b_at_a, hs_a, *resp);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(NoiseErrc::authentication_failed));
  EXPECT_EQ(hs_a.stage, HandshakeState::Stage::initiation_created);  // untouched
}

TEST_F(WgNoise, InitiationToWrongResponderFails) {
  DeterministicRandom rng2(7);
  Party c{rng2};
  RemoteStatic c_at_a = RemoteStatic::make(a.local, c.local.public_key, std::nullopt);
  RemoteStatic a_at_b = RemoteStatic::make(b.local, a.local.public_key, std::nullopt);
  HandshakeState hs_a;
  auto init = create_initiation(a.local, c_at_a, hs_a, 1, ts, rng);
  ASSERT_TRUE(init);
  auto consumed = consume_initiation(b.local, *init, [&](const PublicKey&) { return &a_at_b; });
  ASSERT_FALSE(consumed);
  EXPECT_EQ(consumed.error(), make_error_code(NoiseErrc::authentication_failed));
}

TEST_F(WgNoise, UnknownInitiatorIsReported) {
  RemoteStatic b_at_a = RemoteStatic::make(a.local, b.local.public_key, std::nullopt);
  HandshakeState hs_a;
  auto init = create_initiation(a.local, b_at_a, hs_a, 1, ts, rng);
  ASSERT_TRUE(init);
  auto consumed = consume_initiation(b.local, *init, [](const PublicKey&) { return nullptr; });
  ASSERT_FALSE(consumed);
  EXPECT_EQ(consumed.error(), make_error_code(NoiseErrc::unknown_peer));
}

TEST_F(WgNoise, TamperedMessagesFail) {
  RemoteStatic b_at_a = RemoteStatic::make(a.local, b.local.public_key, std::nullopt);
  RemoteStatic a_at_b = RemoteStatic::make(b.local, a.local.public_key, std::nullopt);
  HandshakeState hs_a;
  auto init = create_initiation(a.local, b_at_a, hs_a, 1, ts, rng);
  ASSERT_TRUE(init);
  auto lookup = [&](const PublicKey&) { return &a_at_b; };
  for (std::size_t i = 0; i < init->encrypted_timestamp.size(); ++i) {
    HandshakeInitiation bad = *init;
    bad.encrypted_timestamp[i] ^= 0x80;
    EXPECT_FALSE(consume_initiation(b.local, bad, lookup)) << i;
  }
  auto consumed = consume_initiation(b.local, *init, lookup);
  ASSERT_TRUE(consumed);
  auto resp = create_response(b.local, a_at_b, consumed->state, 2, rng);
  ASSERT_TRUE(resp);
  HandshakeResponse bad = *resp;
  bad.ephemeral[3] ^= 1;
  EXPECT_FALSE(consume_response(a.local, b_at_a, hs_a, bad));
  bad = *resp;
  bad.receiver_index ^= 1;
  EXPECT_EQ(consume_response(a.local, b_at_a, hs_a, bad).error(),
            make_error_code(NoiseErrc::wrong_state));
  EXPECT_TRUE(consume_response(a.local, b_at_a, hs_a, *resp));
  // A second copy of the response no longer fits the state.
  EXPECT_FALSE(consume_response(a.local, b_at_a, hs_a, *resp));
}

TEST_F(WgNoise, DeriveRequiresFinishedHandshake) {
  HandshakeState hs;
  EXPECT_FALSE(derive_transport_keys(hs));
}

}  // namespace
}  // namespace gquic::wireguard
