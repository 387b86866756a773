// Connection tracking through the engine: replies, unsolicited reverse traffic, timeouts
// on simulated time, bounded table, fragments.
#include "policy_test_util.h"

namespace gquic::policy::test {
namespace {

using namespace std::chrono_literals;

// x/a may talk to x/b on TCP/UDP 80 and ping it; x/b may send nothing to x/a on its own.
const char* kPolicies = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: a}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-isolated, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
)";

struct PolicyConntrackFlow : ::testing::Test {
  PolicyConntrackFlow() : engine(config()) { engine.set_cluster(load_yaml(kPolicies)); }
  static EngineConfig config() {
    EngineConfig c;
    c.conntrack.max_flows = 8;
    return c;
  }
  Verdict send(const std::vector<std::uint8_t>& pkt) {
    return engine.verdict(now, pkt, Direction::both);
  }
  Engine engine;
  TimePoint now{std::chrono::seconds(1000)};
  IpAddress a = ip("10.0.1.1"), b = ip("10.0.1.2");
};

TEST_F(PolicyConntrackFlow, RepliesPassUnsolicitedReverseDenied) {
  auto v = send(tcp4(a, b, 40000, 80, tcp_flag::syn));
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, VerdictReason::policy_allow);
  EXPECT_EQ(v.policy, "x/b-from-a");
  v = send(tcp4(b, a, 80, 40000, tcp_flag::syn | tcp_flag::ack));
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, VerdictReason::reply);
  v = send(tcp4(a, b, 40000, 80, tcp_flag::ack));
  EXPECT_EQ(v.reason, VerdictReason::established);
  // b opening its own connection to a: a new flow, denied by policy.
  v = send(tcp4(b, a, 80, 40001, tcp_flag::syn));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, VerdictReason::policy_deny);
  EXPECT_EQ(v.policy, "x/a-isolated");
  v = send(tcp4(b, a, 5555, 22, tcp_flag::syn));
  EXPECT_FALSE(v.allowed);
}

TEST_F(PolicyConntrackFlow, TcpTimeouts) {
  ASSERT_TRUE(send(tcp4(a, b, 1, 80)).allowed);
  // Unanswered: 60 s.
  now += 59s;
  EXPECT_TRUE(send(tcp4(b, a, 80, 1, tcp_flag::syn | tcp_flag::ack)).allowed);  // answered now
  now += 3599s;
  EXPECT_EQ(send(tcp4(b, a, 80, 1, tcp_flag::ack)).reason, VerdictReason::reply);
  now += 3601s;  // established timeout passed
  EXPECT_FALSE(send(tcp4(b, a, 80, 1, tcp_flag::ack)).allowed);
  EXPECT_GE(engine.conntrack().stats().expired, 1u);
}

TEST_F(PolicyConntrackFlow, TcpClosingShortensTimeout) {
  ASSERT_TRUE(send(tcp4(a, b, 2, 80)).allowed);
  ASSERT_TRUE(send(tcp4(b, a, 80, 2, tcp_flag::syn | tcp_flag::ack)).allowed);
  ASSERT_TRUE(send(tcp4(a, b, 2, 80, tcp_flag::fin | tcp_flag::ack)).allowed);
  now += 11s;
  EXPECT_FALSE(send(tcp4(b, a, 80, 2, tcp_flag::ack)).allowed);
}

TEST_F(PolicyConntrackFlow, UdpTimeouts) {
  ASSERT_TRUE(send(udp4(a, b, 5000, 80)).allowed);
  now += 31s;  // unanswered UDP: 30 s
  EXPECT_FALSE(send(udp4(b, a, 80, 5000)).allowed);
  ASSERT_TRUE(send(udp4(a, b, 5001, 80)).allowed);
  EXPECT_EQ(send(udp4(b, a, 80, 5001)).reason, VerdictReason::reply);
  now += 100s;  // answered UDP: 120 s
  EXPECT_TRUE(send(udp4(b, a, 80, 5001)).allowed);
  now += 121s;
  EXPECT_FALSE(send(udp4(b, a, 80, 5001)).allowed);
}

TEST_F(PolicyConntrackFlow, IcmpEcho) {
  ASSERT_TRUE(send(icmp4(a, b, 8, 7)).allowed);
  EXPECT_EQ(send(icmp4(b, a, 0, 7)).reason, VerdictReason::reply);
  EXPECT_FALSE(send(icmp4(b, a, 0, 8)).allowed);  // reply to a request never sent
  EXPECT_FALSE(send(icmp4(b, a, 8, 7)).allowed);  // unsolicited request, same id
  now += 31s;
  EXPECT_FALSE(send(icmp4(b, a, 0, 7)).allowed);
}

TEST_F(PolicyConntrackFlow, BoundedTableEvicts) {
  for (std::uint16_t p = 1; p <= 20; ++p) ASSERT_TRUE(send(tcp4(a, b, p, 80)).allowed);
  EXPECT_LE(engine.conntrack().size(), 8u);
  EXPECT_EQ(engine.conntrack().stats().evicted, 12u);
  EXPECT_EQ(engine.conntrack().stats().created, 20u);
}

TEST_F(PolicyConntrackFlow, Fragments) {
  // Later fragment of an unknown datagram: denied.
  auto later = ipv4(a, b, proto::udp, std::vector<std::uint8_t>(16, 0), 0x0002, 0x55);
  auto v = send(later);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, VerdictReason::fragment_untracked);
  // First fragment allowed: the rest of the datagram passes.
  ASSERT_TRUE(send(ipv4(a, b, proto::udp, l4_header(proto::udp, 9, 80), 0x2000, 0x55)).allowed);
  EXPECT_EQ(send(later).reason, VerdictReason::fragment_tracked);
  // First fragment denied (b -> a): its later fragments are denied too.
  EXPECT_FALSE(send(ipv4(b, a, proto::udp, l4_header(proto::udp, 9, 99), 0x2000, 0x66)).allowed);
  EXPECT_FALSE(send(ipv4(b, a, proto::udp, std::vector<std::uint8_t>(8, 0), 0x0002, 0x66)).allowed);
  now += 31s;
  EXPECT_FALSE(send(later).allowed);
}

TEST_F(PolicyConntrackFlow, MalformedDeniedAndCounted) {
  std::vector<std::uint8_t> junk = {0x45, 0, 0};
  auto v = send(junk);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, VerdictReason::malformed);
  EXPECT_EQ(engine.counters().by_reason[static_cast<std::size_t>(VerdictReason::malformed)], 1u);
}

TEST(PolicyConntrack, SansIoExpire) {
  Conntrack ct;
  TimePoint t{std::chrono::seconds(5)};
  auto p = parse_packet(udp4(ip("1.1.1.1"), ip("2.2.2.2"), 1, 2));
  ASSERT_TRUE(p);
  ct.track(t, *p);
  EXPECT_EQ(ct.size(), 1u);
  EXPECT_EQ(ct.match(t + 1s, *p), FlowMatch::original);
  ct.expire(t + 40s);
  EXPECT_EQ(ct.size(), 0u);
  EXPECT_EQ(ct.stats().expired, 1u);
}

}  // namespace
}  // namespace gquic::policy::test
