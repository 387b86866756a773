#include <random>

#include "policy_test_util.h"

namespace gquic::policy::test {
namespace {

std::vector<ManifestError> errors_of(const std::string& yaml) {
  ManifestLoader l;
  l.add_text(yaml, "t.yaml");
  return l.errors();
}

// Exactly one error, for `object` at `field`, whose message contains `what`.
void expect_error(const std::string& yaml, const std::string& object, const std::string& field,
                  const std::string& what = "") {
  auto errs = errors_of(yaml);
  ASSERT_FALSE(errs.empty()) << yaml;
  bool found = false;
  for (const auto& e : errs) {
    if (e.object == object && e.field == field && e.message.find(what) != std::string::npos) {
      found = true;
    }
  }
  std::string all;
  for (const auto& e : errs) all += e.to_string() + "\n";
  EXPECT_TRUE(found) << "wanted " << object << " " << field << " '" << what << "', got:\n" << all;
}

const std::string kNpHead =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ns}\n";

TEST(PolicyManifest, LoadsAllKinds) {
  ManifestLoader l;
  l.add_text(base_yaml(), "base");
  l.add_text(R"(
apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: p}
  spec:
    podSelector: {}
- apiVersion: policy.networking.k8s.io/v1alpha1
  kind: AdminNetworkPolicy
  metadata: {name: a}
  spec:
    priority: 3
    subject: {namespaces: {}}
    ingress: [{action: Pass, from: [{namespaces: {}}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ignored}
spec: {whatever: 1}
)", "more");
  ASSERT_TRUE(l.ok()) << l.errors()[0].to_string();
  auto cl = l.cluster();
  EXPECT_EQ(cl.containers.size(), 9u);
  ASSERT_EQ(cl.policies.size(), 1u);
  EXPECT_EQ(cl.policies[0].namespace_, "default");
  ASSERT_EQ(cl.admin_policies.size(), 1u);
  EXPECT_EQ(cl.admin_policies[0].ingress[0].action, AdminAction::pass);
  EXPECT_NE(cl.find_namespace("default"), nullptr);  // implicit
  const auto* pod = cl.find_container("y", "b");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->assigned_ip, ip("10.0.2.2"));
  ASSERT_EQ(pod->ports.size(), 3u);
  EXPECT_EQ(pod->ports[1].protocol, proto::udp);
  EXPECT_EQ(cl.find_namespace("x")->labels.at("kubernetes.io/metadata.name"), "x");
}

TEST(PolicyManifest, PodAndNamespaceExtraFieldsIgnored) {
  auto errs = errors_of(R"(
apiVersion: v1
kind: Namespace
metadata: {name: n, annotations: {a: b}, uid: "123"}
spec: {finalizers: [kubernetes]}
status: {phase: Active}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: n, annotations: {x: y}}
spec:
  nodeName: node1
  containers:
  - name: c
    image: nginx
    env: [{name: A, value: B}]
    ports: [{containerPort: 8080, hostPort: 80}]
status: {podIP: 10.1.1.1, hostIP: 192.168.0.1, phase: Running}
)");
  EXPECT_TRUE(errs.empty()) << errs[0].to_string();
}

TEST(PolicyManifest, UnknownFieldInPolicySpec) {
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingres: []\n", "NetworkPolicy ns/p",
               "spec.ingres", "unknown field");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingress: [{from: [{podSelectr: {}}]}]\n",
               "NetworkPolicy ns/p", "spec.ingress[0].from[0].podSelectr", "unknown field");
}

TEST(PolicyManifest, BadCidr) {
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/40}}]}]\n",
               "NetworkPolicy ns/p", "spec.egress[0].to[0].ipBlock.cidr", "not a CIDR");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, "
                         "except: [11.0.0.0/16]}}]}]\n",
               "NetworkPolicy ns/p", "spec.egress[0].to[0].ipBlock.except[0]", "not strictly inside");
}

TEST(PolicyManifest, EndPortBelowPort) {
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingress: [{ports: [{port: 90, endPort: 80}]}]\n",
               "NetworkPolicy ns/p", "spec.ingress[0].ports[0].endPort", "below");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingress: [{ports: [{port: http, endPort: 80}]}]\n",
               "NetworkPolicy ns/p", "spec.ingress[0].ports[0].endPort", "numeric");
}

TEST(PolicyManifest, DuplicateNames) {
  const std::string p = kNpHead + "spec: {podSelector: {}}\n";
  expect_error(p + "---\n" + p, "NetworkPolicy ns/p", "metadata.name", "duplicate");
  ManifestLoader l;  // also across files
  l.add_text(p, "one.yaml");
  l.add_text(p, "two.yaml");
  ASSERT_EQ(l.errors().size(), 1u);
  EXPECT_EQ(l.errors()[0].source, "two.yaml");
}

