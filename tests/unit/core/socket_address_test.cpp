#include "gquic/core/socket_address.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace gquic {
namespace {

TEST(SocketAddress, ParsesV4AndV6) {
  auto a = SocketAddress::parse("127.0.0.1:4433");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->port(), 4433);
  EXPECT_TRUE(a->ip().is_loopback());
  EXPECT_EQ(a->to_string(), "127.0.0.1:4433");

  auto b = SocketAddress::parse("[::1]:53");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_v6());
  EXPECT_TRUE(b->ip().is_loopback());
  EXPECT_EQ(b->to_string(), "[::1]:53");
}

TEST(SocketAddress, RejectsMalformed) {
  for (const char* s : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                        "127.0.0.1:80x", "::1:80", "[::1]", "[::1]80", "[127.0.0.1]:80",
                        "300.1.1.1:80", "host:80", "[::1:80"}) {
    EXPECT_FALSE(SocketAddress::parse(s)) << s;
  }
}

TEST(SocketAddress, RoundTripsThroughSockaddr) {
  for (const char* s : {"10.1.2.3:9", "[2001:db8::7]:65535", "0.0.0.0:0"}) {
    auto a = SocketAddress::parse(s);
    ASSERT_TRUE(a) << s;
    sockaddr_storage ss;
    socklen_t len = a->to_sockaddr(ss);
    auto b = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(a->hash(), b->hash());
  }
}

TEST(SocketAddress, FromSockaddrRejectsShortOrForeign) {
  sockaddr_storage ss{};
  ss.ss_family = AF_INET;
  EXPECT_FALSE(SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), 4));
  ss.ss_family = AF_UNIX;
  EXPECT_FALSE(SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), sizeof ss));
  EXPECT_FALSE(SocketAddress::from_sockaddr(nullptr, 0));
}

TEST(SocketAddress, HashDistinguishesPortsAndFamilies) {
  std::unordered_set<SocketAddress> set;
  set.insert(*SocketAddress::parse("127.0.0.1:1"));
  set.insert(*SocketAddress::parse("127.0.0.1:2"));
  set.insert(*SocketAddress::parse("[::1]:1"));
  set.insert(*SocketAddress::parse("127.0.0.1:1"));
  EXPECT_EQ(set.size(), 3u);
}

}  // namespace
}  // namespace gquic
