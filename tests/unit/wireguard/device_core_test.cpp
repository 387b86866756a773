// Two DeviceCores on simulated time: handshakes, data, timers, cookies, roaming and drops.
#include "gquic/wireguard/device_core.h"

#include <functional>

#include <gtest/gtest.h>

namespace gquic::wireguard {
namespace {

using namespace std::chrono_literals;

IpPrefix P(std::string_view s) { return *IpPrefix::parse(s); }

std::vector<std::uint8_t> ipv4_packet(std::uint32_t src, std::uint32_t dst, std::size_t payload,
                                      std::uint8_t fill = 0x5a) {
  std::vector<std::uint8_t> p(20 + payload, fill);
  p[0] = 0x45;
  p[1] = 0;
  p[2] = static_cast<std::uint8_t>((20 + payload) >> 8);
  p[3] = static_cast<std::uint8_t>(20 + payload);
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    p[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  return p;
}

constexpr std::uint32_t kA = 0x0a000001;  // 10.0.0.1
constexpr std::uint32_t kB = 0x0a000002;  // 10.0.0.2

struct Node {
  explicit Node(std::uint64_t seed) : rng(seed) {}
  DeterministicRandom rng;
  PrivateKey key = generate_private_key(rng);
  PublicKey pub = *public_key_from_private(key);
  std::unique_ptr<DeviceCore> dev;
  SocketAddress addr;
  PeerId peer = 0;  // id of the other node
  std::vector<std::vector<std::uint8_t>> tun;
  std::vector<DeviceEvent> events;
};

struct Options {
  std::optional<PresharedKey> psk_a, psk_b;
  bool b_knows_a_endpoint = false;
  std::optional<Duration> a_persistent_keepalive;
  std::size_t max_staged = 128;
  std::uint64_t rekey_after_messages = kRekeyAfterMessages;
};

class WgDevice : public ::testing::Test {
 protected:
  TimePoint now{std::chrono::seconds(1'000'000)};
  Node a{1}, b{2};
  // Returns false to lose the datagram. Sees every transmit before delivery.
  std::function<bool(const SocketAddress& from, Transmit&)> filter;
  std::vector<Transmit> sent_by_a, sent_by_b;
  SocketAddress a_source;  // where A's datagrams appear to come from

  void SetUp() override { setup({}); }

  void setup(const Options& o) {
    a.addr = SocketAddress(IpAddress::v4_loopback(), 51001);
    b.addr = SocketAddress(IpAddress::v4_loopback(), 51002);
    a_source = a.addr;
    DeviceConfig ca;
    ca.private_key = a.key;
    ca.max_staged_packets = o.max_staged;
    ca.rekey_after_messages = o.rekey_after_messages;
    ca.unix_time_offset = std::chrono::seconds(1'700'000'000);
    DeviceConfig cb = ca;
    cb.private_key = b.key;
    a.dev = std::make_unique<DeviceCore>(ca, a.rng);
    b.dev = std::make_unique<DeviceCore>(cb, b.rng);
    PeerConfig pb{
        b.pub, o.psk_a, b.addr, {P("10.0.0.2/32"), P("10.2.0.0/16")}, o.a_persistent_keepalive};
    PeerConfig pa{a.pub, o.psk_b, std::nullopt, {P("10.0.0.1/32")}, std::nullopt};
    if (o.b_knows_a_endpoint) pa.endpoint = a.addr;
    a.peer = *a.dev->add_peer(pb);
    b.peer = *b.dev->add_peer(pa);
  }

  // Moves datagrams until both devices are quiet.
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      while (auto t = a.dev->poll_transmit()) {
        moved = true;
        sent_by_a.push_back(*t);
        if (filter && !filter(a_source, *t)) continue;
        if (t->destination == b.addr) b.dev->handle_datagram(now, a_source, t->bytes);
      }
      while (auto t = b.dev->poll_transmit()) {
        moved = true;
        sent_by_b.push_back(*t);
        if (filter && !filter(b.addr, *t)) continue;
        if (t->destination == a.addr || t->destination == a_source)
          a.dev->handle_datagram(now, b.addr, t->bytes);
      }
    }
    for (Node* n : {&a, &b}) {
      EXPECT_TRUE(n->dev->check_invariants());
      while (auto p = n->dev->poll_tun_write()) n->tun.push_back(std::move(*p));
      while (auto e = n->dev->poll_event()) n->events.push_back(*e);
    }
  }

  // Runs timers and traffic up to now + d.
  void advance(Duration d) {
    const TimePoint end = now + d;
    for (;;) {
      pump();
      std::optional<TimePoint> next;
      for (Node* n : {&a, &b}) {
        auto t = n->dev->next_deadline();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!next || *next > end) break;
      if (*next > now) now = *next;
      a.dev->handle_timeout(now);
      b.dev->handle_timeout(now);
    }
    now = end;
    pump();
  }

  void send_a_to_b(std::size_t payload = 100, std::uint8_t fill = 0x5a) {
    a.dev->handle_tun_packet(now, ipv4_packet(kA, kB, payload, fill));
    pump();
  }
  void send_b_to_a(std::size_t payload = 100) {
    b.dev->handle_tun_packet(now, ipv4_packet(kB, kA, payload));
    pump();
  }
  int count_events(const Node& n, DeviceEvent::Kind k) {
    int c = 0;
    for (const auto& e : n.events) c += e.kind == k;
    return c;
  }
  static std::size_t count_type(const std::vector<Transmit>& v, MessageType t) {
    std::size_t n = 0;
    for (const auto& x : v) n += !x.bytes.empty() && x.bytes[0] == static_cast<std::uint8_t>(t);
    return n;
  }
};

TEST_F(WgDevice, HandshakeAndDataBothWays) {
  const auto packet = ipv4_packet(kA, kB, 100);
  a.dev->handle_tun_packet(now, packet);
  pump();
  ASSERT_EQ(b.tun.size(), 1u);
  EXPECT_EQ(b.tun[0], packet);  // padding stripped
  send_b_to_a(333);
  ASSERT_EQ(a.tun.size(), 1u);
  EXPECT_EQ(a.tun[0].size(), 353u);
  EXPECT_EQ(count_events(a, DeviceEvent::Kind::handshake_completed), 1);
  EXPECT_EQ(count_events(b, DeviceEvent::Kind::handshake_completed), 1);
  EXPECT_EQ(a.dev->stats().total_dropped(), 0u);
  EXPECT_EQ(b.dev->stats().total_dropped(), 0u);
  EXPECT_EQ(b.dev->peer_info(b.peer)->endpoint, a.addr);  // learned from the initiation
  // Transport messages are padded to 16 bytes: 120 -> 128 + 32.
  EXPECT_EQ(sent_by_a.back().bytes.size(), 128u + 32u);
  EXPECT_EQ(count_type(sent_by_a, MessageType::handshake_initiation), 1u);
  EXPECT_EQ(count_type(sent_by_b, MessageType::handshake_response), 1u);
}

TEST_F(WgDevice, ResponderCanInitiateOnceEndpointKnown) {
  setup({.b_knows_a_endpoint = true});
  send_b_to_a();
  ASSERT_EQ(a.tun.size(), 1u);
  send_a_to_b();
  ASSERT_EQ(b.tun.size(), 1u);
}

TEST_F(WgDevice, ResponderWithoutEndpointWaits) {
  send_b_to_a();
  EXPECT_TRUE(a.tun.empty());
  EXPECT_EQ(b.dev->peer_info(b.peer)->staged, 1u);
  send_a_to_b();  // A initiates; B's staged packet follows the confirmation
  EXPECT_EQ(b.tun.size(), 1u);
  EXPECT_EQ(a.tun.size(), 1u);
}

TEST_F(WgDevice, RekeyAfterTimeKeepsOldKeyDecryptable) {
  send_a_to_b();
  advance(kRekeyAfterTime + 1s);
  // A packet sent under the old key, delayed in the network.
  filter = [](const SocketAddress&, Transmit&) { return false; };
  send_a_to_b(50, 0x11);
  const Transmit delayed = sent_by_a.back();
  ASSERT_EQ(delayed.bytes[0], 4);
  filter = nullptr;
  // The send also started a rekey (initiator, older than REKEY_AFTER_TIME); let it finish.
  const auto handshakes = b.dev->stats().handshakes_completed;
  advance(kRekeyTimeout + 1s);
  send_a_to_b(60);
  EXPECT_GT(b.dev->stats().handshakes_completed, handshakes);
  const std::size_t before = b.tun.size();
  b.dev->handle_datagram(now, a.addr, delayed.bytes);
  pump();
  EXPECT_EQ(b.tun.size(), before + 1);
  EXPECT_EQ(b.tun.back()[25], 0x11);
  EXPECT_EQ(b.dev->stats().total_dropped(), 0u);
}

TEST_F(WgDevice, RekeyAfterMessages) {
  setup({.rekey_after_messages = 5});
  for (int i = 0; i < 5; ++i) send_a_to_b();
  EXPECT_EQ(a.dev->stats().initiations_sent, 1u);
  advance(kRekeyTimeout + 1s);  // initiations are rate-limited to one per REKEY_TIMEOUT
  EXPECT_EQ(a.dev->stats().initiations_sent, 1u);
  send_a_to_b();  // counter 5 reaches the threshold
  EXPECT_EQ(a.dev->stats().initiations_sent, 2u);
  EXPECT_EQ(a.dev->stats().handshakes_completed, 2u);
  EXPECT_EQ(b.tun.size(), 6u);
}

TEST_F(WgDevice, SessionExpiresAfterRejectTime) {
  send_a_to_b();
  filter = [](const SocketAddress&, Transmit&) { return false; };
  send_a_to_b();
  const Transmit old = sent_by_a.back();
  filter = nullptr;
  EXPECT_TRUE(a.dev->peer_info(a.peer)->has_session);
  advance(kRejectAfterTime);
  EXPECT_FALSE(a.dev->peer_info(a.peer)->has_session);
  EXPECT_FALSE(b.dev->peer_info(b.peer)->has_session);
  b.dev->handle_datagram(now, a.addr, old.bytes);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::unknown_receiver_index), 1u);
  // New traffic needs a new handshake.
  const auto inits = a.dev->stats().initiations_sent;
  send_a_to_b();
  EXPECT_EQ(a.dev->stats().initiations_sent, inits + 1);
  EXPECT_EQ(b.tun.size(), 2u);
}

