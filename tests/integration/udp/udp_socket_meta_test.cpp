// Per-datagram metadata over loopback: ECN codepoints, the destination address reported by
// pktinfo, source address selection, dual-stack mapping, and the partial-batch result of send.
#include <gtest/gtest.h>

#include <array>
#include <system_error>
#include <vector>

#include "gquic/udp/udp_socket.h"
#include "udp_socket_test_util.h"

namespace gquic::udp {
namespace {

using testing::check_datagram;
using testing::fill_datagram;
using testing::recv_batch;
using testing::RecvBuffers;

SocketConfig bound(IpAddress ip) {
  SocketConfig c;
  c.bind_address = SocketAddress(ip, 0);
  return c;
}

UdpSocket open_or_die(const SocketConfig& c) {
  auto s = UdpSocket::open(c);
  if (!s) {
    ADD_FAILURE() << "open " << c.bind_address.to_string() << ": " << s.error().message();
    std::abort();
  }
  return std::move(*s);
}

std::vector<std::uint8_t> datagrams(std::uint32_t first, std::size_t count, std::size_t len) {
  std::vector<std::uint8_t> out(count * len);
  for (std::size_t i = 0; i < count; ++i) {
    fill_datagram(std::span(out).subspan(i * len, len), first + static_cast<std::uint32_t>(i));
  }
  return out;
}

// Receives until `count` datagrams arrived (or the hang guard fires); returns their metas,
// one per datagram, and checks every byte.
std::vector<RecvMeta> receive(UdpSocket& s, std::size_t count, std::vector<std::int64_t>* seqs) {
  RecvBuffers bufs(8);
  std::vector<RecvMeta> out;
  while (out.size() < count) {
    const std::size_t n = recv_batch(s, bufs);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) {
      for_each_datagram(bufs.spans[i], bufs.meta[i], [&](std::span<const std::uint8_t> d) {
        const std::int64_t seq = check_datagram(d);
        EXPECT_GE(seq, 0);
        if (seqs) seqs->push_back(seq);
        out.push_back(bufs.meta[i]);
      });
    }
  }
  EXPECT_EQ(out.size(), count);
  return out;
}

struct EcnCase {
  const char* name;
  IpAddress receiver_ip;  // :: gives a dual-stack receiver
  IpAddress sender_ip;    // :: gives a dual-stack sender
  IpAddress to;           // the loopback address the datagrams are sent to
};

// Keeps ctest's list readable: the case's name instead of its bytes.
void PrintTo(const EcnCase& c, std::ostream* os) { *os << c.name; }

class UdpEcn : public ::testing::TestWithParam<EcnCase> {};

TEST_P(UdpEcn, CodepointSentIsReceived) {
  const EcnCase c = GetParam();
  UdpSocket rx = open_or_die(bound(c.receiver_ip));
  UdpSocket tx = open_or_die(bound(c.sender_ip));
  if (!rx.capabilities().ecn) GTEST_SKIP() << "kernel does not report ECN";
  for (Ecn ecn : {Ecn::ect0, Ecn::ect1, Ecn::ce, Ecn::not_ect}) {
    const auto one = datagrams(1, 1, 300);
    const auto many = datagrams(2, 8, 1000);  // a GSO transmit when the kernel has GSO
    std::array<Transmit, 2> ts;
    ts[0].contents = one;
    ts[1].contents = many;
    ts[1].segment_size = 1000;
    for (auto& t : ts) {
      t.destination = SocketAddress(c.to, rx.local_address().port());
      t.ecn = ecn;
    }
    auto sent = tx.send(ts);
    ASSERT_TRUE(sent) << sent.error().message();
    ASSERT_EQ(*sent, 2u);
    for (const RecvMeta& m : receive(rx, 9, nullptr)) {
      EXPECT_EQ(m.ecn, ecn) << static_cast<int>(ecn);
      EXPECT_EQ(m.source.ip(), c.to);  // unmapped on a dual-stack socket too
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Loopback, UdpEcn,
    ::testing::Values(
        EcnCase{"V4", IpAddress::v4_loopback(), IpAddress::v4_loopback(),
                IpAddress::v4_loopback()},
        EcnCase{"V6", IpAddress::v6_loopback(), IpAddress::v6_loopback(),
                IpAddress::v6_loopback()},
        // A dual-stack IPv6 sender to an IPv4 receiver: the TOS byte goes in IP_TOS.
        EcnCase{"DualStackToV4", IpAddress::v4_loopback(), IpAddress::any(IpAddress::Family::v6),
                IpAddress::v4_loopback()},
        // An IPv4 sender to a dual-stack receiver: read through IP_RECVTOS on the v6 socket.
        EcnCase{"V4ToDualStack", IpAddress::any(IpAddress::Family::v6), IpAddress::v4_loopback(),
                IpAddress::v4_loopback()}),
    [](const ::testing::TestParamInfo<EcnCase>& param) { return std::string(param.param.name); });

TEST(UdpPktinfo, WildcardV4SocketLearnsTheDestination) {
  UdpSocket rx = open_or_die(bound(IpAddress::any(IpAddress::Family::v4)));
  UdpSocket tx = open_or_die(bound(IpAddress::v4_loopback()));
  ASSERT_TRUE(rx.capabilities().pktinfo);
  EXPECT_TRUE(rx.local_address().ip().is_unspecified());
  const auto bytes = datagrams(7, 1, 100);
  Transmit t;
  t.destination = SocketAddress(IpAddress::v4_loopback(), rx.local_address().port());
  t.contents = bytes;
  ASSERT_TRUE(tx.send(std::span(&t, 1)));
  auto metas = receive(rx, 1, nullptr);
  ASSERT_EQ(metas.size(), 1u);
  ASSERT_TRUE(metas[0].destination);
  EXPECT_EQ(*metas[0].destination, IpAddress::v4_loopback());
  EXPECT_EQ(metas[0].source, tx.local_address());
}

TEST(UdpPktinfo, WildcardV6SocketLearnsTheDestination) {
  UdpSocket rx = open_or_die(bound(IpAddress::any(IpAddress::Family::v6)));
  UdpSocket tx6 = open_or_die(bound(IpAddress::v6_loopback()));
  UdpSocket tx4 = open_or_die(bound(IpAddress::v4_loopback()));
  ASSERT_TRUE(rx.capabilities().pktinfo);
  const auto bytes = datagrams(9, 1, 100);
  Transmit t;
  t.contents = bytes;
  t.destination = SocketAddress(IpAddress::v6_loopback(), rx.local_address().port());
  ASSERT_TRUE(tx6.send(std::span(&t, 1)));
  auto m6 = receive(rx, 1, nullptr);
  ASSERT_EQ(m6.size(), 1u);
  ASSERT_TRUE(m6[0].destination);
  EXPECT_EQ(*m6[0].destination, IpAddress::v6_loopback());
  EXPECT_EQ(m6[0].source, tx6.local_address());

  // An IPv4 datagram on the dual-stack socket: both addresses come back unmapped.
  t.destination = SocketAddress(IpAddress::v4_loopback(), rx.local_address().port());
  ASSERT_TRUE(tx4.send(std::span(&t, 1)));
  auto m4 = receive(rx, 1, nullptr);
  ASSERT_EQ(m4.size(), 1u);
  ASSERT_TRUE(m4[0].destination);
  EXPECT_EQ(*m4[0].destination, IpAddress::v4_loopback());
  EXPECT_EQ(m4[0].source, tx4.local_address());
}

TEST(UdpSourceIp, ChosenSourceIsUsedAndANonLocalOneRefused) {
  for (const bool v6 : {false, true}) {
    const IpAddress loopback = v6 ? IpAddress::v6_loopback() : IpAddress::v4_loopback();
    const auto any = IpAddress::any(v6 ? IpAddress::Family::v6 : IpAddress::Family::v4);
    UdpSocket rx = open_or_die(bound(loopback));
    UdpSocket tx = open_or_die(bound(any));
    const auto bytes = datagrams(3, 4, 500);
    Transmit t;
    t.destination = rx.local_address();
    t.contents = bytes;
    t.segment_size = 500;
    t.source_ip = loopback;
    auto sent = tx.send(std::span(&t, 1));
    ASSERT_TRUE(sent) << sent.error().message();
    for (const RecvMeta& m : receive(rx, 4, nullptr)) {
      EXPECT_EQ(m.source, SocketAddress(loopback, tx.local_address().port()));
    }
    // A source the host does not own: the kernel refuses the route, so the record was applied.
    t.source_ip = *IpAddress::parse(v6 ? "2001:db8::1" : "192.0.2.1");
    t.segment_size = 0;
    auto refused = tx.send(std::span(&t, 1));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().category(), std::system_category());
    EXPECT_EQ(tx.counters().send_errors, 1u);
    EXPECT_EQ(tx.counters().gso_fallbacks, 0u);
  }
}

TEST(UdpSourceIp, DualStackSenderPicksAnIpv4Source) {
  UdpSocket rx = open_or_die(bound(IpAddress::v4_loopback()));
  UdpSocket tx = open_or_die(bound(IpAddress::any(IpAddress::Family::v6)));
  const auto bytes = datagrams(4, 1, 64);
  Transmit t;
  t.destination = rx.local_address();  // IPv4, sent v4-mapped
  t.contents = bytes;
  t.source_ip = IpAddress::v4_loopback();
  ASSERT_TRUE(tx.send(std::span(&t, 1)));
  auto m = receive(rx, 1, nullptr);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].source, SocketAddress(IpAddress::v4_loopback(), tx.local_address().port()));
}

