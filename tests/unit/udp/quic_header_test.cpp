#include "gquic/udp/quic_header.h"

#include <gtest/gtest.h>

#include <vector>

namespace gquic::udp {
namespace {

using Bytes = std::vector<std::uint8_t>;

// The start of the client Initial of RFC 9001 Appendix A.2 (header before the protection).
const Bytes kRfc9001Initial = {0xc3, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0,
                               0x3e, 0x51, 0x57, 0x08, 0x00, 0x00, 0x44, 0x9e, 0x00, 0x00};

TEST(QuicHeader, ParsesRfc9001ClientInitial) {
  auto h = parse_quic_header(kRfc9001Initial, 8);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->form, HeaderForm::long_header);
  EXPECT_EQ(h->version, kQuicVersion1);
  EXPECT_EQ(h->type, LongPacketType::initial);
  EXPECT_TRUE(h->fixed_bit);
  auto dcid = ConnectionId::from(h->dcid);
  ASSERT_TRUE(dcid);
  EXPECT_EQ(dcid->to_hex(), "8394c8f03e515708");
  EXPECT_TRUE(h->scid.empty());
}

TEST(QuicHeader, V2RotatesPacketTypes) {
  // RFC 9369: Initial is 0b01, Handshake 0b11 in the type bits.
  Bytes initial = {0xd0, 0x6b, 0x33, 0x43, 0xcf, 0x01, 0xaa, 0x01, 0xbb};
  auto h = parse_quic_header(initial, 0);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->version, kQuicVersion2);
  EXPECT_EQ(h->type, LongPacketType::initial);
  initial[0] = 0xf0;
  EXPECT_EQ(parse_quic_header(initial, 0)->type, LongPacketType::handshake);
  initial[0] = 0xc0;
  EXPECT_EQ(parse_quic_header(initial, 0)->type, LongPacketType::retry);
}

TEST(QuicHeader, ShortHeaderUsesLocalCidLength) {
  Bytes pkt = {0x41, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xee};
  auto h = parse_quic_header(pkt, 8);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->form, HeaderForm::short_header);
  EXPECT_EQ(ConnectionId::from(h->dcid)->to_hex(), "0102030405060708");
  EXPECT_EQ(parse_quic_header(pkt, 10).has_value(), true);
  EXPECT_EQ(parse_quic_header(pkt, 11).error(), Errc::truncated);
  EXPECT_EQ(parse_quic_header(pkt, 21).error(), Errc::invalid_argument);
}

TEST(QuicHeader, VersionNegotiation) {
  Bytes vn = {0x80, 0, 0, 0, 0, 0x02, 0xab, 0xcd, 0x01, 0x11, 0, 0, 0, 1};
  auto h = parse_quic_header(vn, 8);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->is_version_negotiation());
  EXPECT_EQ(h->dcid.size(), 2u);
  EXPECT_EQ(h->scid.size(), 1u);
}

TEST(QuicHeader, TruncatedAtEveryLength) {
  // Every proper prefix of a long header that ends inside the CID fields is truncated.
  const std::size_t header_len = 6 + 8 + 1;  // through the SCID length byte
  for (std::size_t n = 0; n < header_len; ++n) {
    auto h = parse_quic_header(std::span(kRfc9001Initial).first(n), 8);
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.error(), Errc::truncated) << n;
  }
  EXPECT_TRUE(parse_quic_header(std::span(kRfc9001Initial).first(header_len), 8));
}

TEST(QuicHeader, RejectsOversizedCidsOfKnownVersions) {
  Bytes pkt(64, 0);
  pkt[0] = 0xc0;
  pkt[4] = 0x01;  // v1
  pkt[5] = 21;
  EXPECT_EQ(parse_quic_header(pkt, 8).error(), Errc::malformed);
  pkt[5] = 0;
  pkt[6] = 21;  // SCID length
  EXPECT_EQ(parse_quic_header(pkt, 8).error(), Errc::malformed);
  // An unknown version may use longer IDs (RFC 8999): parsed, routed by address later.
  pkt[4] = 0x2a;
  pkt[5] = 30;
  pkt[36] = 0;
  auto h = parse_quic_header(pkt, 8);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->dcid.size(), 30u);
  EXPECT_EQ(h->type, LongPacketType::unknown);
}

TEST(QuicHeader, NonQuicDatagrams) {
  const Bytes wireguard_init = {0x01, 0x00, 0x00, 0x00, 0x12, 0x34};
  const Bytes stun = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  EXPECT_FALSE(looks_like_quic(wireguard_init));
  EXPECT_FALSE(looks_like_quic(stun));
  EXPECT_FALSE(looks_like_quic({}));
  EXPECT_EQ(parse_quic_header(wireguard_init, 8).error(), Errc::malformed);
  EXPECT_EQ(parse_quic_header({}, 8).error(), Errc::truncated);
  EXPECT_TRUE(looks_like_quic(kRfc9001Initial));
}

TEST(ConnectionId, LimitsAndEquality) {
  Bytes b(21, 7);
  EXPECT_EQ(ConnectionId::from(b).error(), Errc::invalid_argument);
  auto a = ConnectionId::from(std::span(b).first(20));
  auto c = ConnectionId::from(std::span(b).first(20));
  auto d = ConnectionId::from(std::span(b).first(19));
  ASSERT_TRUE(a && c && d);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(a->hash(), c->hash());
  EXPECT_FALSE(*a == *d);
  EXPECT_TRUE(ConnectionId{}.empty());
}

}  // namespace
}  // namespace gquic::udp