TEST_F(WgDevice, RetransmitsThenGivesUp) {
  filter = [](const SocketAddress&, Transmit&) { return false; };  // B unreachable
  send_a_to_b();
  EXPECT_EQ(a.dev->stats().initiations_sent, 1u);
  advance(kRekeyTimeout + kRekeyTimeoutJitterMax + 1ms);
  EXPECT_EQ(a.dev->stats().initiations_sent, 2u);
  advance(kRekeyAttemptTime + 10s);
  EXPECT_EQ(a.dev->stats().initiations_sent, 1u + kMaxHandshakeAttempts);
  EXPECT_EQ(a.dev->stats().dropped(DropReason::handshake_timeout), 1u);
  EXPECT_EQ(count_events(a, DeviceEvent::Kind::handshake_gave_up), 1);
  EXPECT_FALSE(a.dev->next_deadline().has_value());
}

TEST_F(WgDevice, KeepaliveAfterDataReceivedWithoutReply) {
  send_a_to_b();
  const auto ka = b.dev->stats().keepalives_sent;
  advance(kKeepaliveTimeout - 1s);
  EXPECT_EQ(b.dev->stats().keepalives_sent, ka);
  advance(2s);
  EXPECT_EQ(b.dev->stats().keepalives_sent, ka + 1);
  EXPECT_GE(a.dev->stats().keepalives_received, 1u);
}

