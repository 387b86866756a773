// SwimCore driven by hand with literal timestamps.
#include "gquic/gossip/swim_core.h"

#include <gtest/gtest.h>

namespace gquic::gossip {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{std::chrono::seconds(1000)};

SwimConfig config(const char* name, std::uint32_t host) {
  SwimConfig c;
  c.name = name;
  c.advertise = SocketAddress(IpAddress::v4(0x7f000000u | host), 7946);
  return c;
}

struct Pair {
  DeterministicRandom ra{1}, rb{2};
  SwimCore a{config("a", 1), ra, t0};
  SwimCore b{config("b", 2), rb, t0};
  // a joins b by push-pull.
  void join(TimePoint now) {
    SocketAddress seed = b.members()[0].address;
    a.join(now, std::span(&seed, 1));
    auto t = a.poll_transmit();
    ASSERT_TRUE(t && t->stream);
    auto reply = b.handle_stream(now, a.members()[0].address, t->bytes);
    ASSERT_TRUE(reply);
    a.handle_stream_reply(now, b.members()[0].address, *reply);
    while (a.poll_transmit()) {}
    while (b.poll_transmit()) {}
  }
};

TEST(SwimCore, JoinByPushPullEmitsJoinedOnBothSides) {
  Pair p;
  p.join(t0);
  ASSERT_TRUE(p.a.member("b"));
  ASSERT_TRUE(p.b.member("a"));
  EXPECT_EQ(p.a.alive_count(), 2u);
  auto e = p.a.poll_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, GossipEvent::Kind::member_joined);
  EXPECT_EQ(e->member.name, "b");
}

TEST(SwimCore, ProbeIsAckedAndHealthImproves) {
  Pair p;
  p.join(t0);
  TimePoint now = *p.a.next_deadline();
  // Run a's timers until it pings b.
  std::optional<Transmit> ping;
  for (int i = 0; i < 20 && !ping; ++i) {
    now = *p.a.next_deadline();
    p.a.handle_timeout(now);
    while (auto t = p.a.poll_transmit()) {
      auto parsed = parse(t->bytes);
      if (parsed && std::holds_alternative<Ping>(parsed->body)) ping = std::move(t);
    }
  }
  ASSERT_TRUE(ping);
  p.b.handle_datagram(now + 1ms, p.a.members()[0].address, ping->bytes);
  auto ack = p.b.poll_transmit();
  ASSERT_TRUE(ack);
  auto parsed = parse(ack->bytes);
  ASSERT_TRUE(parsed && std::holds_alternative<Ack>(parsed->body));
  p.a.handle_datagram(now + 2ms, p.b.members()[0].address, ack->bytes);
  p.a.handle_timeout(now + 1s);
  EXPECT_EQ(p.a.member("b")->state, MemberState::alive);
  EXPECT_EQ(p.a.stats().probe_failures, 0u);
}

TEST(SwimCore, UnansweredProbeSuspectsThenDeclaresDead) {
  Pair p;
  p.join(t0);
  TimePoint now = t0;
  for (int i = 0; i < 200 && p.a.member("b")->state != MemberState::dead; ++i) {
    now = *p.a.next_deadline();
    p.a.handle_timeout(now);
    while (p.a.poll_transmit()) {}  // b never answers
  }
  EXPECT_EQ(p.a.member("b")->state, MemberState::dead);
  EXPECT_GE(p.a.stats().suspicions, 1u);
  // Two members: min suspicion = 4 x probe interval, no confirmations expected.
  EXPECT_LE(now - t0, 4s + 3s);
  bool dead_event = false;
  while (auto e = p.a.poll_event()) dead_event |= e->kind == GossipEvent::Kind::member_dead;
  EXPECT_TRUE(dead_event);
}

TEST(SwimCore, RefutesSuspicionWithHigherIncarnation) {
  Pair p;
  p.join(t0);
  Packet accuse{"b", GossipOnly{}, {SuspectUpdate{"a", 0, "b"}}};
  p.a.handle_datagram(t0 + 1s, p.b.members()[0].address, serialize(accuse));
  EXPECT_EQ(p.a.incarnation(), 1u);
  EXPECT_EQ(p.a.stats().refutations, 1u);
  EXPECT_EQ(p.a.health_score(), 1);
  // An older accusation is ignored.
  p.a.handle_datagram(t0 + 2s, p.b.members()[0].address, serialize(accuse));
  EXPECT_EQ(p.a.incarnation(), 1u);
}

