// Compilation of a Cluster into a Snapshot, and the compiled per-side decision.
#include "gquic/policy/snapshot.h"

#include <algorithm>


#include "gquic/policy/conntrack.h"

namespace gquic::policy {

namespace {

using Identity = Snapshot::Identity;
using Bitset = Snapshot::Bitset;

// Which identities a selector picks: all optional parts must hold.
struct Selector {
  std::optional<std::string> ns;
  std::optional<LabelSelector> ns_sel;
  std::optional<LabelSelector> pod_sel;

  bool matches(const Identity& id) const {
    if (ns && id.ns != *ns) return false;
    if (ns_sel && !ns_sel->matches(id.ns_labels)) return false;
    return !pod_sel || pod_sel->matches(id.pod_labels);
  }
  std::string key() const {
    std::string k;
    k += ns ? "N" + std::to_string(ns->size()) + ":" + *ns : "n";
    k += ns_sel ? "S" + ns_sel->canonical() : "s";
    k += pod_sel ? "P" + pod_sel->canonical() : "p";
    return k;
  }
};

void field(std::string& out, const std::string& s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

std::string identity_key(const std::string& ns, const Labels& ns_labels, const Labels& pod_labels,
                         const std::vector<ContainerPort>& ports) {
  std::string k;
  field(k, ns);
  k += '|';
  for (const auto& [a, b] : ns_labels) field(k, a), field(k, b);
  k += '|';
  for (const auto& [a, b] : pod_labels) field(k, a), field(k, b);
  k += '|';
  for (const auto& p : ports) {
    field(k, p.name);
    k += std::to_string(p.port) + "/" + std::to_string(p.protocol) + ",";
  }
  return k;
}

bool test_bit(const Bitset& b, std::uint32_t i) noexcept {
  const std::size_t w = i / 64;
  return w < b.size() && ((b[w] >> (i % 64)) & 1u);
}

}  // namespace

struct CompileCache::Impl {
  struct Memo {
    Selector sel;
    std::shared_ptr<const Bitset> bits;
    std::size_t covered = 0;
    bool used = false;
  };
  std::vector<std::shared_ptr<const Identity>> identities;
  std::unordered_map<std::string, std::uint32_t> identity_index;
  std::unordered_map<std::string, Memo> memo;
  std::vector<std::unique_ptr<const std::string>> names;
  std::unordered_map<std::string, std::uint32_t> name_index;
  std::uint64_t generation = 0;

  std::uint32_t identity_of(const ContainerPeerInfo& c, const Labels& ns_labels) {
    auto key = identity_key(c.namespace_, ns_labels, c.labels, c.ports);
    auto [it, inserted] = identity_index.emplace(std::move(key), 0);
    if (inserted) {
      it->second = static_cast<std::uint32_t>(identities.size());
      identities.push_back(
          std::make_shared<const Identity>(Identity{c.namespace_, ns_labels, c.labels, c.ports}));
    }
    return it->second;
  }

