// NetworkPolicy semantics, case by case as the Kubernetes documentation describes them.
// Every check runs both the reference evaluator and the compiled engine (see allowed()).
#include "policy_test_util.h"

namespace gquic::policy::test {
namespace {

const char* kNp = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n";

std::string np(const std::string& ns, const std::string& name, const std::string& spec) {
  return std::string("---\n") + kNp + "metadata:\n  name: " + name + "\n  namespace: " + ns +
         "\nspec:\n" + spec;
}

TEST(PolicySemantics, NoPolicyAllowsEverything) {
  auto cl = load_yaml("");
  EXPECT_TRUE(allowed(cl, "x/a", "y/b", 80));
  EXPECT_TRUE(allowed(cl, "x/a", "8.8.8.8", 443));
  EXPECT_TRUE(allowed(cl, "8.8.8.8", "x/a", 22));
}

TEST(PolicySemantics, DefaultDenyIngress) {
  auto cl = load_yaml(np("x", "deny", "  podSelector: {}\n  policyTypes: [Ingress]\n"));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "x/b", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "1.2.3.4", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "x/a", "y/a", 80));  // egress of x is not isolated
  EXPECT_TRUE(allowed(cl, "x/a", "1.2.3.4", 80));
}

TEST(PolicySemantics, AllowAllIngressOverridesDeny) {
  auto cl = load_yaml(np("x", "deny", "  podSelector: {}\n  policyTypes: [Ingress]\n") +
                      np("x", "allow-all", "  podSelector: {}\n  ingress:\n  - {}\n"));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "1.2.3.4", "x/c", 9999, proto::udp));
}

TEST(PolicySemantics, DefaultDenyEgressAndAllowAllEgress) {
  auto cl = load_yaml(np("x", "deny", "  podSelector: {}\n  policyTypes: [Egress]\n"));
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "8.8.8.8", 53, proto::udp));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 80));  // ingress of x untouched
  auto all = load_yaml(np("x", "deny", "  podSelector: {}\n  policyTypes: [Egress]\n") +
                       np("x", "allow", "  podSelector: {}\n  egress:\n  - {}\n  policyTypes: [Egress]\n"));
  EXPECT_TRUE(allowed(all, "x/a", "y/a", 80));
}

TEST(PolicySemantics, DefaultDenyAll) {
  auto cl = load_yaml(np("x", "deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"));
  EXPECT_FALSE(allowed(cl, "x/a", "x/b", 80));
  EXPECT_FALSE(allowed(cl, "y/a", "x/b", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "y/b", 80));
  EXPECT_TRUE(allowed(cl, "y/a", "z/b", 80));
}

TEST(PolicySemantics, PolicyTypesDefaulting) {
  // Only egress rules and no policyTypes: Ingress (always) and Egress (rules present).
  auto cl = load_yaml(np("x", "p", "  podSelector: {matchLabels: {pod: a}}\n  egress:\n"
                                  "  - to: [{podSelector: {}}]\n"));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80));  // isolated for ingress with no rules
  EXPECT_TRUE(allowed(cl, "x/a", "x/b", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "y/b", 80));
  // An empty egress list does not make the policy an egress policy.
  auto empty = load_yaml(np("x", "p", "  podSelector: {}\n  egress: []\n"));
  EXPECT_TRUE(allowed(empty, "x/a", "y/b", 80));
  EXPECT_FALSE(allowed(empty, "y/b", "x/a", 80));
}

TEST(PolicySemantics, PolicyTypesOnlyIgnoresRulesOfOtherType) {
  // Ingress rules in an Egress-only policy have no effect; egress is isolated with no rule.
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  policyTypes: [Egress]\n  ingress:\n"
                                  "  - from: [{podSelector: {matchLabels: {pod: nobody}}}]\n"));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 80));
}

TEST(PolicySemantics, EmptyRuleListVersusEmptyRule) {
  auto none = load_yaml(np("x", "p", "  podSelector: {}\n  ingress: []\n"));
  EXPECT_FALSE(allowed(none, "y/a", "x/a", 80));
  auto all = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - from: []\n    ports: []\n"));
  EXPECT_TRUE(allowed(all, "y/a", "x/a", 80));
}

TEST(PolicySemantics, NamespaceIsolation) {
  auto cl = load_yaml(np("y", "same-ns", "  podSelector: {}\n  ingress:\n  - from:\n"
                                         "    - podSelector: {}\n"));
  EXPECT_TRUE(allowed(cl, "y/a", "y/b", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "y/b", 80));
  EXPECT_FALSE(allowed(cl, "1.1.1.1", "y/b", 80));
}

