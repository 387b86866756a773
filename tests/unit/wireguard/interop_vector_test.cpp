// Fixed vectors from an independent implementation of the WireGuard handshake
// (vectors/wg_reference.py: Python over the `cryptography` package and hashlib, written from
// the whitepaper), so the two sides of gquic's handshake cannot agree on a shared mistake. Keys,
// ephemerals, indices and the timestamp are fixed; the vectors pin the exact bytes of both messages
// (with mac1), the transport keys and one transport message.
#include <gtest/gtest.h>

#include "gquic/wireguard/cookie.h"
#include "gquic/wireguard/noise.h"
#include "gquic/wireguard/session.h"
#include "test_util.h"

namespace gquic::wireguard {
namespace {

using test::from_hex;

constexpr std::string_view k_s_i =
    "0002030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f60";
constexpr std::string_view k_s_r =
    "60666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f8081828344";
constexpr std::string_view k_e_i =
    "c8cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e768";
constexpr std::string_view k_e_r =
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd259";
constexpr std::string_view k_psk =
    "4242424242424242424242424242424242424242424242424242424242424242";
constexpr std::string_view k_init =
    "01000000040302014c29f4996985e80d247e80b70303824592ff9fbad74904ea7c3d2bda24e51c12197f3df1f1f385"
    "eeca7385af03e3983a5be229054fb3fdc500e176ddd622a02b9e5e64b51975fa696074da3938059ad5d1060d78a6c9"
    "458b83a0d366b96ebfe0638ec35e97fb94e208f7d711e92c3ccc2c5e73f4d2eb0fe7f9e3a52b000000000000000000"
    "00000000000000";
constexpr std::string_view k_resp =
    "02000000d0c0b0a004030201177d8f231f6cab89ea03f90d2f2d53dd9ba13c78947d5d85b83d494514e0b714677814"
    "6a2dfb5d7361fcaeb6ae4ecc6dbcbabcd09a6bac392dbc03fe14910da800000000000000000000000000000000";
constexpr std::string_view k_t_send_i =
    "1abfd9eb25a27f69c7038adc6a169d87dc3907e12bbd2666882c92cbe1ca1733";
constexpr std::string_view k_t_recv_i =
    "f408da88e0b1e8caa5614bae74178fb204c2085c019c7d9bc4ad246ffe1ff4fd";
constexpr std::string_view k_data =
    "04000000d0c0b0a00000000000000000cdb3aa44eba385a7c09d6a6ab84a041900875bb14758388a55ca7fd4531032"
    "4f";

// Hands out the scripted bytes, then zeros.
class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::vector<std::uint8_t> b) : bytes_(std::move(b)) {}
  void fill(std::span<std::uint8_t> out) noexcept override {
    for (auto& x : out) x = pos_ < bytes_.size() ? bytes_[pos_++] : 0;
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

KeyBytes key(std::string_view hex) {
  KeyBytes k{};
  const auto v = from_hex(hex);
  std::copy(v.begin(), v.end(), k.begin());
  return k;
}

const Tai64n kTimestamp = Tai64n::from_unix(std::chrono::seconds(1'700'000'000));

TEST(WgInterop, InitiatorMatchesReference) {
  const auto local = *LocalStatic::from_private(PrivateKey(key(k_s_i)));
  const PublicKey responder = *public_key_from_private(PrivateKey(key(k_s_r)));
  const RemoteStatic peer = RemoteStatic::make(local, responder, PresharedKey(key(k_psk)));
  ScriptedRandom rng(from_hex(k_e_i));
  HandshakeState hs;
  auto init = create_initiation(local, peer, hs, 0x01020304, kTimestamp, rng);
  ASSERT_TRUE(init);
  auto wire = serialize(*init);
  CookieGenerator(responder).add_macs(TimePoint{}, wire);
  EXPECT_EQ(std::vector<std::uint8_t>(wire.begin(), wire.end()), from_hex(k_init));

  auto resp = parse_response(from_hex(k_resp));
  ASSERT_TRUE(resp);
  ASSERT_TRUE(consume_response(local, peer, hs, *resp));
  auto keys = derive_transport_keys(hs);
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->send.bytes(), key(k_t_send_i));
  EXPECT_EQ(keys->receive.bytes(), key(k_t_recv_i));
  EXPECT_EQ(keys->remote_index, 0xa0b0c0d0u);

  // The responder's view of the session decrypts the reference transport message.
  TransportKeys r = *keys;
  std::swap(r.send, r.receive);
  auto kp = Keypair::from(r, TimePoint{});
  const auto data = from_hex(k_data);
  auto view = parse_transport(data);
  ASSERT_TRUE(view);
  std::vector<std::uint8_t> plain;
  ASSERT_EQ(open_transport(*kp, *view, plain), OpenStatus::ok);
  EXPECT_EQ(std::string(plain.begin(), plain.end()), "hello wireguard!");
  // And sealing the same payload at counter 0 gives the same bytes.
  auto kp_i = Keypair::from(*keys, TimePoint{});
  kp_i->remote_index = 0xa0b0c0d0u;
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(seal_transport(*kp_i, plain, 1420, out));
  EXPECT_EQ(out, data);
}

TEST(WgInterop, ResponderMatchesReference) {
  const auto local = *LocalStatic::from_private(PrivateKey(key(k_s_r)));
  const PublicKey initiator = *public_key_from_private(PrivateKey(key(k_s_i)));
  const RemoteStatic peer = RemoteStatic::make(local, initiator, PresharedKey(key(k_psk)));
  const auto init_wire = from_hex(k_init);
  EXPECT_TRUE(CookieChecker(local.public_key).check_mac1(init_wire));
  auto init = parse_initiation(init_wire);
  ASSERT_TRUE(init);
  auto consumed = consume_initiation(
      local, *init, [&](const PublicKey& k) { return k == initiator ? &peer : nullptr; });
  ASSERT_TRUE(consumed);
  EXPECT_EQ(consumed->timestamp, kTimestamp);
  ScriptedRandom rng(from_hex(k_e_r));
  HandshakeState hs = consumed->state;
  auto resp = create_response(local, peer, hs, 0xa0b0c0d0, rng);
  ASSERT_TRUE(resp);
  auto wire = serialize(*resp);
  CookieGenerator(initiator).add_macs(TimePoint{}, wire);
  EXPECT_EQ(std::vector<std::uint8_t>(wire.begin(), wire.end()), from_hex(k_resp));
  auto keys = derive_transport_keys(hs);
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->receive.bytes(), key(k_t_send_i));
  EXPECT_EQ(keys->send.bytes(), key(k_t_recv_i));
}

}  // namespace
}  // namespace gquic::wireguard
