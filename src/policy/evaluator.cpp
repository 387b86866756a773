// The reference evaluator: for each side, walk every admin policy, then every
// NetworkPolicy, matching selectors against labels directly.
#include "gquic/policy/evaluator.h"

#include <algorithm>

namespace gquic::policy {

std::string_view side_reason_name(SideReason r) noexcept {
  switch (r) {
    case SideReason::not_a_pod: return "not-a-pod";
    case SideReason::admin_allow: return "admin-allow";
    case SideReason::admin_deny: return "admin-deny";
    case SideReason::not_isolated: return "not-isolated";
    case SideReason::policy_allow: return "policy-allow";
    case SideReason::policy_deny: return "policy-deny";
  }
  return "?";
}

std::string_view admin_action_name(AdminAction a) noexcept {
  switch (a) {
    case AdminAction::allow: return "Allow";
    case AdminAction::deny: return "Deny";
    case AdminAction::pass: return "Pass";
  }
  return "?";
}

namespace {

bool admin_selects(const Cluster& cl, const AdminSelector& s, const ContainerPeerInfo* pod,
                   const IpAddress& ip) {
  if (s.kind == AdminSelector::Kind::networks) {
    return std::any_of(s.networks.begin(), s.networks.end(),
                       [&](const Cidr& c) { return c.contains(ip); });
  }
  if (pod == nullptr) return false;
  if (!s.namespace_selector.matches(cl.namespace_labels(pod->namespace_))) return false;
  return s.kind == AdminSelector::Kind::namespaces || s.pod_selector.matches(pod->labels);
}

bool np_peer_matches(const Cluster& cl, const NetworkPolicy& np, const PolicyPeer& peer,
                     const ContainerPeerInfo* pod, const IpAddress& ip) {
  if (peer.ip_block) return peer.ip_block->matches(ip);
  if (pod == nullptr) return false;
  if (peer.namespace_selector) {
    if (!peer.namespace_selector->matches(cl.namespace_labels(pod->namespace_))) return false;
  } else if (pod->namespace_ != np.namespace_) {
    return false;
  }
  return !peer.pod_selector || peer.pod_selector->matches(pod->labels);
}

// One side. `self` is the pod the side belongs to; `other`/`other_ip` the remote end.
SideDecision evaluate_side(const Cluster& cl, bool egress, const ContainerPeerInfo* self,
                           const ContainerPeerInfo* other, const IpAddress& other_ip,
                           const Connection& c) {
  SideDecision d;
  if (self == nullptr) return d;
  // Named ports resolve on the destination pod.
  const ContainerPeerInfo* dst = egress ? other : self;
  const std::vector<ContainerPort>* dst_ports = dst ? &dst->ports : nullptr;

  // Admin tier, ordered by (priority, name).
  std::vector<const AdminNetworkPolicy*> anps;
  for (const auto& a : cl.admin_policies) anps.push_back(&a);
  std::sort(anps.begin(), anps.end(), [](const auto* x, const auto* y) {
    return x->priority != y->priority ? x->priority < y->priority : x->name < y->name;
  });
  for (const auto* a : anps) {
    if (!admin_selects(cl, a->subject, self, self->assigned_ip)) continue;
    bool passed = false;
    for (const auto& rule : egress ? a->egress : a->ingress) {
      const bool peer_ok = std::any_of(rule.peers.begin(), rule.peers.end(), [&](const auto& p) {
        return admin_selects(cl, p, other, other_ip);
      });
      if (!peer_ok) continue;
      if (rule.ports && !ports_match(*rule.ports, c.protocol, c.port, dst_ports)) continue;
      if (rule.action == AdminAction::pass) {
        d.passed_by.push_back(a->name + "/" + rule.name);
        passed = true;
        break;
      }
      d.reason = rule.action == AdminAction::allow ? SideReason::admin_allow
                                                   : SideReason::admin_deny;
      d.policies.push_back(a->name + "/" + rule.name);
      return d;
    }
    if (passed) break;  // Pass skips the rest of the admin tier
  }

  // NetworkPolicy tier.
  bool isolated = false;
  std::vector<std::string> isolating;
  for (const auto& np : cl.policies) {
    if (np.namespace_ != self->namespace_ || !np.pod_selector.matches(self->labels)) continue;
    if (!(egress ? np.affects_egress() : np.affects_ingress())) continue;
    isolated = true;
    isolating.push_back(np.full_name());
    for (const auto& rule : egress ? np.egress : np.ingress) {
      const bool peer_ok =
          rule.peers.empty() || std::any_of(rule.peers.begin(), rule.peers.end(), [&](const auto& p) {
            return np_peer_matches(cl, np, p, other, other_ip);
          });
      if (peer_ok && ports_match(rule.ports, c.protocol, c.port, dst_ports)) {
        d.policies.push_back(np.full_name());
        break;
      }
    }
  }
  if (!isolated) {
    d.reason = SideReason::not_isolated;
  } else if (!d.policies.empty()) {
    d.reason = SideReason::policy_allow;
  } else {
    d.reason = SideReason::policy_deny;
    d.policies = std::move(isolating);
  }
  return d;
}

}  // namespace

SideDecision evaluate_egress(const Cluster& cl, const Connection& c) {
  return evaluate_side(cl, true, cl.find_by_ip(c.src), cl.find_by_ip(c.dst), c.dst, c);
}

SideDecision evaluate_ingress(const Cluster& cl, const Connection& c) {
  return evaluate_side(cl, false, cl.find_by_ip(c.dst), cl.find_by_ip(c.src), c.src, c);
}

Decision evaluate(const Cluster& cl, const Connection& c) {
  return Decision{evaluate_egress(cl, c), evaluate_ingress(cl, c)};
}

std::string Decision::explain() const {
  auto side = [](const char* name, const SideDecision& s) {
    std::string out = std::string(name) + ": " + std::string(side_reason_name(s.reason));
    if (!s.policies.empty()) {
      out += " [";
      for (std::size_t i = 0; i < s.policies.size(); ++i) {
        if (i) out += ", ";
        out += s.policies[i];
      }
      out += "]";
    }
    for (const auto& p : s.passed_by) out += " (passed by " + p + ")";
    return out;
  };
  return std::string(allowed() ? "allowed" : "denied") + "; " + side("egress", egress) + "; " +
         side("ingress", ingress);
}

}  // namespace gquic::policy