TEST(PolicySemantics, NamespaceSelectorEmptyMeansAllNamespaces) {
  auto cl = load_yaml(np("y", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                   "    - namespaceSelector: {}\n"));
  EXPECT_TRUE(allowed(cl, "x/a", "y/b", 80));
  EXPECT_TRUE(allowed(cl, "z/c", "y/b", 80));
  EXPECT_FALSE(allowed(cl, "1.1.1.1", "y/b", 80));  // not a pod
}

TEST(PolicySemantics, NamespaceByMetadataNameLabel) {
  auto cl = load_yaml(np("y", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                   "    - namespaceSelector: {matchLabels: "
                                   "{kubernetes.io/metadata.name: z}}\n"));
  EXPECT_TRUE(allowed(cl, "z/a", "y/b", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "y/b", 80));
}

TEST(PolicySemantics, PodAndNamespaceSelectorInOnePeerIsAnd) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                   "    - namespaceSelector: {matchLabels: {ns: y}}\n"
                                   "      podSelector: {matchLabels: {pod: b}}\n"));
  EXPECT_TRUE(allowed(cl, "y/b", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "x/b", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "z/b", "x/a", 80));
}

TEST(PolicySemantics, TwoPeersAreOr) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                   "    - namespaceSelector: {matchLabels: {ns: y}}\n"
                                   "    - podSelector: {matchLabels: {pod: b}}\n"));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "y/c", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "x/b", "x/a", 80));  // podSelector alone: policy's namespace
  EXPECT_FALSE(allowed(cl, "z/b", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "x/c", "x/a", 80));
}

TEST(PolicySemantics, MatchExpressions) {
  auto cl = load_yaml(np("x", "p", "  podSelector:\n    matchExpressions:\n"
                                   "    - {key: pod, operator: NotIn, values: [c]}\n"
                                   "  ingress:\n  - from:\n    - namespaceSelector:\n"
                                   "        matchExpressions:\n"
                                   "        - {key: ns, operator: In, values: [z]}\n"
                                   "      podSelector:\n        matchExpressions:\n"
                                   "        - {key: pod, operator: Exists}\n"
                                   "        - {key: missing, operator: DoesNotExist}\n"));
  EXPECT_TRUE(allowed(cl, "z/a", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "y/a", "x/c", 80));  // x/c is not selected: not isolated
}

TEST(PolicySemantics, IpBlockWithExcept) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                   "    - ipBlock:\n        cidr: 172.17.0.0/16\n"
                                   "        except: [172.17.1.0/24]\n"
                                   "  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/24}\n"));
  EXPECT_TRUE(allowed(cl, "172.17.0.9", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "172.17.1.9", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "172.18.0.1", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "x/a", "10.0.0.77", 5432));
  EXPECT_FALSE(allowed(cl, "x/a", "10.0.2.1", 80));  // pod y/a's address is outside
}

TEST(PolicySemantics, IpBlockV6) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                   "    - ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}\n"));
  EXPECT_TRUE(allowed(cl, "2001:db8:2::1", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "2001:db8:1::1", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "10.9.9.9", "x/a", 80));
}

TEST(PolicySemantics, PortsProtocolDefaultsToTcp) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n"
                                   "    - {protocol: UDP, port: 81}\n    - {protocol: SCTP}\n"));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80, proto::udp));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 81, proto::udp));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 81));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 4000, proto::sctp));  // SCTP, every port
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 0, proto::icmp));    // rule has ports: no ICMP
}

TEST(PolicySemantics, RuleWithoutPortsAllowsIcmp) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}}]\n"));
  EXPECT_TRUE(allowed(cl, "x/b", "x/a", 0, proto::icmp));
  EXPECT_FALSE(allowed(cl, "y/b", "x/a", 0, proto::icmp));
}

TEST(PolicySemantics, NamedPortsResolveOnDestination) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  ingress:\n  - ports:\n"
                                   "    - port: serve-80-tcp\n    - {port: serve-81-udp, protocol: UDP}\n"
                                   "    - {port: serve-82-sctp}\n"));  // TCP by default: no match
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 81));
  EXPECT_TRUE(allowed(cl, "y/a", "x/a", 81, proto::udp));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 82, proto::sctp));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 82));
  // Egress named port resolves on the destination pod; external addresses have none.
  auto eg = load_yaml(np("x", "e", "  podSelector: {}\n  egress:\n  - ports: [{port: serve-80-tcp}]\n"));
  EXPECT_TRUE(allowed(eg, "x/a", "y/b", 80));
  EXPECT_FALSE(allowed(eg, "x/a", "8.8.8.8", 80));
}

