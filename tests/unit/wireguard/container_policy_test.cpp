// ContainerPolicyFilter on sans-IO DeviceCores: a hub routes between three container peers
// (frontend, web, backend) under NetworkPolicies that allow only frontend -> web:8080/TCP.
// The hub's TUN output is fed back into the hub, as the kernel forwards it.
#include "gquic/wireguard/container_policy.h"

#include <gtest/gtest.h>

#include <map>

#include "gquic/policy/manifest.h"

namespace gquic::wireguard {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kPolicies = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    ports:
    - {protocol: TCP, port: 8080}
)";

std::vector<std::uint8_t> tcp(std::uint32_t src, std::uint32_t dst, std::uint16_t sport,
                              std::uint16_t dport, std::uint8_t flags) {
  std::vector<std::uint8_t> p(40, 0);
  p[0] = 0x45;
  p[3] = 40;
  p[8] = 64;
  p[9] = 6;
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    p[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  std::uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  p[10] = static_cast<std::uint8_t>(~sum >> 8);
  p[11] = static_cast<std::uint8_t>(~sum);
  p[20] = static_cast<std::uint8_t>(sport >> 8);
  p[21] = static_cast<std::uint8_t>(sport);
  p[22] = static_cast<std::uint8_t>(dport >> 8);
  p[23] = static_cast<std::uint8_t>(dport);
  p[32] = 5 << 4;
  p[33] = flags;
  p[34] = 0xff;
  return p;
}

constexpr std::uint8_t kSyn = 0x02, kSynAck = 0x12, kAck = 0x10;
constexpr std::uint32_t kHub = 0x0a000001, kFrontend = 0x0a000002, kWeb = 0x0a000003,
                        kBackend = 0x0a000004;

policy::ContainerPeerInfo container(const char* name, const char* ip) {
  policy::ContainerPeerInfo c;
  c.container_id = name;
  c.namespace_ = "shop";
  c.assigned_ip = *IpAddress::parse(ip);
  c.labels = {{"app", name}};
  return c;
}

class WgContainerPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    policy::ManifestLoader loader;
    loader.add_text(kPolicies, "policies");
    ASSERT_TRUE(loader.ok()) << loader.errors().front().to_string();
    auto engine = std::make_shared<policy::Engine>();
    for (auto& p : loader.cluster().policies) engine->upsert_policy(p);
    engine->upsert_container(container("frontend", "10.0.0.2"));
    engine->upsert_container(container("web", "10.0.0.3"));
    engine->upsert_container(container("backend", "10.0.0.4"));
    filter = std::make_shared<ContainerPolicyFilter>(engine, clock);

    std::uint64_t seed = 1;
    for (int i = 0; i < 4; ++i) {
      rngs.push_back(std::make_unique<DeterministicRandom>(seed++));
      DeviceConfig c;
      c.private_key = generate_private_key(*rngs.back());
      cores.push_back(std::make_unique<DeviceCore>(c, *rngs.back()));
      addrs.push_back(*SocketAddress::parse("127.0.0.1:" + std::to_string(i + 1)));
    }
    DeviceCore& hub = *cores[0];
    for (int i = 1; i < 4; ++i) {
      const std::string ip = "10.0.0." + std::to_string(i + 1) + "/32";
      ASSERT_TRUE(hub.add_peer({cores[i]->public_key(), std::nullopt, addrs[i],
                                {*IpPrefix::parse(ip)}, std::nullopt}));
      ASSERT_TRUE(cores[i]->add_peer({hub.public_key(), std::nullopt, addrs[0],
                                      {*IpPrefix::parse("10.0.0.0/24")}, std::nullopt}));
    }
    hub.set_packet_filter(filter.get());
  }

  // Moves datagrams between the cores and forwards the hub's TUN output back into the hub
  // (packets for the hub itself are kept in hub_local) until nothing moves.
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      for (std::size_t i = 0; i < cores.size(); ++i) {
        while (auto t = cores[i]->poll_transmit()) {
          moved = true;
          for (std::size_t j = 0; j < addrs.size(); ++j)
            if (addrs[j] == t->destination) cores[j]->handle_datagram(now(), addrs[i], t->bytes);
        }
      }
      while (auto p = cores[0]->poll_tun_write()) {
        moved = true;
        if (p->size() >= 20 && (*p)[19] == 1) {
          hub_local.push_back(std::move(*p));
        } else {
          cores[0]->handle_tun_packet(now(), *p);
        }
      }
    }
  }
  // Sends from container `from` (1..3) and returns how many packets each container received.
  std::map<int, std::size_t> send(int from, const std::vector<std::uint8_t>& packet) {
    cores[from]->handle_tun_packet(now(), packet);
    pump();
    std::map<int, std::size_t> got;
    for (int i = 1; i < 4; ++i)
      while (cores[i]->poll_tun_write()) ++got[i];
    return got;
  }
  TimePoint now() const { return clock.now(); }

  ManualClock clock{TimePoint{100s}};
  std::shared_ptr<ContainerPolicyFilter> filter;
  std::vector<std::unique_ptr<DeterministicRandom>> rngs;
  std::vector<std::unique_ptr<DeviceCore>> cores;  // 0: hub; 1 frontend, 2 web, 3 backend
  std::vector<SocketAddress> addrs;
  std::vector<std::vector<std::uint8_t>> hub_local;
};

