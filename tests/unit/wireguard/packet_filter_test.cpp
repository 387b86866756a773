// The packet-filter hook of DeviceCore: both directions are shown to the filter with the
// peer's key, and a drop verdict is counted as DropReason::filtered.
#include <gtest/gtest.h>

#include "gquic/wireguard/device_core.h"

namespace gquic::wireguard {
namespace {

std::vector<std::uint8_t> ipv4(std::uint32_t src, std::uint32_t dst) {
  std::vector<std::uint8_t> p(40, 0x22);
  p[0] = 0x45;
  p[2] = 0;
  p[3] = 40;
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    p[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  return p;
}

struct RecordingFilter : PacketFilter {
  FilterVerdict verdict = FilterVerdict::pass;
  std::vector<std::pair<PacketDirection, PublicKey>> seen;
  FilterVerdict filter(PacketDirection d, const PublicKey& peer,
                       std::span<const std::uint8_t> packet) override {
    EXPECT_EQ(packet.size(), 40u);
    seen.emplace_back(d, peer);
    return verdict;
  }
};

class WgPacketFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    DeviceConfig ca;
    ca.private_key = generate_private_key(rng_a);
    DeviceConfig cb;
    cb.private_key = generate_private_key(rng_b);
    a = std::make_unique<DeviceCore>(ca, rng_a);
    b = std::make_unique<DeviceCore>(cb, rng_b);
    (void)a->add_peer({b->public_key(), std::nullopt, addr_b, {*IpPrefix::parse("10.0.0.2/32")},
                       std::nullopt});
    (void)b->add_peer({a->public_key(), std::nullopt, std::nullopt,
                       {*IpPrefix::parse("10.0.0.1/32")}, std::nullopt});
  }
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      while (auto t = a->poll_transmit()) {
        moved = true;
        b->handle_datagram(now, addr_a, t->bytes);
      }
      while (auto t = b->poll_transmit()) {
        moved = true;
        a->handle_datagram(now, addr_b, t->bytes);
      }
    }
  }
  std::size_t delivered(DeviceCore& d) {
    std::size_t n = 0;
    while (d.poll_tun_write()) ++n;
    return n;
  }
  TimePoint now{std::chrono::seconds(100)};
  DeterministicRandom rng_a{1}, rng_b{2};
  SocketAddress addr_a = *SocketAddress::parse("127.0.0.1:1"),
                addr_b = *SocketAddress::parse("127.0.0.1:2");
  std::unique_ptr<DeviceCore> a, b;
};

TEST_F(WgPacketFilter, SeesBothDirectionsWithThePeerKey) {
  RecordingFilter fa, fb;
  a->set_packet_filter(&fa);
  b->set_packet_filter(&fb);
  a->handle_tun_packet(now, ipv4(0x0a000001, 0x0a000002));
  pump();
  EXPECT_EQ(delivered(*b), 1u);
  ASSERT_EQ(fa.seen.size(), 1u);
  EXPECT_EQ(fa.seen[0].first, PacketDirection::to_peer);
  EXPECT_EQ(fa.seen[0].second, b->public_key());
  ASSERT_EQ(fb.seen.size(), 1u);
  EXPECT_EQ(fb.seen[0].first, PacketDirection::from_peer);
  EXPECT_EQ(fb.seen[0].second, a->public_key());
}

TEST_F(WgPacketFilter, DropVerdictsAreCounted) {
  RecordingFilter fa, fb;
  a->set_packet_filter(&fa);
  b->set_packet_filter(&fb);
  fa.verdict = FilterVerdict::drop;
  a->handle_tun_packet(now, ipv4(0x0a000001, 0x0a000002));
  pump();
  EXPECT_EQ(a->stats().dropped(DropReason::filtered), 1u);
  EXPECT_EQ(a->stats().initiations_sent, 0u);  // nothing staged, no handshake
  fa.verdict = FilterVerdict::pass;
  fb.verdict = FilterVerdict::drop;
  a->handle_tun_packet(now, ipv4(0x0a000001, 0x0a000002));
  pump();
  EXPECT_EQ(delivered(*b), 0u);
  EXPECT_EQ(b->stats().dropped(DropReason::filtered), 1u);
  b->set_packet_filter(nullptr);
  a->handle_tun_packet(now, ipv4(0x0a000001, 0x0a000002));
  pump();
  EXPECT_EQ(delivered(*b), 1u);
}

}  // namespace
}  // namespace gquic::wireguard
