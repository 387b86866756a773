#include "gquic/policy/cluster.h"

namespace gquic::policy {

const Namespace* Cluster::find_namespace(std::string_view name) const noexcept {
  for (const auto& n : namespaces) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const ContainerPeerInfo* Cluster::find_container(std::string_view ns,
                                                 std::string_view name) const noexcept {
  for (const auto& c : containers) {
    if (c.namespace_ == ns && c.container_id == name) return &c;
  }
  return nullptr;
}

const ContainerPeerInfo* Cluster::find_by_ip(const IpAddress& ip) const noexcept {
  for (const auto& c : containers) {
    if (c.assigned_ip == ip) return &c;
  }
  return nullptr;
}

Labels Cluster::namespace_labels(std::string_view ns) const {
  Labels l;
  if (const auto* n = find_namespace(ns)) l = n->labels;
  l.insert_or_assign(std::string(kNamespaceNameLabel), std::string(ns));
  return l;
}

void Cluster::annotate_policies() {
  for (auto& c : containers) {
    c.policies.clear();
    for (const auto& p : policies) {
      if (p.namespace_ == c.namespace_ && p.pod_selector.matches(c.labels)) {
        c.policies.push_back(p.full_name());
      }
    }
  }
}

}  // namespace gquic::policy
