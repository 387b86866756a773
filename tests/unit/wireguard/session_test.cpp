#include "gquic/wireguard/session.h"

#include <gtest/gtest.h>

namespace gquic::wireguard {
namespace {

struct Pair {
  std::unique_ptr<Keypair> tx, rx;
  Pair() {
    TransportKeys k;
    k.send.bytes()[0] = 1;
    k.receive.bytes()[0] = 2;
    k.local_index = 10;
    k.remote_index = 20;
    k.initiator = true;
    tx = Keypair::from(k, TimePoint{});
    TransportKeys r = k;
    std::swap(r.send, r.receive);
    std::swap(r.local_index, r.remote_index);
    rx = Keypair::from(r, TimePoint{});
  }
};

TEST(WgSession, PaddedSize) {
  EXPECT_EQ(padded_size(0, 1420), 0u);
  EXPECT_EQ(padded_size(1, 1420), 16u);
  EXPECT_EQ(padded_size(16, 1420), 16u);
  EXPECT_EQ(padded_size(1419, 1420), 1420u);  // capped at the MTU
  EXPECT_EQ(padded_size(1500, 1420), 1500u);  // never shrinks
}

TEST(WgSession, SealOpenAndCounters) {
  Pair p;
  std::vector<std::uint8_t> wire, plain;
  const std::vector<std::uint8_t> msg(37, 0xab);
  for (std::uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(seal_transport(*p.tx, msg, 1420, wire));
    ASSERT_EQ(wire.size(), 16u + 48u + 16u);
    auto v = parse_transport(wire);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->header.counter, i);
    EXPECT_EQ(v->header.receiver_index, 20u);
    ASSERT_EQ(open_transport(*p.rx, *v, plain), OpenStatus::ok);
    ASSERT_EQ(plain.size(), 48u);
    EXPECT_TRUE(std::equal(msg.begin(), msg.end(), plain.begin()));
    EXPECT_EQ(plain[40], 0);  // zero padding
    EXPECT_EQ(open_transport(*p.rx, *v, plain), OpenStatus::replay);
  }
}

TEST(WgSession, TamperAndWrongCounterFail) {
  Pair p;
  std::vector<std::uint8_t> wire, plain;
  ASSERT_TRUE(seal_transport(*p.tx, std::vector<std::uint8_t>(20, 1), 1420, wire));
  auto bad = wire;
  bad[8] ^= 1;  // counter is the nonce
  EXPECT_EQ(open_transport(*p.rx, *parse_transport(bad), plain), OpenStatus::decrypt_failed);
  bad = wire;
  bad.back() ^= 1;
  EXPECT_EQ(open_transport(*p.rx, *parse_transport(bad), plain), OpenStatus::decrypt_failed);
  // A failed packet does not consume its counter.
  EXPECT_EQ(open_transport(*p.rx, *parse_transport(wire), plain), OpenStatus::ok);
}

TEST(WgSession, SendingStopsAtRejectLimit) {
  Pair p;
  std::vector<std::uint8_t> wire;
  p.tx->send_counter = 9;
  ASSERT_TRUE(seal_transport(*p.tx, {}, 1420, wire, 10));
  auto r = seal_transport(*p.tx, {}, 1420, wire, 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(Errc::exhausted));
  EXPECT_FALSE(p.tx->can_send(TimePoint{}, 10));
  EXPECT_TRUE(p.rx->can_receive(TimePoint{} + kRejectAfterTime - std::chrono::nanoseconds(1)));
  EXPECT_FALSE(p.rx->can_receive(TimePoint{} + kRejectAfterTime));
}

}  // namespace
}  // namespace gquic::wireguard
