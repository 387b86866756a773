#include "policy_test_util.h"

namespace gquic::policy::test {
namespace {

const IpAddress kA = ip("10.0.1.1");
const IpAddress kB = ip("10.0.2.2");
const IpAddress kA6 = ip("2001:db8::1");
const IpAddress kB6 = ip("2001:db8::2");

TEST(PolicyPacket, Ipv4Tcp) {
  auto p = parse_packet(tcp4(kA, kB, 40000, 443, tcp_flag::syn | tcp_flag::ack));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->src, kA);
  EXPECT_EQ(p->dst, kB);
  EXPECT_EQ(p->protocol, proto::tcp);
  EXPECT_TRUE(p->has_l4);
  EXPECT_EQ(p->src_port, 40000);
  EXPECT_EQ(p->dst_port, 443);
  EXPECT_EQ(p->tcp_flags, tcp_flag::syn | tcp_flag::ack);
  EXPECT_FALSE(p->is_fragment);
}

TEST(PolicyPacket, Ipv4UdpSctpIcmp) {
  auto u = parse_packet(udp4(kA, kB, 5353, 53));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->dst_port, 53);
  auto s = parse_packet(ipv4(kA, kB, proto::sctp, l4_header(proto::sctp, 1, 2)));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->src_port, 1);
  EXPECT_EQ(s->dst_port, 2);
  auto i = parse_packet(icmp4(kA, kB, 8, 0x1234));
  ASSERT_TRUE(i);
  EXPECT_EQ(i->icmp_type, 8);
  EXPECT_EQ(i->icmp_id, 0x1234);
  auto other = parse_packet(ipv4(kA, kB, 47, std::vector<std::uint8_t>(4, 0)));  // GRE
  ASSERT_TRUE(other);
  EXPECT_EQ(other->protocol, 47);
  EXPECT_EQ(other->dst_port, 0);
}

TEST(PolicyPacket, TruncatedAtEveryLength) {
  for (const auto& pkt : {tcp4(kA, kB, 1, 2), udp4(kA, kB, 1, 2), icmp4(kA, kB, 8, 1),
                          ipv6(kA6, kB6, proto::tcp, l4_header(proto::tcp, 1, 2), {{0, 8}, {60, 16}}),
                          ipv6(kA6, kB6, proto::udp, l4_header(proto::udp, 1, 2))}) {
    ASSERT_TRUE(parse_packet(pkt));
    for (std::size_t len = 0; len < pkt.size(); ++len) {
      auto r = parse_packet(std::span(pkt.data(), len));
      EXPECT_FALSE(r) << "length " << len << " of " << pkt.size();
    }
  }
}

TEST(PolicyPacket, ShortL4InsideConsistentLengths) {
  // Headers claim a total length that ends inside the L4 header: truncated.
  auto pkt = tcp4(kA, kB, 1, 2);
  put16(pkt, 2, 30);
  pkt.resize(30);
  EXPECT_EQ(parse_packet(pkt).error(), make_error_code(Errc::truncated));
}

TEST(PolicyPacket, BadIhlVersionAndLengths) {
  auto pkt = tcp4(kA, kB, 1, 2);
  auto bad = pkt;
  bad[0] = 0x44;  // IHL 4 (< 5)
  EXPECT_EQ(parse_packet(bad).error(), make_error_code(Errc::malformed));
  bad = pkt;
  bad[0] = 0x4f;  // IHL 15 = 60 bytes > total length 40
  EXPECT_FALSE(parse_packet(bad));
  bad = pkt;
  put16(bad, 2, 10);  // total length below the header
  EXPECT_EQ(parse_packet(bad).error(), make_error_code(Errc::malformed));
  bad = pkt;
  bad[0] = 0x55;
  EXPECT_EQ(parse_packet(bad).error(), make_error_code(Errc::malformed));
  bad = pkt;
  bad[20 + 12] = 0x40;  // TCP data offset 4
  EXPECT_EQ(parse_packet(bad).error(), make_error_code(Errc::malformed));
  // Trailing bytes after total length (link padding) are ignored.
  auto padded = pkt;
  padded.resize(pkt.size() + 6, 0xee);
  EXPECT_TRUE(parse_packet(padded));
  // IP options: IHL 6 with 4 option bytes.
  auto opts = pkt;
  opts.insert(opts.begin() + 20, {1, 1, 1, 0});
  opts[0] = 0x46;
  put16(opts, 2, static_cast<std::uint16_t>(opts.size()));
  auto r = parse_packet(opts);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dst_port, 2);
}

