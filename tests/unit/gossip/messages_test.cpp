#include "gquic/gossip/messages.h"

#include <gtest/gtest.h>

#include "gquic/gossip/broadcast_queue.h"
#include "gquic/gossip/service_record.h"

namespace gquic::gossip {
namespace {

SocketAddress addr(const char* s) { return *SocketAddress::parse(s); }

std::vector<Packet> samples() {
  std::vector<Update> updates{
      AliveUpdate{"a", 7, addr("127.0.0.2:7946"), {1, 2, 3}},
      SuspectUpdate{"b", 3, "a"},
      DeadUpdate{"c", 9, "c"},
      RegistrationUpdate{"a", "default/web/v1@80", 4, false, {9, 9}},
      RegistrationUpdate{"a", "k", 5, true, {}},
  };
  PushPull pp{true, false,
              {MemberSnapshot{"a", addr("[2001:db8::1]:7946"), 1, MemberState::suspect, {}},
               MemberSnapshot{"b", addr("127.0.0.3:1"), 0, MemberState::left, {5}}},
              {RegistrationUpdate{"b", "x", 1, false, {1}}}};
  return {
      Packet{"me", Ping{1, "you"}, updates},
      Packet{"me", IndirectPing{2, "you", addr("127.0.0.9:9"), true}, {}},
      Packet{"me", Ack{3}, {updates[0]}},
      Packet{"me", Nack{4}, {}},
      Packet{"me", GossipOnly{}, updates},
      Packet{"me", pp, {}},
  };
}

TEST(GossipMessages, RoundTripsEveryType) {
  for (const auto& p : samples()) {
    auto bytes = serialize(p);
    auto back = parse(bytes);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, p);
  }
}

TEST(GossipMessages, EveryTruncationAndTrailingByteIsRejected) {
  for (const auto& p : samples()) {
    auto bytes = serialize(p);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(parse(std::span(bytes.data(), n))) << "prefix " << n;
    }
    bytes.push_back(0);
    EXPECT_FALSE(parse(bytes));
  }
}

TEST(GossipMessages, RejectsBadVersionHugeCountsAndBadFields) {
  auto bytes = serialize(Packet{"me", Ack{1}, {}});
  auto v = bytes;
  v[0] = 2;
  EXPECT_EQ(parse(v).error(), make_error_code(Errc::unsupported));
  auto c = bytes;
  c[c.size() - 2] = 0xff;  // update count 65k+
  EXPECT_EQ(parse(c).error(), make_error_code(Errc::malformed));
  // A push-pull claiming 2^32-1 members in a few bytes.
  std::vector<std::uint8_t> pp{kWireVersion, 6, 1, 'x', 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(parse(pp).error(), make_error_code(Errc::malformed));
  // Empty sender name; unknown type; bad address family.
  EXPECT_FALSE(parse(std::vector<std::uint8_t>{kWireVersion, 3, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_FALSE(parse(std::vector<std::uint8_t>{kWireVersion, 99, 1, 'x', 0, 0}));
  auto ip = serialize(Packet{"me", IndirectPing{2, "y", addr("127.0.0.9:9"), true}, {}});
  ip[3 + 2 + 4 + 2] = 5;  // family byte
  EXPECT_FALSE(parse(ip));
}

TEST(GossipMessages, PacketWriterCountsUpdates) {
  PacketWriter w(Packet{"me", GossipOnly{}, {}});
  auto u = encode_update(SuspectUpdate{"b", 3, "a"});
  EXPECT_TRUE(w.append(u));
  EXPECT_TRUE(w.append(u));
  auto p = parse(std::move(w).take());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->updates.size(), 2u);
}

TEST(BroadcastQueue, ReplacesByKeyOrdersByTransmitsAndRetires) {
  BroadcastQueue q(3);
  q.push("m:a", {1});
  q.push("m:b", {2});
  q.push("m:a", {3});  // replaces a
  EXPECT_EQ(q.size(), 2u);
  std::vector<std::uint8_t> seen;
  q.fill(2, [&](std::span<const std::uint8_t> b) { seen.push_back(b[0]); return 1; });
  EXPECT_EQ(seen, (std::vector<std::uint8_t>{3, 2}));  // newest first
  q.push("m:c", {4});
  seen.clear();
  q.fill(2, [&](std::span<const std::uint8_t> b) { seen.push_back(b[0]); return 1; });
  EXPECT_EQ(seen, (std::vector<std::uint8_t>{4, 3, 2}));  // fewest transmits first
  EXPECT_EQ(q.size(), 1u);  // a and b reached the limit
  q.push("m:d", {5});
  q.push("m:e", {6});
  EXPECT_TRUE(q.push("m:f", {7}));  // full: the most-sent (c) is evicted
  EXPECT_EQ(q.size(), 3u);
}

TEST(ServiceRecord, RoundTripsAndRejectsGarbage) {
  ServiceRecord r{"web", "prod", "v2", "https", 443,
                  {*IpAddress::parse("192.0.2.1"), *IpAddress::parse("2001:db8::5")},
                  {{"zone", "a"}, {"weight", "10"}}, {"canary"}};
  auto bytes = encode(r);
  ASSERT_TRUE(bytes);
  auto back = decode_service_record(*bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  EXPECT_EQ(r.key(), "prod/web/v2@443");
  for (std::size_t n = 0; n < bytes->size(); ++n) {
    EXPECT_FALSE(decode_service_record(std::span(bytes->data(), n)));
  }
  r.metadata["big"] = std::string(2000, 'x');
  EXPECT_FALSE(encode(r));
}

}  // namespace
}  // namespace gquic::gossip
