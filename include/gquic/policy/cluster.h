#pragma once
// Everything the policy engine decides from: namespaces, containers, NetworkPolicies and
// AdminNetworkPolicies. A plain value; the manifest loader produces one, the engine
// compiles one.

#include <string>
#include <string_view>
#include <vector>

#include "gquic/policy/admin_policy.h"
#include "gquic/policy/model.h"

namespace gquic::policy {

inline constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";

struct Cluster {
  std::vector<Namespace> namespaces;
  std::vector<ContainerPeerInfo> containers;
  std::vector<NetworkPolicy> policies;
  std::vector<AdminNetworkPolicy> admin_policies;

  const Namespace* find_namespace(std::string_view name) const noexcept;
  const ContainerPeerInfo* find_container(std::string_view ns, std::string_view name) const noexcept;
  const ContainerPeerInfo* find_by_ip(const IpAddress& ip) const noexcept;
  // The namespace's labels plus kubernetes.io/metadata.name (also for namespaces only
  // referenced by a container).
  Labels namespace_labels(std::string_view ns) const;
  // Fills ContainerPeerInfo::policies.
  void annotate_policies();
};

}  // namespace gquic::policy
