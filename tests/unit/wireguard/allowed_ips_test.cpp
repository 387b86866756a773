#include "gquic/wireguard/allowed_ips.h"

#include <gtest/gtest.h>

namespace gquic::wireguard {
namespace {

IpPrefix P(std::string_view s) { return *IpPrefix::parse(s); }
IpAddress A(std::string_view s) { return *IpAddress::parse(s); }

TEST(WgAllowedIps, ParseAndNormalize) {
  EXPECT_EQ(P("10.1.2.3/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(P("10.1.2.3").length, 32);
  EXPECT_EQ(P("fd00::1/64").to_string(), "fd00::/64");
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/8x"));
  EXPECT_FALSE(IpPrefix::parse("fd00::/129"));
  EXPECT_FALSE(IpPrefix::parse("nonsense/8"));
}

TEST(WgAllowedIps, LongestPrefixV4) {
  AllowedIps t;
  ASSERT_TRUE(t.insert(P("0.0.0.0/0"), 1));
  ASSERT_TRUE(t.insert(P("10.0.0.0/8"), 2));
  ASSERT_TRUE(t.insert(P("10.1.0.0/16"), 3));
  ASSERT_TRUE(t.insert(P("10.1.2.3/32"), 4));
  EXPECT_EQ(t.lookup(A("8.8.8.8")), 1u);
  EXPECT_EQ(t.lookup(A("10.200.0.1")), 2u);
  EXPECT_EQ(t.lookup(A("10.1.9.9")), 3u);
  EXPECT_EQ(t.lookup(A("10.1.2.3")), 4u);
  EXPECT_EQ(t.lookup(A("10.1.2.4")), 3u);
  EXPECT_FALSE(t.lookup(A("::1")));
  ASSERT_TRUE(t.remove(P("10.1.0.0/16")));
  EXPECT_EQ(t.lookup(A("10.1.9.9")), 2u);
  EXPECT_EQ(t.lookup(A("10.1.2.3")), 4u);
  EXPECT_FALSE(t.remove(P("10.1.0.0/16")));
  EXPECT_EQ(t.size(), 3u);
}

TEST(WgAllowedIps, LongestPrefixV6) {
  AllowedIps t;
  ASSERT_TRUE(t.insert(P("::/0"), 1));
  ASSERT_TRUE(t.insert(P("fd00::/8"), 2));
  ASSERT_TRUE(t.insert(P("fd00:1::/32"), 3));
  ASSERT_TRUE(t.insert(P("fd00:1::5/128"), 4));
  EXPECT_EQ(t.lookup(A("2001:db8::1")), 1u);
  EXPECT_EQ(t.lookup(A("fd42::1")), 2u);
  EXPECT_EQ(t.lookup(A("fd00:1:2::1")), 3u);
  EXPECT_EQ(t.lookup(A("fd00:1::5")), 4u);
  EXPECT_FALSE(t.lookup(A("10.0.0.1")));
  t.remove_by_peer(3);
  EXPECT_EQ(t.lookup(A("fd00:1:2::1")), 2u);
  EXPECT_EQ(t.lookup(A("fd00:1::5")), 4u);
}

TEST(WgAllowedIps, ReinsertMovesPrefixAndListPerPeer) {
  AllowedIps t;
  ASSERT_TRUE(t.insert(P("10.0.0.0/24"), 1));
  ASSERT_TRUE(t.insert(P("fd00::/64"), 1));
  ASSERT_TRUE(t.insert(P("10.0.1.0/24"), 2));
  EXPECT_EQ(t.list(1).size(), 2u);
  ASSERT_TRUE(t.insert(P("10.0.0.0/24"), 2));
  EXPECT_EQ(t.lookup(A("10.0.0.9")), 2u);
  EXPECT_EQ(t.list(1), std::vector<IpPrefix>{P("fd00::/64")});
  EXPECT_EQ(t.list(2).size(), 2u);
  t.remove_by_peer(2);
  EXPECT_FALSE(t.lookup(A("10.0.0.9")));
  EXPECT_TRUE(t.list(2).empty());
  EXPECT_EQ(t.size(), 1u);
}

TEST(WgAllowedIps, TenThousandPeers) {
  AllowedIps t;
  for (std::uint32_t i = 0; i < 10000; ++i) {
    ASSERT_TRUE(t.insert(*IpPrefix::make(IpAddress::v4(0x0a000000u | (i << 8)), 24), i));
  }
  for (std::uint32_t i = 0; i < 10000; i += 97) {
    EXPECT_EQ(t.lookup(IpAddress::v4(0x0a000000u | (i << 8) | 7)), i);
  }
  for (std::uint32_t i = 0; i < 10000; i += 2) t.remove_by_peer(i);
  EXPECT_EQ(t.size(), 5000u);
  EXPECT_FALSE(t.lookup(IpAddress::v4(0x0a000000u | (10 << 8))));
  EXPECT_EQ(t.lookup(IpAddress::v4(0x0a000000u | (11 << 8))), 11u);
}

}  // namespace
}  // namespace gquic::wireguard