TEST(PolicyManifest, WrongTypes) {
  expect_error(kNpHead + "spec:\n  podSelector: []\n", "NetworkPolicy ns/p", "spec.podSelector",
               "expected a mapping");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingress: {from: []}\n", "NetworkPolicy ns/p",
               "spec.ingress", "expected a list");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingress: [{ports: [{port: 99999}]}]\n",
               "NetworkPolicy ns/p", "spec.ingress[0].ports[0].port", "outside");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingress: [{ports: [{protocol: ICMP}]}]\n",
               "NetworkPolicy ns/p", "spec.ingress[0].ports[0].protocol");
  expect_error(kNpHead + "spec:\n  podSelector: {matchExpressions: [{key: a, operator: Is}]}\n",
               "NetworkPolicy ns/p", "spec.podSelector.matchExpressions[0].operator");
  expect_error(kNpHead + "spec:\n  podSelector: {matchExpressions: [{key: a, operator: In}]}\n",
               "NetworkPolicy ns/p", "spec.podSelector.matchExpressions[0].values");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  policyTypes: [Inbound]\n", "NetworkPolicy ns/p",
               "spec.policyTypes[0]");
  expect_error(kNpHead + "spec:\n  podSelector: {}\n  ingress: [{from: [{}]}]\n", "NetworkPolicy ns/p",
               "spec.ingress[0].from[0]", "needs");
  expect_error("apiVersion: networking.k8s.io/v2\nkind: NetworkPolicy\nmetadata: {name: q}\nspec: {podSelector: {}}\n",
               "NetworkPolicy default/q", "apiVersion");
  expect_error("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIP: 300.1.1.1}\n",
               "Pod default/p", "status.podIP");
}

TEST(PolicyManifest, AdminPolicyErrors) {
  const std::string head =
      "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\n";
  expect_error(head + "spec:\n  priority: 1001\n  subject: {namespaces: {}}\n",
               "AdminNetworkPolicy a", "spec.priority", "outside");
  expect_error(head + "spec:\n  priority: 1\n  subject: {namespaces: {}}\n"
                      "  ingress: [{action: Drop, from: [{namespaces: {}}]}]\n",
               "AdminNetworkPolicy a", "spec.ingress[0].action");
  expect_error(head + "spec:\n  priority: 1\n  subject: {namespaces: {}, pods: {podSelector: {}}}\n",
               "AdminNetworkPolicy a", "spec.subject", "exactly one");
  expect_error(head + "spec:\n  priority: 1\n  subject: {namespaces: {}}\n"
                      "  egress: [{action: Deny, to: [{networks: [bad]}]}]\n",
               "AdminNetworkPolicy a", "spec.egress[0].to[0].networks[0]");
  expect_error(head + "spec:\n  priority: 1\n  subject: {namespaces: {}}\n"
                      "  ingress: [{action: Deny, from: [{networks: [10.0.0.0/8]}]}]\n",
               "AdminNetworkPolicy a", "spec.ingress[0].from[0].networks", "unknown field");
  expect_error(head + "spec:\n  priority: 1\n  subject: {namespaces: {}}\n"
                      "  ingress: [{action: Deny, from: [{namespaces: {}}], "
                      "ports: [{portRange: {start: 9, end: 3}}]}]\n",
               "AdminNetworkPolicy a", "spec.ingress[0].ports[0].portRange.end", "below");
}

TEST(PolicyManifest, YamlSyntaxErrorIsAValue) {
  auto errs = errors_of("a: [1, 2\nb: {");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_FALSE(errors_of("- just\n- a list\n").empty());
  EXPECT_TRUE(errors_of("").empty());
  EXPECT_TRUE(errors_of("---\n---\n").empty());
}

TEST(PolicyManifest, MissingFileAndDirectory) {
  ManifestLoader l;
  l.add_path("/nonexistent/policy.yaml");
  ASSERT_EQ(l.errors().size(), 1u);
  EXPECT_NE(l.errors()[0].message.find("cannot open"), std::string::npos);
}

TEST(PolicyManifest, NeverCrashesOnGarbage) {
  std::mt19937 rng(7);
  const std::string base = base_yaml() + "---\n" + kNpHead +
                           "spec:\n  podSelector: {matchExpressions: [{key: a, operator: In, values: [b]}]}\n"
                           "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], "
                           "ports: [{port: 80, endPort: 90}]}]\n";
  for (int i = 0; i < 1500; ++i) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = static_cast<char>(rng() % 256); break;
        case 1: s.erase(at, rng() % 12); break;
        default: s.insert(at, std::string(1, "[]{}:-,'\"&*!|>%@\n "[rng() % 19])); break;
      }
    }
    ManifestLoader l;
    l.add_text(s, "fuzz");
    (void)l.cluster();
  }
  // Self-referencing aliases.
  EXPECT_FALSE(errors_of("&x {kind: List, items: [*x]}\n").empty());
  EXPECT_FALSE(errors_of(kNpHead + "spec: &s\n  podSelector: *s\n  ingress: [*s]\n").empty());
  ManifestLoader deep;
  deep.add_text(std::string(20000, '[') + std::string(20000, ']'), "deep");
  EXPECT_FALSE(deep.ok());
}

}  // namespace
}  // namespace gquic::policy::test

namespace gquic::policy::test {
namespace {

// yaml-cpp 0.7 allocates without bound on these; the libyaml pass rejects them first.
TEST(PolicyManifest, MalformedYamlThatYamlCppCannotFinishIsRejected) {
  for (const char* text : {",", ",\n", "apiVersion: v1\n---\n, containerPort: 80}]}]}\n"}) {
    expect_error(text, "", "", "YAML syntax error at line");
  }
}

TEST(PolicyManifest, AliasBombsAreRefused) {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'z'; ++c) {
    yaml += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 500; ++i) yaml += std::string(i ? ", *" : "*") + prev;
    yaml += "]\n";
    prev = c;
  }
  expect_error(yaml, "", "", "alias references");
}

}  // namespace
}  // namespace gquic::policy::test