TEST(PolicyPacket, Ipv4Fragments) {
  auto first = ipv4(kA, kB, proto::udp, l4_header(proto::udp, 7, 53), 0x2000, 0x77);
  auto r = parse_packet(first);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_fragment);
  EXPECT_TRUE(r->first_fragment);
  EXPECT_EQ(r->fragment_id, 0x77u);
  EXPECT_EQ(r->dst_port, 53);
  auto later = ipv4(kA, kB, proto::udp, std::vector<std::uint8_t>(16, 0), 0x0002, 0x77);
  r = parse_packet(later);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_fragment);
  EXPECT_FALSE(r->first_fragment);
  EXPECT_FALSE(r->has_l4);
  EXPECT_EQ(r->dst_port, 0);
  // A non-first fragment too short for an L4 header still parses (it has none).
  auto tiny = ipv4(kA, kB, proto::tcp, std::vector<std::uint8_t>(2, 0), 0x0100, 9);
  EXPECT_TRUE(parse_packet(tiny));
}

TEST(PolicyPacket, Ipv6ExtensionChain) {
  auto pkt = ipv6(kA6, kB6, proto::tcp, l4_header(proto::tcp, 1000, 443),
                  {{0, 8}, {43, 24}, {51, 12 + 4}, {60, 8}});
  auto r = parse_packet(pkt);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->src, kA6);
  EXPECT_EQ(r->protocol, proto::tcp);
  EXPECT_EQ(r->dst_port, 443);
  // Nine extension headers exceed the bound.
  std::vector<std::pair<std::uint8_t, std::size_t>> many(9, {60, 8});
  EXPECT_EQ(parse_packet(ipv6(kA6, kB6, proto::tcp, l4_header(proto::tcp, 1, 2), many)).error(),
            make_error_code(Errc::unsupported));
  // An extension header whose length runs past the payload.
  auto bad = ipv6(kA6, kB6, proto::udp, l4_header(proto::udp, 1, 2), {{60, 8}});
  bad[41] = 10;  // claims 88 bytes
  EXPECT_EQ(parse_packet(bad).error(), make_error_code(Errc::truncated));
  // ESP and no-next-header: no ports.
  auto esp = parse_packet(ipv6(kA6, kB6, 50, std::vector<std::uint8_t>(16, 0)));
  ASSERT_TRUE(esp);
  EXPECT_EQ(esp->protocol, 50);
  EXPECT_FALSE(esp->has_l4);
}

TEST(PolicyPacket, Ipv6Fragments) {
  auto first = ipv6(kA6, kB6, proto::udp, l4_header(proto::udp, 5, 6), {{44, 8}}, 0x0001, 0xabcdef);
  auto r = parse_packet(first);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_fragment);
  EXPECT_TRUE(r->first_fragment);
  EXPECT_EQ(r->fragment_id, 0xabcdefu);
  EXPECT_EQ(r->dst_port, 6);
  auto later = ipv6(kA6, kB6, proto::udp, std::vector<std::uint8_t>(8, 0), {{44, 8}}, 0x00a8, 0xabcdef);
  r = parse_packet(later);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->first_fragment);
  EXPECT_FALSE(r->has_l4);
  EXPECT_EQ(r->protocol, proto::udp);
}

TEST(PolicyPacket, Icmpv6Echo) {
  std::vector<std::uint8_t> echo = l4_header(proto::icmpv6, 0, 0, 128, 42);
  auto r = parse_packet(ipv6(kA6, kB6, proto::icmpv6, echo));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->icmp_type, 128);
  EXPECT_EQ(r->icmp_id, 42);
}

}  // namespace
}  // namespace gquic::policy::test