TEST_F(WgDevice, PersistentKeepalive) {
  setup({.a_persistent_keepalive = Duration(25s)});
  advance(1ms);  // the first keepalive starts a handshake
  EXPECT_EQ(b.dev->stats().handshakes_completed, 1u);
  const auto ka = a.dev->stats().keepalives_sent;
  advance(26s);
  EXPECT_EQ(a.dev->stats().keepalives_sent, ka + 1);
  advance(25s);
  EXPECT_EQ(a.dev->stats().keepalives_sent, ka + 2);
}

TEST_F(WgDevice, CookieRoundTripUnderLoad) {
  b.dev->set_under_load(true);
  send_a_to_b();
  EXPECT_EQ(b.dev->stats().cookie_replies_sent, 1u);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::cookie_needed), 1u);
  EXPECT_EQ(a.dev->stats().dropped(DropReason::bad_cookie_reply), 0u);
  EXPECT_TRUE(b.tun.empty());
  advance(kRekeyTimeout + kRekeyTimeoutJitterMax + 1ms);  // retry carries mac2
  EXPECT_EQ(b.dev->stats().cookie_replies_sent, 1u);
  EXPECT_EQ(b.dev->stats().handshakes_completed, 1u);
  EXPECT_EQ(b.tun.size(), 1u);
}

