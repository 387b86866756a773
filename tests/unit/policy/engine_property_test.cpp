// Property: the compiled engine decides exactly as the reference evaluator, on randomized
// clusters (seeded, reproducible), in every direction mode, including after updates.
#include <random>

#include "policy_test_util.h"

namespace gquic::policy::test {
namespace {

struct Gen {
  std::mt19937 rng;
  explicit Gen(unsigned seed) : rng(seed) {}
  int n(int hi) { return std::uniform_int_distribution<int>(0, hi - 1)(rng); }
  bool coin(int pct = 50) { return n(100) < pct; }

  Labels labels() {
    Labels l;
    for (const char* k : {"app", "tier", "env"}) {
      if (coin(60)) l[k] = std::string(1, static_cast<char>('a' + n(3)));
    }
    return l;
  }
  LabelSelector selector() {
    LabelSelector s;
    if (coin(30)) return s;
    const char* keys[] = {"app", "tier", "env", "ns", "kubernetes.io/metadata.name"};
    const int count = 1 + n(2);
    for (int i = 0; i < count; ++i) {
      const std::string key = keys[n(5)];
      const std::string v(1, static_cast<char>('a' + n(3)));
      switch (n(5)) {
        case 0: s.match_labels[key] = v; break;
        case 1: s.match_expressions.push_back({key, SelectorOp::in, {v, "b"}}); break;
        case 2: s.match_expressions.push_back({key, SelectorOp::not_in, {v}}); break;
        case 3: s.match_expressions.push_back({key, SelectorOp::exists, {}}); break;
        default: s.match_expressions.push_back({key, SelectorOp::does_not_exist, {}}); break;
      }
    }
    return s;
  }
  std::uint8_t protocol() {
    const std::uint8_t p[] = {proto::tcp, proto::udp, proto::sctp};
    return p[n(3)];
  }
  PolicyPort port(bool admin) {
    PolicyPort p;
    p.protocol = protocol();
    switch (n(4)) {
      case 0: break;
      case 1: p.port = static_cast<std::uint16_t>(80 + n(3)); break;
      case 2:
        p.port = static_cast<std::uint16_t>(79 + n(2));
        p.end_port = static_cast<std::uint16_t>(*p.port + n(3));
        break;
      default:
        p.named_port = n(2) ? "http" : "dns";
        if (admin) p.protocol = 0;
        break;
    }
    if (admin && !p.port && p.named_port.empty()) p.port = 80;
    return p;
  }
  Cidr cidr() {
    const char* c[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.2.0.0/16", "192.168.0.0/16",
                       "10.1.2.3/32", "0.0.0.0/0"};
    return *Cidr::parse(c[n(7)]);
  }
  PolicyPeer peer() {
    PolicyPeer p;
    switch (n(4)) {
      case 0: p.pod_selector = selector(); break;
      case 1: p.namespace_selector = selector(); break;
      case 2:
        p.pod_selector = selector();
        p.namespace_selector = selector();
        break;
      default: {
        IpBlock b{cidr(), {}};
        const Cidr e = cidr();
        if (b.cidr.covers(e) && e.prefix > b.cidr.prefix) b.except.push_back(e);
        p.ip_block = b;
      }
    }
    return p;
  }
  std::vector<PolicyRule> rules() {
    std::vector<PolicyRule> out(static_cast<std::size_t>(n(3)));
    for (auto& r : out) {
      for (int i = n(3); i > 0; --i) r.peers.push_back(peer());
      for (int i = n(3); i > 0; --i) r.ports.push_back(port(false));
    }
    return out;
  }
  AdminSelector admin_selector(bool networks) {
    AdminSelector s;
    const int k = n(networks ? 3 : 2);
    s.kind = k == 0 ? AdminSelector::Kind::namespaces
             : k == 1 ? AdminSelector::Kind::pods
                      : AdminSelector::Kind::networks;
    s.namespace_selector = selector();
    if (k == 1) s.pod_selector = selector();
    if (k == 2) s.networks = {cidr()};
    return s;
  }
  std::vector<AdminRule> admin_rules(bool egress) {
    std::vector<AdminRule> out(static_cast<std::size_t>(n(3)));
    int i = 0;
    for (auto& r : out) {
      r.name = "r" + std::to_string(i++);
      r.action = static_cast<AdminAction>(n(3));
      for (int j = 1 + n(2); j > 0; --j) r.peers.push_back(admin_selector(egress));
      if (coin()) {
        r.ports.emplace();
        for (int j = 1 + n(2); j > 0; --j) r.ports->push_back(port(true));
      }
    }
    return out;
  }

