#include "gquic/udp/router.h"

#include <gtest/gtest.h>

#include <vector>

namespace gquic::udp_mux_advanced {
namespace {

using Bytes = std::vector<std::uint8_t>;

udp::ConnectionId cid(std::uint8_t fill) {
  Bytes b(8, fill);
  return *udp::ConnectionId::from(b);
}

Bytes short_packet(std::uint8_t fill) {
  Bytes p(30, 0);
  p[0] = 0x40;
  std::fill(p.begin() + 1, p.begin() + 9, fill);
  return p;
}

Bytes long_initial(std::uint8_t fill) {
  Bytes p = {0xc0, 0, 0, 0, 1, 8};
  p.insert(p.end(), 8, fill);
  p.push_back(0);  // SCID length
  p.resize(1200, 0);
  return p;
}

const SocketAddress kA = *SocketAddress::parse("127.0.0.1:1000");
const SocketAddress kB = *SocketAddress::parse("127.0.0.1:2000");

TEST(Router, RoutesQuicByDestinationConnectionId) {
  Router r(8, 100);
  ASSERT_TRUE(r.add_connection_id(1, cid(0xaa)));
  ASSERT_TRUE(r.add_connection_id(2, cid(0xbb)));
  auto d1 = r.route(short_packet(0xaa), kA);
  ASSERT_TRUE(d1.route);
  EXPECT_EQ(d1.route->receiver, 1u);
  EXPECT_EQ(d1.route->kind, RouteKind::connection_id);
  EXPECT_EQ(r.route(long_initial(0xbb), kA).route->receiver, 2u);
  // The same CID from a new address (migration) still reaches its receiver.
  EXPECT_EQ(r.route(short_packet(0xbb), kB).route->receiver, 2u);
}

TEST(Router, FallsBackToRemoteThenDefault) {
  Router r(8, 100);
  ASSERT_TRUE(r.add_remote(3, kA));
  EXPECT_EQ(r.route(short_packet(0x01), kA).route->kind, RouteKind::remote_address);
  auto miss = r.route(short_packet(0x01), kB);
  EXPECT_FALSE(miss.route);
  EXPECT_EQ(miss.miss, RouteMiss::unknown_connection);
  r.set_default_quic(9);
  EXPECT_EQ(r.route(long_initial(0x01), kB).route->receiver, 9u);
  EXPECT_EQ(r.route(long_initial(0x01), kB).route->kind, RouteKind::default_quic);
}

TEST(Router, NonQuicGoesByAddress) {
  Router r(8, 100);
  const Bytes wireguard = {0x01, 0, 0, 0, 9, 9, 9, 9};
  r.set_default_quic(9);
  auto d = r.route(wireguard, kA);
  EXPECT_FALSE(d.route) << "the default QUIC receiver never gets non-QUIC traffic";
  EXPECT_EQ(d.miss, RouteMiss::unknown_flow);
  ASSERT_TRUE(r.add_remote(4, kA));
  EXPECT_EQ(r.route(wireguard, kA).route->receiver, 4u);
  r.set_default_other(5);
  EXPECT_EQ(r.route(wireguard, kB).route->receiver, 5u);
}

TEST(Router, MalformedQuicIsAMiss) {
  Router r(8, 100);
  r.set_default_quic(9);
  const Bytes truncated_long = {0xc0, 0, 0, 0, 1, 8, 1, 2};
  auto d = r.route(truncated_long, kA);
  EXPECT_FALSE(d.route);
  EXPECT_EQ(d.miss, RouteMiss::malformed_quic);
  EXPECT_EQ(r.route(Bytes{0x40, 1, 2}, kA).miss, RouteMiss::malformed_quic);
}

TEST(Router, BoundsAndOwnership) {
  Router r(8, 2);
  ASSERT_TRUE(r.add_connection_id(1, cid(1)));
  EXPECT_TRUE(r.add_connection_id(1, cid(1))) << "re-adding one's own route is a no-op";
  EXPECT_EQ(r.add_connection_id(2, cid(1)).error(), Errc::already_exists);
  ASSERT_TRUE(r.add_remote(1, kA));
  EXPECT_EQ(r.add_remote(1, kB).error(), Errc::exhausted);
  r.remove_receiver(1);
  EXPECT_EQ(r.route_count(), 0u);
  EXPECT_TRUE(r.add_remote(2, kB));
}

}  // namespace
}  // namespace gquic::udp_mux_advanced