TEST(UdpPartialBatch, SendReturnsThePrefixAndThenTheError) {
  UdpSocket rx = open_or_die(bound(IpAddress::v4_loopback()));
  UdpSocket tx = open_or_die(bound(IpAddress::v4_loopback()));
  std::array<std::vector<std::uint8_t>, 4> bytes;
  std::array<Transmit, 4> ts;
  for (std::uint32_t i = 0; i < 4; ++i) {
    bytes[i] = datagrams(100 + i, 1, 200);
    ts[i].destination = rx.local_address();
    ts[i].contents = bytes[i];
  }
  ts[2].destination = SocketAddress(IpAddress::v4_loopback(), 0);  // the kernel says EINVAL

  auto first = tx.send(ts);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, 2u);  // the prefix before the failing transmit
  auto second = tx.send(std::span(ts).subspan(2));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), std::errc::invalid_argument);
  EXPECT_EQ(second.error().category(), std::system_category());
  auto third = tx.send(std::span(ts).subspan(3));
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, 1u);

  std::vector<std::int64_t> seqs;
  receive(rx, 3, &seqs);
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{100, 101, 103}));
  EXPECT_EQ(tx.counters().datagrams_sent, 3u);
  EXPECT_EQ(tx.counters().send_errors, 2u);  // the kernel refused transmit 2 in both calls
}