  std::shared_ptr<const Bitset> select(const Selector& sel) {
    auto [it, inserted] = memo.try_emplace(sel.key());
    Memo& m = it->second;
    m.used = true;
    const std::size_t n = identities.size();
    if (!inserted && m.covered == n) return m.bits;
    if (inserted) m.sel = sel;
    auto bits = m.bits ? std::make_shared<Bitset>(*m.bits) : std::make_shared<Bitset>();
    bits->resize((n + 63) / 64, 0);
    for (std::size_t i = m.covered; i < n; ++i) {
      if (m.sel.matches(*identities[i])) (*bits)[i / 64] |= std::uint64_t{1} << (i % 64);
    }
    m.covered = n;
    m.bits = std::move(bits);
    return m.bits;
  }
};

CompileCache::CompileCache() : impl_(std::make_unique<Impl>()) {}
CompileCache::~CompileCache() = default;

std::uint32_t CompileCache::name_slot(const std::string& name) {
  auto [it, inserted] = impl_->name_index.emplace(name, 0);
  if (inserted) {
    it->second = static_cast<std::uint32_t>(impl_->names.size());
    impl_->names.push_back(std::make_unique<const std::string>(name));
  }
  return it->second;
}

std::size_t CompileCache::identity_count() const noexcept { return impl_->identities.size(); }
std::size_t CompileCache::memo_size() const noexcept { return impl_->memo.size(); }

std::size_t Snapshot::IpHash::operator()(const IpAddress& ip) const noexcept { return hash_ip(ip); }
std::size_t Snapshot::PrefixHash::operator()(const PrefixKey& k) const noexcept {
  return hash_ip(k.ip) ^ (std::size_t{k.len} * 0x9e3779b97f4a7c15ULL);
}

std::shared_ptr<const Snapshot> Snapshot::compile(const Cluster& cluster, CompileCache& cache) {
  auto& c = *cache.impl_;
  auto snap = std::make_shared<Snapshot>();
  snap->generation_ = ++c.generation;
  for (auto& [k, m] : c.memo) m.used = false;

  // Identities and the pod address map.
  std::unordered_map<std::string, Labels> ns_labels;
  snap->pods_.reserve(cluster.containers.size());
  for (const auto& pod : cluster.containers) {
    auto it = ns_labels.find(pod.namespace_);
    if (it == ns_labels.end()) {
      it = ns_labels.emplace(pod.namespace_, cluster.namespace_labels(pod.namespace_)).first;
    }
    const std::uint32_t id = c.identity_of(pod, it->second);
    snap->pods_.emplace(pod.assigned_ip, Endpoint{id, kNoId, pod.assigned_ip});
  }
  const std::size_t ids = c.identities.size();
  snap->ingress_by_id_.resize(ids);
  snap->egress_by_id_.resize(ids);
  snap->admin_by_id_.resize(ids);

  // Every CIDR any policy names, for the longest-prefix-match table.
  auto add_prefix = [&](const Cidr& cidr) {
    PrefixKey key{cidr.base, cidr.prefix};
    if (snap->prefixes_.emplace(key, static_cast<std::uint32_t>(snap->prefixes_.size())).second) {
      auto& lengths = cidr.base.is_v4() ? snap->v4_lengths_ : snap->v6_lengths_;
      if (std::find(lengths.begin(), lengths.end(), cidr.prefix) == lengths.end()) {
        lengths.push_back(cidr.prefix);
      }
    }
  };

  auto for_each_bit = [](const Bitset& b, auto&& fn) {
    for (std::size_t w = 0; w < b.size(); ++w) {
      for (std::uint64_t word = b[w]; word != 0; word &= word - 1) {
        fn(static_cast<std::uint32_t>(w * 64 + static_cast<unsigned>(__builtin_ctzll(word))));
      }
    }
  };

  // NetworkPolicies.
  for (const auto& np : cluster.policies) {
    Policy cp;
    cp.name = cache.name_slot(np.full_name());
    auto compile_rules = [&](const std::vector<PolicyRule>& rules, std::vector<Rule>& out) {
      for (const auto& r : rules) {
        Rule cr;
        cr.all_peers = r.peers.empty();
        cr.all_ports = r.ports.empty();
        cr.ports = r.ports;
        for (const auto& peer : r.peers) {
          Peer p;
          if (peer.ip_block) {
            p.ip_block = peer.ip_block;
            add_prefix(peer.ip_block->cidr);
            for (const auto& e : peer.ip_block->except) add_prefix(e);
          } else if (peer.namespace_selector) {
            p.ids = c.select(Selector{std::nullopt, peer.namespace_selector, peer.pod_selector});
          } else {
            p.ids = c.select(Selector{np.namespace_, std::nullopt, peer.pod_selector});
          }
          cr.peers.push_back(std::move(p));
        }
        out.push_back(std::move(cr));
      }
    };
    if (np.affects_ingress()) compile_rules(np.ingress, cp.ingress);
    if (np.affects_egress()) compile_rules(np.egress, cp.egress);
    const auto subject = c.select(Selector{np.namespace_, std::nullopt, np.pod_selector});
    const auto index = static_cast<std::uint32_t>(snap->policies_.size());
    for_each_bit(*subject, [&](std::uint32_t id) {
      if (np.affects_ingress()) snap->ingress_by_id_[id].push_back(index);
      if (np.affects_egress()) snap->egress_by_id_[id].push_back(index);
    });
    snap->policies_.push_back(std::move(cp));
  }

  // Admin policies in evaluation order.
  std::vector<const AdminNetworkPolicy*> anps;
  for (const auto& a : cluster.admin_policies) anps.push_back(&a);
  std::stable_sort(anps.begin(), anps.end(), [](const auto* x, const auto* y) {
    return x->priority != y->priority ? x->priority < y->priority : x->name < y->name;
  });
  auto admin_selector = [&](const AdminSelector& s) -> Peer {
    Peer p;
    if (s.kind == AdminSelector::Kind::networks) {
      p.networks = s.networks;
      for (const auto& n : s.networks) add_prefix(n);
    } else if (s.kind == AdminSelector::Kind::namespaces) {
      p.ids = c.select(Selector{std::nullopt, s.namespace_selector, std::nullopt});
    } else {
      p.ids = c.select(Selector{std::nullopt, s.namespace_selector, s.pod_selector});
    }
    return p;
  };
  for (const auto* a : anps) {
    Policy cp;
    cp.name = cache.name_slot(a->name);
    auto compile_rules = [&](const std::vector<AdminRule>& rules, std::vector<Rule>& out) {
      for (const auto& r : rules) {
        Rule cr;
        cr.action = r.action;
        cr.name = cache.name_slot(a->name + "/" + r.name);
        cr.all_ports = !r.ports.has_value();
        if (r.ports) cr.ports = *r.ports;
        for (const auto& peer : r.peers) cr.peers.push_back(admin_selector(peer));
        out.push_back(std::move(cr));
      }
    };
    compile_rules(a->ingress, cp.ingress);
    compile_rules(a->egress, cp.egress);
    const auto index = static_cast<std::uint32_t>(snap->admin_.size());
    if (a->subject.kind != AdminSelector::Kind::networks) {
      const Peer subject = admin_selector(a->subject);
      for_each_bit(*subject.ids, [&](std::uint32_t id) { snap->admin_by_id_[id].push_back(index); });
    }
    snap->admin_.push_back(std::move(cp));
  }

  std::sort(snap->v4_lengths_.rbegin(), snap->v4_lengths_.rend());
  std::sort(snap->v6_lengths_.rbegin(), snap->v6_lengths_.rend());
  for (auto& [ip, ep] : snap->pods_) ep.cidr_class = snap->lpm(ip);

  snap->identities_ = c.identities;
  snap->names_.reserve(c.names.size());
  for (const auto& n : c.names) snap->names_.emplace_back(*n);
  std::erase_if(c.memo, [](const auto& kv) { return !kv.second.used; });
  return snap;
}

std::uint32_t Snapshot::lpm(const IpAddress& ip) const noexcept {
  for (std::uint8_t len : ip.is_v4() ? v4_lengths_ : v6_lengths_) {
    auto it = prefixes_.find(PrefixKey{mask_address(ip, len), len});
    if (it != prefixes_.end()) return it->second;
  }
  return kNoId;
}

Endpoint Snapshot::resolve(const IpAddress& ip) const noexcept {
  auto it = pods_.find(ip);
  if (it != pods_.end()) return it->second;
  return Endpoint{kNoId, lpm(ip), ip};
}

bool Snapshot::peer_matches(const Peer& p, const Endpoint& e) const noexcept {
  if (p.ip_block) return p.ip_block->matches(e.ip);
  if (!p.networks.empty()) {
    return std::any_of(p.networks.begin(), p.networks.end(),
                       [&](const Cidr& c) { return c.contains(e.ip); });
  }
  return p.ids && e.identity != kNoId && test_bit(*p.ids, e.identity);
}

SideOutcome Snapshot::side(bool egress, const Endpoint& self, const Endpoint& other,
                           std::uint8_t protocol, std::uint16_t port) const {
  if (self.identity == kNoId || self.identity >= admin_by_id_.size()) return {};
  const Endpoint& dst = egress ? other : self;
  const std::vector<ContainerPort>* dst_ports =
      dst.identity != kNoId && dst.identity < identities_.size() ? &identities_[dst.identity]->ports
                                                                : nullptr;
  auto rule_matches = [&](const Rule& r) {
    if (!r.all_peers && !std::any_of(r.peers.begin(), r.peers.end(),
                                     [&](const Peer& p) { return peer_matches(p, other); })) {
      return false;
    }
    return r.all_ports || ports_match(r.ports, protocol, port, dst_ports);
  };
  for (std::uint32_t a : admin_by_id_[self.identity]) {
    bool passed = false;
    for (const auto& r : egress ? admin_[a].egress : admin_[a].ingress) {
      if (!rule_matches(r)) continue;
      if (r.action == AdminAction::pass) {
        passed = true;
        break;
      }
      return {r.action == AdminAction::allow ? SideReason::admin_allow : SideReason::admin_deny,
              r.name};
    }
    if (passed) break;
  }
  const auto& isolating = (egress ? egress_by_id_ : ingress_by_id_)[self.identity];
  if (isolating.empty()) return {SideReason::not_isolated, kNoId};
  for (std::uint32_t p : isolating) {
    for (const auto& r : egress ? policies_[p].egress : policies_[p].ingress) {
      if (rule_matches(r)) return {SideReason::policy_allow, policies_[p].name};
    }
  }
  return {SideReason::policy_deny, policies_[isolating.front()].name};
}

}  // namespace gquic::policy