TEST(SwimCore, BadInputIsDroppedAndCounted) {
  Pair p;
  SocketAddress from = p.b.members()[0].address;
  p.a.handle_datagram(t0, from, std::vector<std::uint8_t>{1, 2, 3});
  p.a.handle_datagram(t0, from, std::vector<std::uint8_t>{});
  p.a.handle_datagram(t0, from, serialize(Packet{"b", Ping{1, "not-a"}, {}}));
  p.a.handle_datagram(t0, from, serialize(Packet{"a", Ack{1}, {}}));
  auto v2 = serialize(Packet{"b", Ack{1}, {}});
  v2[0] = 9;
  p.a.handle_datagram(t0, from, v2);
  p.a.handle_datagram(t0, from, serialize(Packet{"b", PushPull{}, {}}));  // not over UDP
  auto s = p.a.stats();
  EXPECT_EQ(s.drops_by(DropReason::malformed), 3u);
  EXPECT_EQ(s.drops_by(DropReason::misdirected), 1u);
  EXPECT_EQ(s.drops_by(DropReason::from_self), 1u);
  EXPECT_EQ(s.drops_by(DropReason::bad_version), 1u);
  EXPECT_FALSE(p.a.handle_stream(t0, from, std::vector<std::uint8_t>{0xE1, 0}));
}

TEST(SwimCore, JoinFloodIsBounded) {
  DeterministicRandom rng(3);
  SwimConfig c = config("a", 1);
  c.max_members = 10;
  c.max_broadcasts = 16;
  SwimCore a(c, rng, t0);
  Packet flood{"x", GossipOnly{}, {}};
  for (int i = 0; i < 50; ++i) {
    flood.updates.push_back(
        AliveUpdate{"m" + std::to_string(i), 0, SocketAddress(IpAddress::v4(0x7f000100u + i), 1), {}});
  }
  a.handle_datagram(t0, SocketAddress(IpAddress::v4(0x7f0000ffu), 1), serialize(flood));
  EXPECT_EQ(a.members().size(), 11u);
  EXPECT_EQ(a.stats().drops_by(DropReason::members_full), 40u);
  EXPECT_LE(a.queued_broadcasts(), 16u);
}

TEST(SwimCore, EncryptionRejectsWrongKeyAndPlaintext) {
  GossipKey k1, k2;
  k1.fill(1);
  k2.fill(2);
  DeterministicRandom ra(1), rb(2), rc(3);
  SwimConfig ca = config("a", 1), cb = config("b", 2), cc = config("c", 3);
  ca.keyring = Keyring(k1);
  cb.keyring = Keyring(k1);
  cc.keyring = Keyring(k2);
  SwimCore a(ca, ra, t0), b(cb, rb, t0), c(cc, rc, t0);
  SocketAddress seed = b.members()[0].address;
  a.join(t0, std::span(&seed, 1));
  c.join(t0, std::span(&seed, 1));
  auto ta = a.poll_transmit();
  auto tc = c.poll_transmit();
  EXPECT_TRUE(b.handle_stream(t0, ca.advertise, ta->bytes));
  EXPECT_FALSE(b.handle_stream(t0, cc.advertise, tc->bytes));
  EXPECT_EQ(b.stats().drops_by(DropReason::decrypt_failed), 1u);
  b.handle_datagram(t0, cc.advertise, serialize(Packet{"c", Ping{1, "b"}, {}}));
  EXPECT_EQ(b.stats().drops_by(DropReason::plaintext_refused), 1u);
  EXPECT_TRUE(b.member("a"));
  EXPECT_FALSE(b.member("c"));
}

TEST(SwimCore, RegistrationsVersionAndTombstones) {
  Pair p;
  p.join(t0);
  std::vector<std::uint8_t> payload{1, 2, 3};
  ASSERT_TRUE(p.b.register_service(t0, "svc", payload));
  EXPECT_FALSE(p.b.register_service(t0, "", payload));
  EXPECT_FALSE(p.b.register_service(t0, "big", std::vector<std::uint8_t>(kMaxPayloadLength + 1)));
  // b gossips to a.
  TimePoint now = t0;
  while (p.a.registrations().empty() && now < t0 + 5s) {
    now = *p.b.next_deadline();
    p.b.handle_timeout(now);
    while (auto t = p.b.poll_transmit()) {
      if (!t->stream) p.a.handle_datagram(now, p.b.members()[0].address, t->bytes);
    }
    while (p.a.poll_transmit()) {}
  }
  ASSERT_EQ(p.a.registrations().size(), 1u);
  EXPECT_EQ(p.a.registrations()[0].payload, payload);
  EXPECT_EQ(p.a.registrations()[0].origin, "b");
  ASSERT_TRUE(p.b.deregister_service(now, "svc"));
  EXPECT_FALSE(p.b.deregister_service(now, "svc"));
  // An older copy does not bring it back; the tombstone wins.
  Packet stale{"b", GossipOnly{}, {RegistrationUpdate{"b", "svc", 1, false, payload}}};
  Packet tomb{"b", GossipOnly{}, {RegistrationUpdate{"b", "svc", 2, true, {}}}};
  p.a.handle_datagram(now, p.b.members()[0].address, serialize(tomb));
  p.a.handle_datagram(now, p.b.members()[0].address, serialize(stale));
  EXPECT_TRUE(p.a.registrations().empty());
}

}  // namespace
}  // namespace gquic::gossip
