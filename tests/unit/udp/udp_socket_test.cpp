#include "gquic/udp/udp_socket.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <array>
#include <string>
#include <system_error>
#include <vector>

namespace gquic::udp {
namespace {

SocketConfig loopback_v4() {
  SocketConfig c;
  c.bind_address = SocketAddress(IpAddress::v4_loopback(), 0);
  return c;
}

SocketConfig loopback_v6() {
  SocketConfig c;
  c.bind_address = SocketAddress(IpAddress::v6_loopback(), 0);
  return c;
}

bool wait_readable(const UdpSocket& s) {
  pollfd p{s.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 5000) == 1;  // a hang guard, not a timing assertion
}

std::vector<std::vector<std::uint8_t>> split(std::span<const std::uint8_t> buf, RecvMeta meta) {
  std::vector<std::vector<std::uint8_t>> out;
  for_each_datagram(buf, meta, [&](std::span<const std::uint8_t> d) {
    out.emplace_back(d.begin(), d.end());
  });
  return out;
}

TEST(ForEachDatagram, SplitsAnExactMultiple) {
  std::vector<std::uint8_t> buf(12);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<std::uint8_t>(i);
  RecvMeta m;
  m.len = 12;
  m.stride = 4;
  auto parts = split(buf, m);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2], (std::vector<std::uint8_t>{8, 9, 10, 11}));
}

TEST(ForEachDatagram, ShortLastSegment) {
  std::vector<std::uint8_t> buf(10, 1);
  RecvMeta m;
  m.len = 10;
  m.stride = 4;
  auto parts = split(buf, m);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].size(), 4u);
  EXPECT_EQ(parts[2].size(), 2u);
}

TEST(ForEachDatagram, StrideZeroIsOneDatagram) {
  std::vector<std::uint8_t> buf(10, 1);
  RecvMeta m;
  m.len = 7;
  m.stride = 0;
  auto parts = split(buf, m);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].size(), 7u);
}

TEST(ForEachDatagram, LenBeyondBufferIsClampedAndZeroLenYieldsNothing) {
  std::vector<std::uint8_t> buf(5, 1);
  RecvMeta m;
  m.len = 50;
  m.stride = 3;
  auto parts = split(buf, m);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].size(), 2u);
  m.len = 0;
  EXPECT_TRUE(split(buf, m).empty());
}

TEST(UdpSocket, OpensWithARealPort) {
  auto s = UdpSocket::open(loopback_v4());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->is_open());
  EXPECT_NE(s->local_address().port(), 0);
  EXPECT_EQ(s->local_address().ip(), IpAddress::v4_loopback());
  s->close();
  EXPECT_FALSE(s->is_open());
}

TEST(UdpSocket, RejectsInvalidConfig) {
  auto c = loopback_v4();
  c.recv_buffer_size = -1;
  EXPECT_EQ(UdpSocket::open(c).error(), Errc::invalid_argument);
  c = loopback_v4();
  c.send_buffer_size = -5;
  EXPECT_EQ(UdpSocket::open(c).error(), Errc::invalid_argument);
  c = loopback_v4();
  c.v6_only = true;  // meaningless for an IPv4 socket
  EXPECT_EQ(UdpSocket::open(c).error(), Errc::invalid_argument);
}

TEST(UdpSocket, PortInUseIsAddressInUse) {
  auto a = UdpSocket::open(loopback_v4());
  ASSERT_TRUE(a);
  auto c = loopback_v4();
  c.bind_address = a->local_address();
  auto b = UdpSocket::open(c);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), std::errc::address_in_use);
  EXPECT_EQ(b.error().category(), std::system_category());
}

TEST(UdpSocket, ReusePortLetsTwoSocketsShareAPort) {
  auto c = loopback_v4();
  c.reuse_port = true;
  auto a = UdpSocket::open(c);
  ASSERT_TRUE(a);
  c.bind_address = a->local_address();
  auto b = UdpSocket::open(c);
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->local_address(), a->local_address());
}

TEST(UdpSocket, ReportsBufferSizes) {
  auto c = loopback_v4();
  c.recv_buffer_size = 1 << 20;
  c.send_buffer_size = 1 << 20;
  auto s = UdpSocket::open(c);
  ASSERT_TRUE(s);
  // The kernel doubles the value for bookkeeping; as root FORCE passes the sysctl cap.
  EXPECT_GE(s->capabilities().recv_buffer_size, 1 << 20);
  EXPECT_GT(s->capabilities().send_buffer_size, 0);
}

TEST(UdpSocket, Ipv6OnLoopbackSendsToItself) {
  auto s = UdpSocket::open(loopback_v6());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->local_address().is_v6());
  EXPECT_NE(s->local_address().port(), 0);
  const std::string text = "hello over ::1";
  Transmit t;
  t.destination = s->local_address();
  t.contents = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  auto sent = s->send(std::span(&t, 1));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 1u);
  ASSERT_TRUE(wait_readable(*s));
  std::vector<std::uint8_t> buf(kMaxUdpPayload);
  std::array<std::span<std::uint8_t>, 1> bufs{std::span(buf)};
  std::array<RecvMeta, 1> meta;
  auto got = s->recv(bufs, meta);
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_EQ(*got, 1u);
  EXPECT_EQ(meta[0].source, s->local_address());
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + meta[0].len), text);
  EXPECT_EQ(meta[0].stride, meta[0].len);
  if (s->capabilities().pktinfo) {
    ASSERT_TRUE(meta[0].destination);
    EXPECT_EQ(*meta[0].destination, IpAddress::v6_loopback());
  }
  EXPECT_EQ(s->counters().datagrams_sent, 1u);
  EXPECT_EQ(s->counters().datagrams_received, 1u);
}