TEST_F(WgDevice, PskMismatchRejected) {
  DeterministicRandom r(9);
  setup({.psk_a = generate_preshared_key(r), .psk_b = generate_preshared_key(r)});
  send_a_to_b();
  EXPECT_EQ(a.dev->stats().dropped(DropReason::handshake_failed), 1u);
  EXPECT_EQ(a.dev->stats().handshakes_completed, 0u);
  EXPECT_TRUE(b.tun.empty());
}

TEST_F(WgDevice, MatchingPskWorks) {
  DeterministicRandom r(9);
  PresharedKey psk = generate_preshared_key(r);
  setup({.psk_a = psk, .psk_b = psk});
  send_a_to_b();
  EXPECT_EQ(b.tun.size(), 1u);
}

TEST_F(WgDevice, WrongPublicKeyRejected) {
  DeterministicRandom r(11);
  ASSERT_TRUE(a.dev->remove_peer(a.peer));
  PeerConfig wrong{*public_key_from_private(generate_private_key(r)),
                   std::nullopt,
                   b.addr,
                   {P("10.0.0.2/32")},
                   std::nullopt};
  a.peer = *a.dev->add_peer(wrong);
  send_a_to_b();
  EXPECT_EQ(b.dev->stats().dropped(DropReason::bad_mac1), 1u);
  EXPECT_TRUE(b.tun.empty());
}

TEST_F(WgDevice, UnknownInitiatorRejected) {
  ASSERT_TRUE(b.dev->remove_peer(b.peer));
  send_a_to_b();
  EXPECT_EQ(b.dev->stats().dropped(DropReason::unknown_peer), 1u);
}

TEST_F(WgDevice, RoamingRepliesFollowLatestAddress) {
  send_a_to_b();
  send_b_to_a();
  a_source = SocketAddress(IpAddress::v4_loopback(), 52000);
  send_a_to_b();
  EXPECT_EQ(b.dev->peer_info(b.peer)->endpoint, a_source);
  EXPECT_EQ(count_events(b, DeviceEvent::Kind::peer_roamed), 1);
  send_b_to_a();
  EXPECT_EQ(sent_by_b.back().destination, a_source);
  EXPECT_EQ(a.tun.size(), 2u);
}

TEST_F(WgDevice, UnauthenticatedPacketDoesNotRoam) {
  send_a_to_b();
  auto forged = sent_by_a.back();
  forged.bytes[20] ^= 1;
  b.dev->handle_datagram(now, SocketAddress(IpAddress::v4(0x01020304), 9), forged.bytes);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::decrypt_failed), 1u);
  EXPECT_EQ(b.dev->peer_info(b.peer)->endpoint, a.addr);
}

TEST_F(WgDevice, InnerSourceOutsideAllowedIpsDropped) {
  a.dev->handle_tun_packet(now, ipv4_packet(0x0a090909, kB, 40));  // 10.9.9.9 is not A's
  pump();
  EXPECT_TRUE(b.tun.empty());
  EXPECT_EQ(b.dev->stats().dropped(DropReason::not_allowed_ip), 1u);
  send_a_to_b();
  EXPECT_EQ(b.tun.size(), 1u);
}

TEST_F(WgDevice, TransportReplayDropped) {
  send_a_to_b();
  const Transmit data = sent_by_a.back();
  b.dev->handle_datagram(now, a.addr, data.bytes);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::replay), 1u);
  EXPECT_EQ(b.tun.size(), 1u);
}

