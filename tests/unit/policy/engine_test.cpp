#include <atomic>
#include <thread>

#include "policy_test_util.h"

namespace gquic::policy::test {
namespace {

NetworkPolicy deny_ingress(const std::string& ns, const std::string& name) {
  NetworkPolicy p;
  p.name = name;
  p.namespace_ = ns;
  p.policy_types = std::vector<PolicyType>{PolicyType::ingress};
  return p;
}

TEST(PolicyEngine, UpdatesSwapSnapshots) {
  Engine e;
  e.set_cluster(load_yaml(""));
  const Connection c{ip("10.0.2.1"), ip("10.0.1.1"), proto::tcp, 80};
  EXPECT_TRUE(e.decide(c).allowed);
  const auto gen = e.snapshot()->generation();
  e.upsert_policy(deny_ingress("x", "deny"));
  EXPECT_GT(e.snapshot()->generation(), gen);
  auto v = e.decide(c);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.policy, "x/deny");
  // Replace with a version allowing namespace y.
  auto allow = deny_ingress("x", "deny");
  PolicyRule r;
  PolicyPeer peer;
  peer.namespace_selector = match_labels({{"ns", "y"}});
  r.peers.push_back(peer);
  allow.ingress.push_back(r);
  e.upsert_policy(allow);
  EXPECT_TRUE(e.decide(c).allowed);
  // Labels of the source change: no longer in a matching namespace? (pod labels only)
  EXPECT_TRUE(e.remove_policy("x", "deny"));
  EXPECT_FALSE(e.remove_policy("x", "deny"));
  EXPECT_TRUE(e.decide(c).allowed);
}

TEST(PolicyEngine, ContainerAddRemoveAndLabelChange) {
  Engine e;
  e.set_cluster(load_yaml(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-web, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: web}}}]
)"));
  ContainerPeerInfo web{"web", "y", ip("10.0.9.9"), {{"role", "web"}}, {}, {}};
  const Connection c{web.assigned_ip, ip("10.0.1.1"), proto::tcp, 80};
  EXPECT_FALSE(e.decide(c).allowed);  // address unknown: not a pod, no peer matches
  e.upsert_container(web);
  EXPECT_TRUE(e.decide(c).allowed);
  web.labels["role"] = "db";
  e.upsert_container(web);
  EXPECT_FALSE(e.decide(c).allowed);
  EXPECT_TRUE(e.remove_container("y", "web"));
  EXPECT_FALSE(e.decide(c).allowed);
}

TEST(PolicyEngine, NamespaceLabelChange) {
  Engine e;
  e.set_cluster(load_yaml(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-trusted, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {trusted: "yes"}}}]
)"));
  const Connection c{ip("10.0.3.1"), ip("10.0.1.1"), proto::tcp, 80};
  EXPECT_FALSE(e.decide(c).allowed);
  e.upsert_namespace({"z", {{"ns", "z"}, {"trusted", "yes"}}});
  EXPECT_TRUE(e.decide(c).allowed);
}

TEST(PolicyEngine, DirectionModes) {
  Engine e;
  e.set_cluster(load_yaml(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-egress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
)"));
  const Connection c{ip("10.0.1.1"), ip("10.0.2.1"), proto::tcp, 80};
  EXPECT_FALSE(e.decide(c, Direction::egress).allowed);
  EXPECT_TRUE(e.decide(c, Direction::ingress).allowed);
  EXPECT_FALSE(e.decide(c, Direction::both).allowed);
}

TEST(PolicyEngine, CacheAndCountersByPolicy) {
  Engine e;
  e.set_cluster(load_yaml(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 80}]
)"));
  const Connection ok{ip("10.0.2.1"), ip("10.0.1.1"), proto::tcp, 80};
  const Connection no{ip("10.0.2.1"), ip("10.0.1.1"), proto::tcp, 81};
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(e.decide(ok).allowed);
    EXPECT_FALSE(e.decide(no).allowed);
  }
  EXPECT_EQ(e.counters().cache_misses, 2u);
  EXPECT_EQ(e.counters().cache_hits, 8u);
  EXPECT_EQ(e.counters().allowed, 5u);
  EXPECT_EQ(e.counters().denied, 5u);
  auto pc = e.policy_counters();
  ASSERT_EQ(pc.size(), 1u);
  EXPECT_EQ(pc[0].policy, "x/web");
  EXPECT_EQ(pc[0].allowed, 5u);
  EXPECT_EQ(pc[0].denied, 5u);
}

