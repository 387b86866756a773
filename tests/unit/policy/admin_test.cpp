// The AdminNetworkPolicy tier: precedence over NetworkPolicy, Pass, priority order.
#include "policy_test_util.h"

namespace gquic::policy::test {
namespace {

std::string anp(const std::string& name, int priority, const std::string& body) {
  return "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
         "metadata:\n  name: " + name + "\nspec:\n  priority: " + std::to_string(priority) +
         "\n" + body;
}
std::string np(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n" + spec;
}
const std::string kSubjectX = "  subject:\n    namespaces: {matchLabels: {ns: x}}\n";
const std::string kAllowAllX = np("x", "allow-all", "  podSelector: {}\n  ingress:\n  - {}\n");
const std::string kDenyAllX = np("x", "deny-all", "  podSelector: {}\n  policyTypes: [Ingress]\n");

TEST(PolicyAdmin, DenyBeatsNetworkPolicyAllow) {
  auto cl = load_yaml(kAllowAllX + anp("deny-y", 10, kSubjectX +
                                       "  ingress:\n  - name: r\n    action: Deny\n"
                                       "    from: [{namespaces: {matchLabels: {ns: y}}}]\n"));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "z/a", "x/a", 80));
  auto d = evaluate(cl, {addr(cl, "y/a"), addr(cl, "x/a"), proto::tcp, 80});
  EXPECT_EQ(d.ingress.reason, SideReason::admin_deny);
  EXPECT_EQ(d.ingress.policies, std::vector<std::string>{"deny-y/r"});
}

TEST(PolicyAdmin, AllowBeatsNetworkPolicyDeny) {
  auto cl = load_yaml(kDenyAllX + anp("allow-z", 10, kSubjectX +
                                      "  ingress:\n  - name: r\n    action: Allow\n"
                                      "    from: [{pods: {namespaceSelector: {matchLabels: {ns: z}}, "
                                      "podSelector: {matchLabels: {pod: c}}}}]\n"
                                      "    ports: [{portNumber: {protocol: TCP, port: 80}}]\n"));
  EXPECT_TRUE(allowed(cl, "z/c", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "z/c", "x/a", 81));  // rule does not match: NetworkPolicy denies
  EXPECT_FALSE(allowed(cl, "z/b", "x/a", 80));
}

TEST(PolicyAdmin, PassDefersToNetworkPolicy) {
  const std::string pass = anp("pass-y", 5, kSubjectX +
                               "  ingress:\n  - name: pass\n    action: Pass\n"
                               "    from: [{namespaces: {matchLabels: {ns: y}}}]\n");
  const std::string deny = anp("deny-y", 10, kSubjectX +
                               "  ingress:\n  - name: deny\n    action: Deny\n"
                               "    from: [{namespaces: {matchLabels: {ns: y}}}]\n");
  // Pass at higher precedence skips the later Deny; the NetworkPolicy then decides.
  auto allow_np = load_yaml(pass + deny + kAllowAllX);
  EXPECT_TRUE(allowed(allow_np, "y/a", "x/a", 80));
  auto deny_np = load_yaml(pass + deny + kDenyAllX);
  EXPECT_FALSE(allowed(deny_np, "y/a", "x/a", 80));
  auto d = evaluate(deny_np, {addr(deny_np, "y/a"), addr(deny_np, "x/a"), proto::tcp, 80});
  EXPECT_EQ(d.ingress.reason, SideReason::policy_deny);
  EXPECT_EQ(d.ingress.passed_by, std::vector<std::string>{"pass-y/pass"});
  // With no NetworkPolicy, Pass means not isolated: allowed.
  auto none = load_yaml(pass + deny);
  EXPECT_TRUE(allowed(none, "y/a", "x/a", 80));
}

TEST(PolicyAdmin, PriorityOrderLowerNumberFirst) {
  const std::string allow = "  ingress:\n  - name: r\n    action: Allow\n"
                            "    from: [{namespaces: {}}]\n";
  const std::string deny = "  ingress:\n  - name: r\n    action: Deny\n"
                           "    from: [{namespaces: {}}]\n";
  auto a_first = load_yaml(anp("a", 1, kSubjectX + allow) + anp("d", 2, kSubjectX + deny));
  EXPECT_TRUE(allowed(a_first, "y/a", "x/a", 80));
  auto d_first = load_yaml(anp("a", 3, kSubjectX + allow) + anp("d", 2, kSubjectX + deny));
  EXPECT_FALSE(allowed(d_first, "y/a", "x/a", 80));
}

TEST(PolicyAdmin, RulesInWrittenOrder) {
  auto cl = load_yaml(anp("p", 1, kSubjectX +
                          "  ingress:\n"
                          "  - {name: allow-b, action: Allow, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}}]}\n"
                          "  - {name: deny-all, action: Deny, from: [{namespaces: {}}]}\n"));
  EXPECT_TRUE(allowed(cl, "y/b", "x/a", 80));
  EXPECT_FALSE(allowed(cl, "y/a", "x/a", 80));
  EXPECT_TRUE(allowed(cl, "1.2.3.4", "x/a", 80));  // not a pod: no admin peer matches
}

TEST(PolicyAdmin, EgressNetworksAndPorts) {
  auto cl = load_yaml(anp("egress", 1, kSubjectX +
                          "  egress:\n"
                          "  - name: dns\n    action: Allow\n    to: [{networks: [8.8.8.8/32]}]\n"
                          "    ports: [{portNumber: {protocol: UDP, port: 53}}]\n"
                          "  - name: named\n    action: Deny\n    to: [{namespaces: {matchLabels: {ns: y}}}]\n"
                          "    ports: [{namedPort: serve-81-udp}, {portRange: {protocol: TCP, start: 1000, end: 2000}}]\n"
                          "  - name: pods-ok\n    action: Allow\n    to: [{namespaces: {matchLabels: {ns: z}}}]\n"
                          "  - name: block-internet\n    action: Deny\n    to: [{networks: [0.0.0.0/0]}]\n"));
  EXPECT_TRUE(allowed(cl, "x/a", "8.8.8.8", 53, proto::udp));
  EXPECT_FALSE(allowed(cl, "x/a", "8.8.8.8", 53));
  EXPECT_FALSE(allowed(cl, "x/a", "1.1.1.1", 443));
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 81, proto::udp));
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 1500));
  // Past the `named` rule, block-internet's 0.0.0.0/0 also covers pod addresses: denied.
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 2001));
  EXPECT_FALSE(allowed(cl, "x/a", "y/a", 81));
  EXPECT_TRUE(allowed(cl, "x/a", "z/a", 2001));  // pods-ok precedes block-internet
  EXPECT_TRUE(allowed(cl, "y/a", "8.8.4.4", 443));  // y is not a subject
}

TEST(PolicyAdmin, PodSubject) {
  auto cl = load_yaml(anp("p", 1, "  subject:\n    pods:\n      namespaceSelector: {}\n"
                                  "      podSelector: {matchLabels: {pod: c}}\n"
                                  "  ingress:\n  - {name: r, action: Deny, from: [{namespaces: {}}]}\n"));
  EXPECT_FALSE(allowed(cl, "x/a", "y/c", 80));
  EXPECT_FALSE(allowed(cl, "x/a", "z/c", 80));
  EXPECT_TRUE(allowed(cl, "x/a", "z/b", 80));
}

}  // namespace
}  // namespace gquic::policy::test