TEST(UdpSocket, RecvOnEmptySocketWouldBlock) {
  auto s = UdpSocket::open(loopback_v4());
  ASSERT_TRUE(s);
  std::vector<std::uint8_t> buf(1500);
  std::array<std::span<std::uint8_t>, 1> bufs{std::span(buf)};
  std::array<RecvMeta, 1> meta;
  EXPECT_EQ(s->recv(bufs, meta).error(), Errc::would_block);
  EXPECT_EQ(s->counters().recv_would_block, 1u);
  EXPECT_EQ(*s->recv({}, meta), 0u);
}

TEST(UdpSocket, ValidatesTransmits) {
  auto s = UdpSocket::open(loopback_v4());
  ASSERT_TRUE(s);
  std::vector<std::uint8_t> big(kMaxUdpPayload + 1);
  Transmit t;
  t.destination = s->local_address();

  t.contents = {};
  EXPECT_EQ(s->send(std::span(&t, 1)).error(), Errc::invalid_argument);

  t.contents = std::span(big).first(kMaxUdpPayloadV4 + 1);  // too big for IPv4
  EXPECT_EQ(s->send(std::span(&t, 1)).error(), Errc::message_too_large);

  t.contents = std::span(big).first(65 * 100);  // 65 segments
  t.segment_size = 100;
  EXPECT_EQ(s->send(std::span(&t, 1)).error(), Errc::message_too_large);

  t.contents = std::span(big).first(64 * 100);  // 64 segments is the limit
  auto ok = s->send(std::span(&t, 1));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*ok, 1u);

  t.segment_size = 0;
  t.contents = std::span(big).first(10);
  t.destination = SocketAddress(IpAddress::v6_loopback(), 9);  // IPv6 on an IPv4 socket
  EXPECT_EQ(s->send(std::span(&t, 1)).error(), Errc::invalid_argument);

  t.destination = s->local_address();
  t.source_ip = IpAddress::v6_loopback();
  EXPECT_EQ(s->send(std::span(&t, 1)).error(), Errc::invalid_argument);
  EXPECT_GE(s->counters().send_errors, 5u);
}

TEST(UdpSocket, InvalidLaterTransmitShortensTheCount) {
  auto s = UdpSocket::open(loopback_v4());
  ASSERT_TRUE(s);
  std::array<std::uint8_t, 8> bytes{1, 2, 3, 4, 5, 6, 7, 8};
  std::array<Transmit, 3> ts;
  for (auto& t : ts) {
    t.destination = s->local_address();
    t.contents = bytes;
  }
  ts[1].contents = {};
  auto sent = s->send(ts);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, 1u);
  EXPECT_EQ(s->counters().datagrams_sent, 1u);
}

TEST(UdpSocket, V6OnlySocketRejectsV4Destinations) {
  auto c = loopback_v6();
  c.v6_only = true;
  auto s = UdpSocket::open(c);
  ASSERT_TRUE(s);
  std::array<std::uint8_t, 4> bytes{};
  Transmit t;
  t.destination = SocketAddress(IpAddress::v4_loopback(), 9);
  t.contents = bytes;
  EXPECT_EQ(s->send(std::span(&t, 1)).error(), Errc::invalid_argument);
}

TEST(UdpSocket, ShortBufferDropsAndCountsTruncatedPayload) {
  auto c = loopback_v4();
  c.enable_gro = false;
  auto s = UdpSocket::open(c);
  ASSERT_TRUE(s);
  std::vector<std::uint8_t> payload(100, 7);
  Transmit t;
  t.destination = s->local_address();
  t.contents = payload;
  ASSERT_TRUE(s->send(std::span(&t, 1)));
  ASSERT_TRUE(wait_readable(*s));
  std::vector<std::uint8_t> buf(50);
  std::array<std::span<std::uint8_t>, 1> bufs{std::span(buf)};
  std::array<RecvMeta, 1> meta;
  auto got = s->recv(bufs, meta);
  ASSERT_TRUE(got);
  ASSERT_EQ(*got, 1u);
  EXPECT_EQ(meta[0].len, 0u);
  EXPECT_EQ(s->counters().truncated_payload, 1u);
  EXPECT_EQ(s->counters().datagrams_received, 0u);
}

TEST(UdpSocket, ClosedAndMovedFromSocketsReportClosed) {
  auto s = UdpSocket::open(loopback_v4());
  ASSERT_TRUE(s);
  const int fd = s->native_handle();
  UdpSocket moved = std::move(*s);
  EXPECT_EQ(moved.native_handle(), fd);
  EXPECT_FALSE(s->is_open());
  std::array<std::uint8_t, 4> bytes{};
  Transmit t;
  t.destination = moved.local_address();
  t.contents = bytes;
  EXPECT_EQ(s->send(std::span(&t, 1)).error(), Errc::closed);
  moved.close();
  EXPECT_EQ(moved.send(std::span(&t, 1)).error(), Errc::closed);
}

TEST(UdpSocket, CapabilitiesFollowTheConfig) {
  auto c = loopback_v4();
  c.enable_gso = false;
  c.enable_gro = false;
  auto s = UdpSocket::open(c);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->capabilities().gso);
  EXPECT_FALSE(s->capabilities().gro);
  EXPECT_EQ(s->capabilities().max_gso_segments, 1u);
  EXPECT_TRUE(s->capabilities().ecn);      // IP_RECVTOS exists on every Linux we support
  EXPECT_TRUE(s->capabilities().pktinfo);
}

}  // namespace
}  // namespace gquic::udp
