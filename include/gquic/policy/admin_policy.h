#pragma once
// The cluster-admin tier (AdminNetworkPolicy, policy.networking.k8s.io/v1alpha1).
//
// Admin policies are evaluated before any NetworkPolicy, for each side of a connection
// separately (the sender's egress, the receiver's ingress):
//  * the policies whose subject selects the pod are taken in priority order (a lower number
//    is checked first; equal priorities are ordered by name so results are reproducible);
//  * inside a policy, rules are checked in the order written; the first rule whose peers
//    and ports match decides;
//  * Allow and Deny are final for that side; Pass skips the rest of the admin tier and hands
//    the side to the NetworkPolicies; no matching rule anywhere does the same.
// BaselineAdminNetworkPolicy is not modelled.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/policy/model.h"

namespace gquic::policy {

enum class AdminAction : std::uint8_t { allow, deny, pass };
std::string_view admin_action_name(AdminAction a) noexcept;

// Pods selected by `namespaces` (all pods in matching namespaces) or by `pods`
// (namespace selector AND pod selector).
struct AdminSelector {
  enum class Kind : std::uint8_t { namespaces, pods, networks };
  Kind kind = Kind::namespaces;
  LabelSelector namespace_selector;
  LabelSelector pod_selector;  // Kind::pods only
  std::vector<Cidr> networks;  // Kind::networks only (egress peers)
};

struct AdminRule {
  std::string name;
  AdminAction action = AdminAction::deny;
  std::vector<AdminSelector> peers;               // at least one
  std::optional<std::vector<PolicyPort>> ports;   // absent = every port and protocol
};

struct AdminNetworkPolicy {
  std::string name;
  std::int32_t priority = 0;  // 0..1000, lower first
  AdminSelector subject;      // namespaces or pods
  std::vector<AdminRule> ingress;
  std::vector<AdminRule> egress;
};

}  // namespace gquic::policy