TEST(UdpPartialBatch, AFailingGsoTransmitDoesNotDisableGso) {
  UdpSocket rx = open_or_die(bound(IpAddress::v4_loopback()));
  UdpSocket tx = open_or_die(bound(IpAddress::v4_loopback()));
  const auto a = datagrams(0, 10, 1000);
  const auto b = datagrams(10, 10, 1000);
  std::array<Transmit, 2> ts;
  ts[0].destination = rx.local_address();
  ts[0].contents = a;
  ts[0].segment_size = 1000;
  ts[1].destination = SocketAddress(IpAddress::v4_loopback(), 0);
  ts[1].contents = b;
  ts[1].segment_size = 1000;
  auto sent = tx.send(ts);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 1u);
  EXPECT_FALSE(tx.gso_disabled_at_runtime());
  EXPECT_EQ(tx.counters().gso_fallbacks, 0u);
  receive(rx, 10, nullptr);
  if (tx.capabilities().gso) {
    EXPECT_EQ(tx.counters().gso_sends, 1u);
  }
}

TEST(UdpGso, SixtyFourSegmentsOfV4TakeTwoSuperDatagrams) {
  SocketConfig rc = bound(IpAddress::v4_loopback());
  rc.recv_buffer_size = 4 << 20;
  UdpSocket rx = open_or_die(rc);
  UdpSocket tx = open_or_die(bound(IpAddress::v4_loopback()));
  const auto bytes = datagrams(0, 64, 1200);
  Transmit t;
  t.destination = rx.local_address();
  t.contents = bytes;
  t.segment_size = 1200;
  auto sent = tx.send(std::span(&t, 1));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 1u);
  std::vector<std::int64_t> seqs;
  receive(rx, 64, &seqs);
  std::sort(seqs.begin(), seqs.end());
  for (std::int64_t i = 0; i < 64; ++i) EXPECT_EQ(seqs[static_cast<std::size_t>(i)], i);
  if (tx.capabilities().gso) {
    EXPECT_EQ(tx.counters().gso_sends, 2u);  // 54 + 10 segments: 65507 bytes fit 54 x 1200
    EXPECT_EQ(tx.counters().gso_segments, 64u);
  }
  if (tx.capabilities().gso && rx.capabilities().gro) {
    EXPECT_EQ(rx.counters().gro_receives, 2u);
  }
}

}  // namespace
}  // namespace gquic::udp