TEST(PolicySemantics, EndPortRange) {
  auto cl = load_yaml(np("x", "p", "  podSelector: {}\n  egress:\n  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]\n"
                                   "    ports:\n    - {protocol: TCP, port: 32000, endPort: 32768}\n"));
  EXPECT_TRUE(allowed(cl, "x/a", "10.0.0.1", 32000));
  EXPECT_TRUE(allowed(cl, "x/a", "10.0.0.1", 32768));
  EXPECT_TRUE(allowed(cl, "x/a", "10.0.0.1", 32500));
  EXPECT_FALSE(allowed(cl, "x/a", "10.0.0.1", 31999));
  EXPECT_FALSE(allowed(cl, "x/a", "10.0.0.1", 32769));
  EXPECT_FALSE(allowed(cl, "x/a", "10.0.0.1", 32500, proto::udp));
}

TEST(PolicySemantics, UnionOfPolicies) {
  auto cl = load_yaml(np("x", "p1", "  podSelector: {}\n  ingress:\n  - from: [{podSelector: {matchLabels: {pod: b}}}]\n") +
                      np("x", "p2", "  podSelector: {matchLabels: {pod: a}}\n  ingress:\n"
                                    "  - from: [{namespaceSelector: {matchLabels: {ns: z}}}]\n"));
  EXPECT_TRUE(allowed(cl, "x/b", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "z/c", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "z/c", "x/c", 80));  // p2 does not select x/c
  EXPECT_FALSE(allowed(cl, "y/c", "x/a", 80));
}

TEST(PolicySemantics, ConnectionNeedsEgressAndIngress) {
  auto cl = load_yaml(np("x", "eg", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                                    "  - to: [{namespaceSelector: {matchLabels: {ns: y}}}]\n") +
                      np("y", "in", "  podSelector: {matchLabels: {pod: a}}\n  ingress:\n"
                                    "  - from: [{namespaceSelector: {matchLabels: {ns: z}}}]\n"));
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 80));  // egress ok, ingress denies
  EXPECT_TRUE(allowed(cl, "x/a", "y/b", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "z/a", 80));  // egress denies
  EXPECT_TRUE(allowed(cl, "z/a", "y/a", 80));
}

TEST(PolicySemantics, EgressDnsAllowPattern) {
  const std::string dns =
      "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n"
      "---\napiVersion: v1\nkind: Pod\nmetadata: {name: coredns, namespace: kube-system, "
      "labels: {k8s-app: kube-dns}}\nstatus: {podIP: 10.96.0.10}\n";
  auto cl = load_yaml(dns + np("x", "deny-egress", "  podSelector: {}\n  policyTypes: [Egress]\n") +
                      np("x", "allow-dns", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                                           "  - to:\n    - namespaceSelector: {matchLabels: "
                                           "{kubernetes.io/metadata.name: kube-system}}\n"
                                           "      podSelector: {matchLabels: {k8s-app: kube-dns}}\n"
                                           "    ports:\n    - {protocol: UDP, port: 53}\n"
                                           "    - {protocol: TCP, port: 53}\n"));
  EXPECT_TRUE(allowed(cl, "x/a", "kube-system/coredns", 53, proto::udp));
  EXPECT_TRUE(allowed(cl, "x/a", "kube-system/coredns", 53));
  EXPECT_FALSE(allowed(cl, "x/a", "kube-system/coredns", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "8.8.8.8", 53, proto::udp));
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 80));
}

TEST(PolicySemantics, DecisionExplainsPolicies) {
  auto cl = load_yaml(np("x", "deny", "  podSelector: {}\n  policyTypes: [Ingress]\n") +
                      np("x", "web", "  podSelector: {matchLabels: {pod: a}}\n  ingress:\n  - ports: [{port: 80}]\n"));
  auto d = evaluate(cl, {addr(cl, "y/a"), addr(cl, "x/a"), proto::tcp, 80});
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.ingress.reason, SideReason::policy_allow);
  EXPECT_EQ(d.ingress.policies, std::vector<std::string>{"x/web"});
  EXPECT_EQ(d.egress.reason, SideReason::not_isolated);
  auto denied = evaluate(cl, {addr(cl, "y/a"), addr(cl, "x/a"), proto::tcp, 81});
  EXPECT_FALSE(denied.allowed());
  EXPECT_EQ(denied.ingress.reason, SideReason::policy_deny);
  EXPECT_EQ(denied.ingress.policies, (std::vector<std::string>{"x/deny", "x/web"}));
  EXPECT_NE(denied.explain().find("x/deny"), std::string::npos);
}

}  // namespace
}  // namespace gquic::policy::test