TEST_F(WgContainerPolicy, OnlyFrontendToWeb8080AndItsReplies) {
  // frontend -> web:8080: SYN delivered, the SYN-ACK reply and the ACK pass.
  EXPECT_EQ(send(1, tcp(kFrontend, kWeb, 40000, 8080, kSyn))[2], 1u);
  EXPECT_EQ(send(2, tcp(kWeb, kFrontend, 8080, 40000, kSynAck))[1], 1u);
  EXPECT_EQ(send(1, tcp(kFrontend, kWeb, 40000, 8080, kAck))[2], 1u);
  EXPECT_EQ(filter->stats().dropped_from_peer + filter->stats().dropped_to_peer, 0u);
  EXPECT_GE(filter->engine().conntrack().size(), 1u);

  // frontend -> web:9090, backend -> web:8080, web -> frontend unsolicited: dropped.
  EXPECT_EQ(send(1, tcp(kFrontend, kWeb, 40001, 9090, kSyn))[2], 0u);
  EXPECT_EQ(send(3, tcp(kBackend, kWeb, 40002, 8080, kSyn))[2], 0u);
  EXPECT_EQ(send(2, tcp(kWeb, kFrontend, 40003, 22, kSyn))[1], 0u);
  EXPECT_EQ(filter->stats().dropped_from_peer, 3u);
  EXPECT_EQ(filter->stats().dropped_to_peer, 0u);  // decided on arrival, never forwarded
  EXPECT_EQ(cores[0]->stats().dropped(DropReason::filtered), 3u);
  std::uint64_t by_policy = 0;
  for (const auto& [name, n] : filter->drops_by_policy()) {
    EXPECT_EQ(name.rfind("shop/", 0), 0u) << name;  // the deciding policy
    by_policy += n;
  }
  EXPECT_EQ(by_policy, 3u);
  EXPECT_EQ(filter->stats().dropped_by_reason[static_cast<std::size_t>(
                policy::VerdictReason::policy_deny)],
            3u);

  // The hub itself is not a container: its own traffic to web:9090 is still checked on the
  // way out (web's ingress isolation) and dropped; traffic to the hub passes.
  cores[0]->handle_tun_packet(now(), tcp(kHub, kWeb, 40004, 9090, kSyn));
  EXPECT_EQ(send(1, tcp(kFrontend, kHub, 40005, 22, kSyn)).size(), 0u);
  EXPECT_EQ(hub_local.size(), 1u);
  EXPECT_EQ(filter->stats().dropped_to_peer, 1u);
}

TEST_F(WgContainerPolicy, MalformedPacketsAreDroppedWithoutAPolicy) {
  auto bad = tcp(kFrontend, kWeb, 40000, 8080, kSyn);
  bad[32] = 0x10;  // TCP data offset 1: malformed
  EXPECT_EQ(send(1, bad)[2], 0u);
  EXPECT_EQ(filter->drops_for(""), 1u);
  EXPECT_EQ(filter->stats().dropped_by_reason[static_cast<std::size_t>(
                policy::VerdictReason::malformed)],
            1u);
}

TEST_F(WgContainerPolicy, ExpiredFlowsAreSweptAndRepliesThenDenied) {
  EXPECT_EQ(send(1, tcp(kFrontend, kWeb, 40000, 8080, kSyn))[2], 1u);
  EXPECT_GE(filter->engine().conntrack().size(), 1u);
  clock.advance(std::chrono::hours(2));
  // The flow expired: web's "reply" is now unsolicited traffic to an isolated frontend.
  EXPECT_EQ(send(2, tcp(kWeb, kFrontend, 8080, 40000, kSynAck))[1], 0u);
  EXPECT_EQ(filter->engine().conntrack().size(), 0u);
}

}  // namespace
}  // namespace gquic::wireguard