  ContainerPeerInfo pod(int i, const std::vector<std::string>& nss) {
    ContainerPeerInfo c;
    c.container_id = "p" + std::to_string(i);
    c.namespace_ = nss[static_cast<std::size_t>(n(static_cast<int>(nss.size())))];
    c.labels = labels();
    // Addresses spread over and outside the CIDRs above.
    const char* nets[] = {"10.1.2.", "10.1.3.", "10.2.0.", "192.168.1.", "172.16.0."};
    c.assigned_ip = *IpAddress::parse(nets[n(5)] + std::to_string(i + 1));
    if (coin(70)) c.ports.push_back({"http", static_cast<std::uint16_t>(80 + n(2)), proto::tcp});
    if (coin(50)) c.ports.push_back({"dns", 53, coin() ? proto::udp : proto::tcp});
    return c;
  }
  NetworkPolicy policy(int i, const std::vector<std::string>& nss) {
    NetworkPolicy p;
    p.name = "np" + std::to_string(i);
    p.namespace_ = nss[static_cast<std::size_t>(n(static_cast<int>(nss.size())))];
    p.pod_selector = selector();
    p.ingress = rules();
    p.egress = rules();
    if (coin(60)) {
      p.policy_types.emplace();
      if (coin(70)) p.policy_types->push_back(PolicyType::ingress);
      if (coin(60)) p.policy_types->push_back(PolicyType::egress);
    }
    return p;
  }
  AdminNetworkPolicy admin(int i) {
    AdminNetworkPolicy a;
    a.name = "anp" + std::to_string(i);
    a.priority = n(4);
    a.subject = admin_selector(false);
    a.ingress = admin_rules(false);
    a.egress = admin_rules(true);
    return a;
  }
  Cluster cluster() {
    Cluster cl;
    std::vector<std::string> nss = {"n0", "n1", "n2"};
    for (const auto& name : nss) {
      Labels l = labels();
      if (coin()) l["ns"] = std::string(1, static_cast<char>('a' + n(3)));
      l[std::string(kNamespaceNameLabel)] = name;
      cl.namespaces.push_back({name, l});
    }
    for (int i = n(10) + 4; i > 0; --i) cl.containers.push_back(pod(i, nss));
    for (int i = n(7); i > 0; --i) cl.policies.push_back(policy(i, nss));
    for (int i = n(4); i > 0; --i) cl.admin_policies.push_back(admin(i));
    return cl;
  }
  IpAddress address(const Cluster& cl) {
    if (coin(75)) return cl.containers[static_cast<std::size_t>(n(static_cast<int>(cl.containers.size())))].assigned_ip;
    const char* ext[] = {"10.1.2.3", "10.1.2.200", "10.9.9.9", "192.168.7.7", "8.8.8.8"};
    return *IpAddress::parse(ext[n(5)]);
  }
};

void compare(Engine& engine, const Cluster& cl, Gen& g, unsigned seed, int connections) {
  for (int k = 0; k < connections; ++k) {
    Connection c{g.address(cl), g.address(cl), g.protocol(), static_cast<std::uint16_t>(g.coin(20) ? 53 : 78 + g.n(6))};
    if (g.coin(10)) {
      c.protocol = proto::icmp;
      c.port = 0;
    }
    const Decision d = evaluate(cl, c);
    const Verdict both = engine.decide(c, Direction::both);
    ASSERT_EQ(both.allowed, d.allowed()) << "seed " << seed << " conn " << k << ": " << d.explain();
    ASSERT_EQ(engine.decide(c, Direction::egress).allowed, d.egress.allowed()) << "seed " << seed;
    ASSERT_EQ(engine.decide(c, Direction::ingress).allowed, d.ingress.allowed()) << "seed " << seed;
    // Same question again: answered from the cache, same answer.
    ASSERT_EQ(engine.decide(c, Direction::both).allowed, d.allowed());
  }
}

TEST(PolicyEngineProperty, CompiledEqualsReference) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    Gen g(seed);
    const Cluster cl = g.cluster();
    Engine engine;
    engine.set_cluster(cl);
    compare(engine, cl, g, seed, 60);
    if (HasFatalFailure()) return;
  }
}

TEST(PolicyEngineProperty, CompiledEqualsReferenceAcrossUpdates) {
  for (unsigned seed = 1000; seed < 1060; ++seed) {
    Gen g(seed);
    Engine engine;
    engine.set_cluster(g.cluster());
    for (int step = 0; step < 12; ++step) {
      Cluster cl = engine.cluster();
      const std::vector<std::string> nss = {"n0", "n1", "n2"};
      switch (g.n(7)) {
        case 0: engine.upsert_container(g.pod(100 + step, nss)); break;
        case 1:
          if (!cl.containers.empty()) {
            auto c = cl.containers[static_cast<std::size_t>(g.n(static_cast<int>(cl.containers.size())))];
            c.labels = g.labels();  // labels changed
            engine.upsert_container(c);
          }
          break;
        case 2:
          if (cl.containers.size() > 2) {
            const auto& c = cl.containers.front();
            EXPECT_TRUE(engine.remove_container(c.namespace_, c.container_id));
          }
          break;
        case 3: engine.upsert_policy(g.policy(step % 4, nss)); break;  // add or replace
        case 4:
          if (!cl.policies.empty()) {
            EXPECT_TRUE(engine.remove_policy(cl.policies.back().namespace_, cl.policies.back().name));
          }
          break;
        case 5: engine.upsert_admin_policy(g.admin(step % 3)); break;
        default: {
          Namespace ns{nss[static_cast<std::size_t>(g.n(3))], g.labels()};
          ns.labels[std::string(kNamespaceNameLabel)] = ns.name;
          engine.upsert_namespace(ns);
        }
      }
      const Cluster now = engine.cluster();
      compare(engine, now, g, seed, 20);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace gquic::policy::test
