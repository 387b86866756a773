#include "gquic/udp/udp_socket_cmsg.h"

#include <gtest/gtest.h>
#include <netinet/udp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace gquic::udp {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// A control buffer aligned like the kernel's.
struct ControlBuf {
  alignas(cmsghdr) std::array<std::uint8_t, 256> bytes{};
  std::size_t used = 0;

  // Appends one record with `payload_len` bytes of payload and `cmsg_len` as written (which a
  // test may make lie).
  void add(int level, int type, const void* payload, std::size_t payload_len,
           std::size_t cmsg_len_override = 0) {
    cmsghdr h{};
    h.cmsg_len = cmsg_len_override ? cmsg_len_override : CMSG_LEN(payload_len);
    h.cmsg_level = level;
    h.cmsg_type = type;
    std::memcpy(bytes.data() + used, &h, sizeof h);
    std::memcpy(bytes.data() + used + CMSG_LEN(0), payload, payload_len);
    used += CMSG_SPACE(payload_len);
  }
  std::span<const std::uint8_t> span() const { return {bytes.data(), used}; }
};

TEST(UdpCmsg, EncodeDecodeRoundTripsV4) {
  for (Ecn ecn : {Ecn::not_ect, Ecn::ect0, Ecn::ect1, Ecn::ce}) {
    for (std::size_t seg : {std::size_t{0}, std::size_t{1200}, std::size_t{65535}}) {
      for (bool with_src : {false, true}) {
        ControlData in{seg, ecn, with_src ? std::optional(ip("10.1.2.3")) : std::nullopt};
        alignas(cmsghdr) std::array<std::uint8_t, kSendControlSpace> buf{};
        auto n = encode_send_control(in, /*ipv4_path=*/true, buf);
        ASSERT_TRUE(n);
        auto out = decode_control(std::span(buf.data(), *n), ControlDirection::send);
        EXPECT_FALSE(out.malformed);
        EXPECT_EQ(out.unknown, 0u);
        EXPECT_EQ(out.data, in);
        EXPECT_EQ(out.records, (seg > 0) + (ecn != Ecn::not_ect) + with_src);
      }
    }
  }
}

TEST(UdpCmsg, EncodeDecodeRoundTripsV6) {
  ControlData in{1350, Ecn::ce, ip("2001:db8::9")};
  alignas(cmsghdr) std::array<std::uint8_t, kSendControlSpace> buf{};
  auto n = encode_send_control(in, /*ipv4_path=*/false, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, kSendControlSpace);  // all three records fill the reserved space exactly
  auto out = decode_control(std::span(buf.data(), *n), ControlDirection::send);
  EXPECT_FALSE(out.malformed);
  EXPECT_EQ(out.data, in);
}