// A per-address cache of one set (two ways): a third flow evicts the oldest; every verdict
// still equals the uncached engine's, including after an update that flips it.
TEST(PolicyEngine, TinyAddressCacheEvictsAndFollowsUpdates) {
  const std::string yaml = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 80}]
)";
  EngineConfig tiny;
  tiny.fast_cache_slots = 2;
  EngineConfig uncached;
  uncached.max_cache_entries = 0;
  Engine e(tiny), ref(uncached);
  e.set_cluster(load_yaml(yaml));
  ref.set_cluster(load_yaml(yaml));
  const Connection flows[] = {{ip("10.0.2.1"), ip("10.0.1.1"), proto::tcp, 80},
                              {ip("10.0.2.1"), ip("10.0.1.1"), proto::tcp, 81},
                              {ip("10.0.3.1"), ip("10.0.1.1"), proto::udp, 80}};
  for (int round = 0; round < 3; ++round) {
    for (const auto& c : flows) {
      const Verdict got = e.decide(c);
      const Verdict want = ref.decide(c);
      EXPECT_EQ(got.allowed, want.allowed);
      EXPECT_EQ(got.reason, want.reason);
      EXPECT_EQ(got.policy, want.policy);
    }
  }
  // Two ways, three flows visited in turn: nothing stays cached between visits, so the
  // identity cache answers after the first round (3 misses, then hits there).
  EXPECT_EQ(e.counters().cache_misses, 3u);
  EXPECT_TRUE(e.decide(flows[0]).allowed);
  EXPECT_TRUE(e.decide(flows[0]).allowed);  // now from the address cache
  e.upsert_policy(deny_ingress("x", "web"));  // port 80 no longer allowed
  EXPECT_FALSE(e.decide(flows[0]).allowed);
  EXPECT_EQ(e.decide(flows[0]).policy, "x/web");
}

// verdicts() on a batch decides exactly as verdict() packet by packet, in order: a reply
// in the same batch as its request passes through the conntrack entry the request made.
TEST(PolicyEngine, BatchVerdictsEqualSingleVerdicts) {
  const std::string yaml = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 80}]
)";
  Engine batch, single;
  batch.set_cluster(load_yaml(yaml));
  single.set_cluster(load_yaml(yaml));
  std::vector<std::vector<std::uint8_t>> pkts;
  for (int i = 0; i < 40; ++i) {
    const std::uint16_t port = i % 3 == 0 ? 81 : 80;
    pkts.push_back(tcp4(ip("10.0.2.1"), ip("10.0.1.1"), static_cast<std::uint16_t>(4000 + i), port));
    // The reply of the previous request.
    pkts.push_back(tcp4(ip("10.0.1.1"), ip("10.0.2.1"), port, static_cast<std::uint16_t>(4000 + i)));
  }
  pkts.push_back({0x45, 0x00});  // malformed
  std::vector<std::span<const std::uint8_t>> views(pkts.begin(), pkts.end());
  std::vector<Verdict> out(views.size());
  TimePoint now{std::chrono::seconds(5)};
  batch.verdicts(now, views, Direction::both, out);
  int replies_allowed = 0;
  for (std::size_t i = 0; i < views.size(); ++i) {
    const Verdict want = single.verdict(now, views[i], Direction::both);
    EXPECT_EQ(out[i].allowed, want.allowed) << i;
    EXPECT_EQ(out[i].reason, want.reason) << i;
    EXPECT_EQ(out[i].policy, want.policy) << i;
    replies_allowed += out[i].reason == VerdictReason::reply;
  }
  EXPECT_EQ(replies_allowed, 26);  // the replies of the 26 requests to port 80
  EXPECT_EQ(out.back().reason, VerdictReason::malformed);
  EXPECT_EQ(batch.counters().allowed, single.counters().allowed);
}

TEST(PolicyEngine, PacketVerdictV6) {
  Engine e;
  Cluster cl;
  cl.namespaces.push_back({"n", {{"kubernetes.io/metadata.name", "n"}}});
  cl.containers.push_back({"a", "n", ip("fd00::a"), {}, {}, {}});
  NetworkPolicy p = deny_ingress("n", "v6");
  PolicyRule r;
  PolicyPeer peer;
  peer.ip_block = IpBlock{*Cidr::parse("2001:db8::/32"), {}};
  r.peers.push_back(peer);
  p.ingress.push_back(r);
  cl.policies.push_back(p);
  e.set_cluster(cl);
  TimePoint now{};
  auto in = ipv6(ip("2001:db8::5"), ip("fd00::a"), proto::tcp, l4_header(proto::tcp, 3, 443));
  EXPECT_TRUE(e.verdict(now, in, Direction::ingress).allowed);
  auto out = ipv6(ip("2001:db9::5"), ip("fd00::a"), proto::tcp, l4_header(proto::tcp, 3, 443));
  EXPECT_FALSE(e.verdict(now, out, Direction::ingress).allowed);
}

TEST(PolicyEngine, ConcurrentUpdatesAndVerdicts) {
  Engine e;
  e.set_cluster(load_yaml(""));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      if (i % 2) e.upsert_policy(deny_ingress("x", "deny"));
      else (void)e.remove_policy("x", "deny");
    }
    stop = true;
  });
  const auto pkt = tcp4(ip("10.0.2.1"), ip("10.0.1.1"), 1, 80);
  std::uint64_t n = 0;
  TimePoint now{};
  do {
    (void)e.decide({ip("10.0.2.1"), ip("10.0.1.1"), proto::tcp, 80});
    (void)e.verdict(now, pkt, Direction::both);
    ++n;
  } while (!stop);
  writer.join();
  // The last update removed... i = 199 is odd: the deny policy is present.
  e.conntrack().clear();
  EXPECT_FALSE(e.decide({ip("10.0.2.1"), ip("10.0.1.1"), proto::tcp, 80}).allowed);
  EXPECT_GT(n, 0u);
}

}  // namespace
}  // namespace gquic::policy::test