TEST_F(WgDevice, InitiationReplayDropped) {
  send_a_to_b();
  Transmit init;
  for (const auto& t : sent_by_a)
    if (t.bytes[0] == 1) init = t;
  advance(1s);
  b.dev->handle_datagram(now, a.addr, init.bytes);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::handshake_replay), 1u);
  EXPECT_EQ(b.dev->stats().responses_sent, 1u);
}

TEST_F(WgDevice, QueueBoundedWhileHandshakePending) {
  setup({.max_staged = 4});
  filter = [](const SocketAddress&, Transmit&) { return false; };
  for (int i = 0; i < 6; ++i) send_a_to_b();
  EXPECT_EQ(a.dev->stats().dropped(DropReason::queue_full), 2u);
  EXPECT_EQ(a.dev->peer_info(a.peer)->staged, 4u);
  filter = nullptr;
  advance(kRekeyTimeout + kRekeyTimeoutJitterMax + 1ms);
  EXPECT_EQ(b.tun.size(), 4u);
}

TEST_F(WgDevice, JunkAndUnknownIndicesCounted) {
  const std::uint8_t junk[] = {9, 9, 9};
  b.dev->handle_datagram(now, a.addr, junk);
  std::vector<std::uint8_t> bad_init(kInitiationSize, 0);
  bad_init[0] = 1;
  b.dev->handle_datagram(now, a.addr, bad_init);
  std::vector<std::uint8_t> data(64, 0);
  data[0] = 4;
  b.dev->handle_datagram(now, a.addr, data);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::malformed), 1u);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::bad_mac1), 1u);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::unknown_receiver_index), 1u);
  b.dev->handle_tun_packet(now, ipv4_packet(kB, 0x08080808, 10));
  EXPECT_EQ(b.dev->stats().dropped(DropReason::no_route), 1u);
}

TEST_F(WgDevice, PeerManagement) {
  EXPECT_EQ(a.dev->add_peer({b.pub, std::nullopt, std::nullopt, {}, std::nullopt}).error(),
            make_error_code(Errc::already_exists));
  EXPECT_EQ(a.dev->add_peer({a.pub, std::nullopt, std::nullopt, {}, std::nullopt}).error(),
            make_error_code(Errc::invalid_argument));
  EXPECT_EQ(a.dev->find_peer(b.pub), a.peer);
  auto info = a.dev->peer_info(a.peer);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->allowed_ips.size(), 2u);
  ASSERT_TRUE(a.dev->remove_peer(a.peer));
  EXPECT_FALSE(a.dev->find_peer(b.pub));
  EXPECT_FALSE(a.dev->remove_peer(a.peer));
  EXPECT_EQ(a.dev->peer_count(), 0u);
}

std::vector<std::uint8_t> ipv6_packet(std::string_view src, std::string_view dst,
                                      std::size_t payload) {
  std::vector<std::uint8_t> p(40 + payload, 0x33);
  p[0] = 0x60;
  p[1] = p[2] = p[3] = 0;
  p[4] = static_cast<std::uint8_t>(payload >> 8);
  p[5] = static_cast<std::uint8_t>(payload);
  const auto s = IpAddress::parse(src)->bytes();
  const auto d = IpAddress::parse(dst)->bytes();
  std::copy(s.begin(), s.end(), p.begin() + 8);
  std::copy(d.begin(), d.end(), p.begin() + 24);
  return p;
}

TEST_F(WgDevice, Ipv6InnerPackets) {
  ASSERT_TRUE(a.dev->add_allowed_ip(a.peer, P("fd00::2/128")));
  ASSERT_TRUE(b.dev->add_allowed_ip(b.peer, P("fd00::1/128")));
  const auto packet = ipv6_packet("fd00::1", "fd00::2", 77);
  a.dev->handle_tun_packet(now, packet);
  pump();
  ASSERT_EQ(b.tun.size(), 1u);
  EXPECT_EQ(b.tun[0], packet);
  a.dev->handle_tun_packet(now, ipv6_packet("fd00::9", "fd00::2", 10));  // not A's address
  pump();
  EXPECT_EQ(b.dev->stats().dropped(DropReason::not_allowed_ip), 1u);
}