TEST(UdpCmsg, EncodeWritesNothingForDefaults) {
  alignas(cmsghdr) std::array<std::uint8_t, kSendControlSpace> buf{};
  auto n = encode_send_control(ControlData{}, true, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(UdpCmsg, EncodeUsesIpLevelRecordsOnTheV4Path) {
  alignas(cmsghdr) std::array<std::uint8_t, kSendControlSpace> buf{};
  // A v4-mapped source on the IPv4 path travels as IP_PKTINFO with the IPv4 address.
  auto n = encode_send_control(ControlData{0, Ecn::ect1, ip("::ffff:127.0.0.1")}, true, buf);
  ASSERT_TRUE(n);
  cmsghdr h;
  std::memcpy(&h, buf.data(), sizeof h);
  EXPECT_EQ(h.cmsg_level, IPPROTO_IP);
  EXPECT_EQ(h.cmsg_type, IP_TOS);
  auto out = decode_control(std::span(buf.data(), *n), ControlDirection::send);
  ASSERT_TRUE(out.data.address);
  EXPECT_EQ(*out.data.address, ip("127.0.0.1"));
  EXPECT_EQ(out.data.ecn, Ecn::ect1);
}

TEST(UdpCmsg, EncodeRejectsBadArguments) {
  alignas(cmsghdr) std::array<std::uint8_t, kSendControlSpace> buf{};
  EXPECT_EQ(encode_send_control(ControlData{0, Ecn::not_ect, ip("2001:db8::1")}, true, buf).error(),
            Errc::invalid_argument);
  EXPECT_EQ(encode_send_control(ControlData{0, Ecn::not_ect, ip("10.0.0.1")}, false, buf).error(),
            Errc::invalid_argument);
  EXPECT_EQ(encode_send_control(ControlData{70000, Ecn::not_ect, {}}, true, buf).error(),
            Errc::invalid_argument);
  alignas(cmsghdr) std::array<std::uint8_t, 24> small{};
  EXPECT_EQ(encode_send_control(ControlData{1200, Ecn::ce, {}}, true, small).error(),
            Errc::exhausted);
}

TEST(UdpCmsg, DecodesReceiveRecordsAsTheKernelWritesThem) {
  ControlBuf b;
  const int gro = 1200;
  b.add(SOL_UDP, UDP_GRO, &gro, sizeof gro);
  const std::uint8_t tos = 0xb8 | 0b10;  // DSCP EF with ECT(0)
  b.add(IPPROTO_IP, IP_TOS, &tos, 1);
  in_pktinfo info{};
  info.ipi_ifindex = 1;
  info.ipi_spec_dst = ip("127.0.0.9").to_in_addr();  // the route's address, not the answer
  info.ipi_addr = ip("127.0.0.1").to_in_addr();
  b.add(IPPROTO_IP, IP_PKTINFO, &info, sizeof info);
  auto out = decode_control(b.span(), ControlDirection::receive);
  EXPECT_FALSE(out.malformed);
  EXPECT_EQ(out.records, 3u);
  EXPECT_EQ(out.data.segment_size, 1200u);
  EXPECT_EQ(out.data.ecn, Ecn::ect0);
  ASSERT_TRUE(out.data.address);
  EXPECT_EQ(*out.data.address, ip("127.0.0.1"));
}

TEST(UdpCmsg, DecodesV6ReceiveRecords) {
  ControlBuf b;
  const int tclass = 0x03;
  b.add(IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof tclass);
  in6_pktinfo info{};
  info.ipi6_addr = ip("::1").to_in6_addr();
  b.add(IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof info);
  const int unknown = 7;
  b.add(SOL_SOCKET, SO_TIMESTAMP, &unknown, sizeof unknown);
  auto out = decode_control(b.span(), ControlDirection::receive);
  EXPECT_FALSE(out.malformed);
  EXPECT_EQ(out.unknown, 1u);
  EXPECT_EQ(out.data.ecn, Ecn::ce);
  EXPECT_EQ(*out.data.address, ip("::1"));
  EXPECT_EQ(out.data.segment_size, 0u);
}

TEST(UdpCmsg, TruncatedLastRecordKeepsEarlierOnes) {
  // MSG_CTRUNC: the kernel shortens cmsg_len of the record that did not fit.
  ControlBuf b;
  const int gro = 1000;
  b.add(SOL_UDP, UDP_GRO, &gro, sizeof gro);
  in6_pktinfo info{};
  info.ipi6_addr = ip("::1").to_in6_addr();
  const std::size_t before = b.used;
  b.add(IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof info, CMSG_LEN(8));
  auto out = decode_control(std::span(b.bytes.data(), before + CMSG_LEN(8)),
                            ControlDirection::receive);
  EXPECT_TRUE(out.malformed);
  EXPECT_EQ(out.data.segment_size, 1000u);
  EXPECT_FALSE(out.data.address);
}

TEST(UdpCmsg, RejectsImpossibleLengths) {
  ControlBuf b;
  const int gro = 1000;
  b.add(SOL_UDP, UDP_GRO, &gro, sizeof gro, /*cmsg_len=*/4);  // shorter than the header
  EXPECT_TRUE(decode_control(b.span(), ControlDirection::receive).malformed);

  ControlBuf c;
  c.add(SOL_UDP, UDP_GRO, &gro, sizeof gro, /*cmsg_len=*/1000);  // past the buffer
  auto out = decode_control(c.span(), ControlDirection::receive);
  EXPECT_TRUE(out.malformed);
  EXPECT_EQ(out.data.segment_size, 0u);
}

TEST(UdpCmsg, ShortPayloadsAreMalformedNotRead) {
  for (int type : {UDP_GRO, UDP_SEGMENT}) {
    ControlBuf b;
    const std::uint8_t one = 5;
    b.add(SOL_UDP, type, &one, 1);
    auto out = decode_control(b.span(), ControlDirection::receive);
    EXPECT_TRUE(out.malformed) << type;
    EXPECT_EQ(out.data.segment_size, 0u);
  }
  ControlBuf b;
  const std::uint8_t two[2] = {3, 3};
  b.add(IPPROTO_IPV6, IPV6_TCLASS, two, 2);
  auto out = decode_control(b.span(), ControlDirection::receive);
  EXPECT_TRUE(out.malformed);
  EXPECT_EQ(out.data.ecn, Ecn::not_ect);
}

TEST(UdpCmsg, GarbageAndOddSizesNeverCrash) {
  std::vector<std::uint8_t> bytes(300);
  std::uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    for (auto& v : bytes) {
      x = x * 1103515245u + 12345u;
      v = static_cast<std::uint8_t>(x >> 16);
    }
    // Small cmsg_len values make the walk go on; put plausible lengths in now and then.
    if (round % 3 == 0) {
      std::size_t len = CMSG_LEN(x % 40);
      std::memcpy(bytes.data(), &len, sizeof len);
    }
    const std::size_t size = x % bytes.size();
    const std::size_t start = (x >> 8) % 8;  // unaligned starts too
    auto span = std::span<const std::uint8_t>(bytes.data() + start,
                                              std::min(size, bytes.size() - start));
    (void)decode_control(span, ControlDirection::receive);
    (void)decode_control(span, ControlDirection::send);
  }
  EXPECT_FALSE(decode_control({}, ControlDirection::receive).malformed);
  std::array<std::uint8_t, 7> tiny{};
  EXPECT_EQ(decode_control(tiny, ControlDirection::receive).records, 0u);
}

TEST(UdpCmsg, MapsAndUnmapsV4) {
  EXPECT_EQ(map_v4(ip("127.0.0.1")), ip("::ffff:127.0.0.1"));
  EXPECT_EQ(unmap_v4(ip("::ffff:127.0.0.1")), ip("127.0.0.1"));
  EXPECT_EQ(unmap_v4(ip("::1")), ip("::1"));
  EXPECT_EQ(map_v4(ip("::1")), ip("::1"));
  EXPECT_TRUE(is_v4_mapped(ip("::ffff:10.0.0.1")));
  EXPECT_FALSE(is_v4_mapped(ip("10.0.0.1")));
  EXPECT_FALSE(is_v4_mapped(ip("::1:ffff:10.0.0.1")));
}

}  // namespace
}  // namespace gquic::udp
