// The UAPI text protocol over DeviceCore: framing, every set key, get output, errors, and two
// devices configured only through the UAPI completing a handshake.
#include "gquic/wireguard/uapi.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace gquic::wireguard {
namespace {

using namespace std::chrono_literals;

struct Dev {
  explicit Dev(std::uint64_t seed) : rng(seed) {
    DeviceConfig c;  // keyless, as `gquic wg up` without a config starts
    c.unix_time_offset = std::chrono::seconds(1'700'000'000);
    dev = std::make_unique<DeviceCore>(c, rng);
  }
  DeterministicRandom rng;
  std::unique_ptr<DeviceCore> dev;
  UapiDeviceSettings settings;
  std::string request(std::string_view text) {
    UapiSession s(*dev, settings);
    std::string out;
    s.receive(text, out);
    return out;
  }
};

std::string hex_of(const SecretKey& k) { return to_hex(k.bytes()); }
std::string hex_of(const PublicKey& k) { return to_hex(k.bytes); }

std::vector<std::uint8_t> ipv4_packet(std::uint32_t src, std::uint32_t dst) {
  std::vector<std::uint8_t> p(40, 0x11);
  p[0] = 0x45;
  p[2] = 0;
  p[3] = 40;
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    p[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  return p;
}

TEST(WgUapi, GetOnKeylessDeviceIsEmpty) {
  Dev d(1);
  EXPECT_EQ(d.request("get=1\n\n"), "errno=0\n\n");
  EXPECT_FALSE(d.dev->has_private_key());
}

TEST(WgUapi, SetThenGetRoundTrips) {
  Dev d(1);
  DeterministicRandom rng(9);
  const PrivateKey key = generate_private_key(rng);
  const PublicKey peer = *public_key_from_private(generate_private_key(rng));
  const PresharedKey psk = generate_preshared_key(rng);
  const std::string set = "set=1\nprivate_key=" + hex_of(key) +
                          "\nlisten_port=51820\nfwmark=7\npublic_key=" + hex_of(peer) +
                          "\npreshared_key=" + hex_of(psk) +
                          "\nendpoint=[fd00::1]:4000\npersistent_keepalive_interval=25\n"
                          "replace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n"
                          "allowed_ip=fd00::/64\nprotocol_version=1\n\n";
  EXPECT_EQ(d.request(set), "errno=0\n\n");
  EXPECT_EQ(d.settings.listen_port, 51820);
  EXPECT_EQ(d.settings.fwmark, 7u);
  EXPECT_EQ(d.dev->public_key(), *public_key_from_private(key));
  const std::string expected =
      "private_key=" + hex_of(d.dev->private_key()) + "\nlisten_port=51820\nfwmark=7\n" +
      "public_key=" + hex_of(peer) + "\npreshared_key=" + hex_of(psk) +
      "\nprotocol_version=1\nendpoint=[fd00::1]:4000\nlast_handshake_time_sec=0\n"
      "last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
      "persistent_keepalive_interval=25\nallowed_ip=10.1.0.0/16\nallowed_ip=fd00::/64\n"
      "errno=0\n\n";
  EXPECT_EQ(d.request("get=1\n\n"), expected);
}

TEST(WgUapi, BytewiseFramingAndSeveralRequestsPerConnection) {
  Dev d(1);
  UapiSession s(*d.dev, d.settings);
  std::string out;
  const std::string input = "set=1\nlisten_port=1234\n\nget=1\n\nset=1\nfwmark=0\n\n";
  for (char c : input) s.receive(std::string_view(&c, 1), out);
  EXPECT_EQ(out, "errno=0\n\nlisten_port=1234\nerrno=0\n\nerrno=0\n\n");
  EXPECT_FALSE(s.closed());
}

TEST(WgUapi, BadValuesAnswerEinvalAndStopApplying) {
  Dev d(1);
  EXPECT_EQ(d.request("set=1\nprivate_key=zz\n\n"), "errno=22\n\n");
  EXPECT_EQ(d.request("set=1\nlisten_port=70000\nfwmark=3\n\n"), "errno=22\n\n");
  EXPECT_EQ(d.settings.fwmark, 0u);  // lines after the error are ignored
  EXPECT_EQ(d.request("set=1\nbogus=1\n\n"), "errno=22\n\n");
  const std::string peer(64, 'a');
  EXPECT_EQ(d.request("set=1\npublic_key=" + peer + "\nprotocol_version=2\n\n"), "errno=22\n\n");
  EXPECT_EQ(d.request("set=1\npublic_key=" + peer + "\nendpoint=nohost\n\n"), "errno=22\n\n");
  EXPECT_EQ(d.request("set=1\npublic_key=" + peer + "\nallowed_ip=10.0.0.0/33\n\n"),
            "errno=22\n\n");
  EXPECT_EQ(d.request("set=1\npublic_key=" + peer + "\nallowed_ip=10.0.0.1\n\n"),
            "errno=22\n\n");
  EXPECT_EQ(d.request("set=1\nreplace_peers=yes\n\n"), "errno=22\n\n");
}

TEST(WgUapi, ProtocolErrorsCloseTheConnection) {
  for (std::string_view bad : {"hello\n", "set=1\nno-equals-sign\n", "get=1\nx\n"}) {
    Dev d(1);
    UapiSession s(*d.dev, d.settings);
    std::string out;
    s.receive(bad, out);
    EXPECT_EQ(out, "errno=71\n\n") << bad;
    EXPECT_TRUE(s.closed());
    s.receive("get=1\n\n", out);
    EXPECT_EQ(out, "errno=71\n\n");  // nothing more after close
  }
  Dev d(1);
  UapiSession s(*d.dev, d.settings);
  std::string out;
  s.receive(std::string(kUapiMaxLine + 1, 'x'), out);
  EXPECT_EQ(out, "errno=71\n\n");
  EXPECT_TRUE(s.closed());
}

TEST(WgUapi, PeerSectionsRemoveUpdateOnlyReplace) {
  Dev d(1);
  const std::string p1(64, '1'), p2(64, '2'), p3(64, '3');
  ASSERT_EQ(d.request("set=1\npublic_key=" + p1 + "\nallowed_ip=10.0.0.0/8\npublic_key=" + p2 +
                      "\nallowed_ip=10.1.0.0/16\n\n"),
            "errno=0\n\n");
  EXPECT_EQ(d.dev->peer_count(), 2u);
  // update_only does not create a missing peer, but updates an existing one.
  ASSERT_EQ(d.request("set=1\npublic_key=" + p3 + "\nupdate_only=true\nallowed_ip=10.3.0.0/16\n" +
                      "public_key=" + p1 + "\nupdate_only=true\nendpoint=1.2.3.4:5\n\n"),
            "errno=0\n\n");
  EXPECT_EQ(d.dev->peer_count(), 2u);
  auto id1 = d.dev->find_peer(PublicKey{*key_from_hex(p1)});
  ASSERT_TRUE(id1);
  EXPECT_EQ(d.dev->peer_info(*id1)->endpoint, *SocketAddress::parse("1.2.3.4:5"));
  // Allowed IPs: replace, then add and remove one.
  ASSERT_EQ(d.request("set=1\npublic_key=" + p1 + "\nreplace_allowed_ips=true\n" +
                      "allowed_ip=192.168.0.0/24\nallowed_ip=192.168.1.0/24\n" +
                      "allowed_ip=-192.168.0.0/24\n\n"),
            "errno=0\n\n");
  auto ips = d.dev->peer_info(*id1)->allowed_ips;
  ASSERT_EQ(ips.size(), 1u);
  EXPECT_EQ(ips[0].to_string(), "192.168.1.0/24");
  // A prefix moves to the peer that claims it last.
  ASSERT_EQ(d.request("set=1\npublic_key=" + p2 + "\nallowed_ip=192.168.1.0/24\n\n"),
            "errno=0\n\n");
  EXPECT_TRUE(d.dev->peer_info(*id1)->allowed_ips.empty());
  // remove, then replace_peers.
  ASSERT_EQ(d.request("set=1\npublic_key=" + p1 + "\nremove=true\n\n"), "errno=0\n\n");
  EXPECT_EQ(d.dev->peer_count(), 1u);
  ASSERT_EQ(d.request("set=1\nreplace_peers=true\npublic_key=" + p3 + "\n\n"), "errno=0\n\n");
  EXPECT_EQ(d.dev->peer_count(), 1u);
  EXPECT_TRUE(d.dev->find_peer(PublicKey{*key_from_hex(p3)}));
}

TEST(WgUapi, OwnKeyIsNeverAPeer) {
  Dev d(1);
  DeterministicRandom rng(3);
  const PrivateKey key = generate_private_key(rng);
  const std::string pub = hex_of(*public_key_from_private(key));
  // A peer with the key the device is about to take is removed when the key is set.
  ASSERT_EQ(d.request("set=1\npublic_key=" + pub + "\n\n"), "errno=0\n\n");
  EXPECT_EQ(d.dev->peer_count(), 1u);
  ASSERT_EQ(d.request("set=1\nprivate_key=" + hex_of(key) + "\n\n"), "errno=0\n\n");
  EXPECT_EQ(d.dev->peer_count(), 0u);
  // And a section naming the device's own key is ignored.
  ASSERT_EQ(d.request("set=1\npublic_key=" + pub + "\nallowed_ip=10.0.0.0/8\n\n"),
            "errno=0\n\n");
  EXPECT_EQ(d.dev->peer_count(), 0u);
  // A zero key makes the device keyless again.
  ASSERT_EQ(d.request("set=1\nprivate_key=" + std::string(64, '0') + "\n\n"), "errno=0\n\n");
  EXPECT_FALSE(d.dev->has_private_key());
  EXPECT_EQ(d.request("get=1\n\n"), "errno=0\n\n");
}

// Two keyless devices configured only through the UAPI, as `wg setconf` does.
class WgUapiPair : public ::testing::Test {
 protected:
  TimePoint now{std::chrono::seconds(5000)};
  Dev a{1}, b{2};
  DeterministicRandom rng{42};
  PrivateKey ka = generate_private_key(rng), kb = generate_private_key(rng);
  SocketAddress addr_a = *SocketAddress::parse("127.0.0.1:51001");
  SocketAddress addr_b = *SocketAddress::parse("127.0.0.1:51002");

  void configure() {
    const std::string pa = hex_of(*public_key_from_private(ka));
    const std::string pb = hex_of(*public_key_from_private(kb));
    ASSERT_EQ(a.request("set=1\nprivate_key=" + hex_of(ka) + "\nlisten_port=51001\npublic_key=" +
                        pb + "\nendpoint=127.0.0.1:51002\nallowed_ip=10.0.0.2/32\n\n"),
              "errno=0\n\n");
    ASSERT_EQ(b.request("set=1\nprivate_key=" + hex_of(kb) + "\nlisten_port=51002\npublic_key=" +
                        pa + "\nallowed_ip=10.0.0.1/32\n\n"),
              "errno=0\n\n");
  }
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      while (auto t = a.dev->poll_transmit()) {
        moved = true;
        b.dev->handle_datagram(now, addr_a, t->bytes);
      }
      while (auto t = b.dev->poll_transmit()) {
        moved = true;
        a.dev->handle_datagram(now, addr_b, t->bytes);
      }
    }
  }
  std::size_t drain_tun(Dev& d) {
    std::size_t n = 0;
    while (d.dev->poll_tun_write()) ++n;
    return n;
  }
};

TEST_F(WgUapiPair, HandshakeAndCountersVisibleInGet) {
  configure();
  a.dev->handle_tun_packet(now, ipv4_packet(0x0a000001, 0x0a000002));
  pump();
  EXPECT_EQ(drain_tun(b), 1u);
  const std::string got = a.request("get=1\n\n");
  EXPECT_NE(got.find("last_handshake_time_sec=1700005000\n"), std::string::npos) << got;
  EXPECT_NE(got.find("tx_bytes=40\n"), std::string::npos) << got;
  EXPECT_NE(got.find("endpoint=127.0.0.1:51002\n"), std::string::npos) << got;
  // B learned A's endpoint from the authenticated handshake (roaming).
  EXPECT_NE(b.request("get=1\n\n").find("endpoint=127.0.0.1:51001\n"), std::string::npos);
  EXPECT_NE(b.request("get=1\n\n").find("rx_bytes=40\n"), std::string::npos);
}

TEST_F(WgUapiPair, KeylessDeviceNeitherInitiatesNorAnswers) {
  configure();
  ASSERT_EQ(b.request("set=1\nprivate_key=" + std::string(64, '0') + "\n\n"), "errno=0\n\n");
  a.dev->handle_tun_packet(now, ipv4_packet(0x0a000001, 0x0a000002));
  pump();
  EXPECT_EQ(drain_tun(b), 0u);
  EXPECT_EQ(b.dev->stats().dropped(DropReason::handshake_failed), 1u);
}

TEST_F(WgUapiPair, NewPrivateKeyLetsCurrentSessionDrain) {
  configure();
  a.dev->handle_tun_packet(now, ipv4_packet(0x0a000001, 0x0a000002));
  pump();
  ASSERT_EQ(drain_tun(b), 1u);
  // A takes a new key; the established session still carries traffic both ways.
  const PrivateKey k2 = generate_private_key(rng);
  ASSERT_EQ(a.request("set=1\nprivate_key=" + hex_of(k2) + "\n\n"), "errno=0\n\n");
  a.dev->handle_tun_packet(now, ipv4_packet(0x0a000001, 0x0a000002));
  b.dev->handle_tun_packet(now, ipv4_packet(0x0a000002, 0x0a000001));
  pump();
  EXPECT_EQ(drain_tun(b), 1u);
  EXPECT_EQ(drain_tun(a), 1u);
  EXPECT_TRUE(a.dev->check_invariants());
}

}  // namespace
}  // namespace gquic::wireguard