TEST_F(WgDevice, HandshakeFloodLimited) {
  // Two genuine initiations from A within 20 ms: the second is refused.
  a.dev->handle_tun_packet(now, ipv4_packet(kA, kB, 10));
  auto first = a.dev->poll_transmit();
  ASSERT_TRUE(first);
  now += kRekeyTimeout + 1s;
  a.dev->handle_timeout(now);  // retransmission with a newer timestamp
  auto second = a.dev->poll_transmit();
  ASSERT_TRUE(second);
  ASSERT_EQ(second->bytes[0], 1);
  b.dev->handle_datagram(now, a.addr, first->bytes);
  b.dev->handle_datagram(now + 5ms, a.addr, second->bytes);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::handshake_flood), 1u);
  EXPECT_EQ(b.dev->stats().responses_sent, 1u);
}

TEST_F(WgDevice, LossyNetworkStillConverges) {
  DeterministicRandom loss(77);
  filter = [&loss](const SocketAddress&, Transmit&) { return loss.next_u32() % 100 >= 30; };
  for (int i = 0; i < 60; ++i) {
    a.dev->handle_tun_packet(now, ipv4_packet(kA, kB, 64));
    b.dev->handle_tun_packet(now, ipv4_packet(kB, kA, 64));
    advance(1s);
  }
  filter = nullptr;
  advance(30s);
  EXPECT_GE(a.dev->stats().handshakes_completed, 1u);
  EXPECT_GT(b.tun.size(), 20u);
  EXPECT_GT(a.tun.size(), 20u);
  EXPECT_EQ(a.dev->stats().dropped(DropReason::decrypt_failed), 0u);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::decrypt_failed), 0u);
}

TEST_F(WgDevice, DeadlinesAreRespected) {
  EXPECT_FALSE(a.dev->next_deadline().has_value());
  send_a_to_b();
  auto d = b.dev->next_deadline();
  ASSERT_TRUE(d);
  EXPECT_LE(*d, now + kKeepaliveTimeout);
  // Calling handle_timeout early changes nothing.
  const auto before = b.dev->stats().keepalives_sent;
  b.dev->handle_timeout(now + 1s);
  EXPECT_EQ(b.dev->stats().keepalives_sent, before);
}

TEST(WgDeviceScale, TenThousandPeersRouteAndSchedule) {
  DeterministicRandom rng(99);
  DeviceConfig cfg;
  cfg.private_key = generate_private_key(rng);
  DeviceCore dev(cfg, rng);
  constexpr std::uint32_t kPeers = 10000;
  std::vector<PeerId> ids;
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    PeerConfig pc;
    pc.public_key = *public_key_from_private(generate_private_key(rng));
    pc.endpoint = SocketAddress(IpAddress::v4_loopback(), static_cast<std::uint16_t>(20000 + i));
    pc.allowed_ips = {*IpPrefix::make(IpAddress::v4(0x0a000000u | (i << 8)), 24)};
    ids.push_back(*dev.add_peer(pc));
  }
  EXPECT_FALSE(dev.next_deadline());
  const TimePoint now{std::chrono::seconds(5000)};
  dev.handle_tun_packet(now, ipv4_packet(0x0a000001, 0x0a000000u | (4321u << 8) | 9, 20));
  auto t = dev.poll_transmit();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->destination.port(), 20000 + 4321);
  EXPECT_EQ(t->bytes[0], 1);  // an initiation to that peer
  ASSERT_TRUE(dev.next_deadline());
  EXPECT_GE(*dev.next_deadline(), now + kRekeyTimeout);
  EXPECT_LE(*dev.next_deadline(), now + kRekeyTimeout + kRekeyTimeoutJitterMax);
  dev.handle_timeout(*dev.next_deadline());
  EXPECT_TRUE(dev.poll_transmit());  // the retransmission
  EXPECT_TRUE(dev.check_invariants());
  ASSERT_TRUE(dev.remove_peer(ids[4321]));
  EXPECT_FALSE(dev.next_deadline());
  EXPECT_TRUE(dev.check_invariants());
}

}  // namespace
}  // namespace gquic::wireguard
