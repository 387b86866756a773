#pragma once
// The reference evaluator: a direct walk over every policy for one connection. Slow and
// obviously correct; the compiled engine is tested against it. Its result says which
// policies decided each side.

#include <cstdint>
#include <string>
#include <vector>

#include "gquic/core/socket_address.h"
#include "gquic/policy/cluster.h"

namespace gquic::policy {

struct Connection {
  IpAddress src;
  IpAddress dst;
  std::uint8_t protocol = proto::tcp;
  std::uint16_t port = 0;  // destination port (0 for ICMP)
};

// Why one side (sender egress or receiver ingress) decided as it did.
enum class SideReason : std::uint8_t {
  not_a_pod,       // the endpoint is not a known container: nothing to enforce
  admin_allow,     // an AdminNetworkPolicy rule with action Allow matched
  admin_deny,      // ... with action Deny
  not_isolated,    // no NetworkPolicy selects the pod for this direction
  policy_allow,    // isolated, and at least one NetworkPolicy rule allows it
  policy_deny,     // isolated, and no rule allows it
};
std::string_view side_reason_name(SideReason r) noexcept;
inline bool side_reason_allows(SideReason r) noexcept {
  return r != SideReason::admin_deny && r != SideReason::policy_deny;
}

struct SideDecision {
  SideReason reason = SideReason::not_a_pod;
  // admin_*: the admin policy (and rule) that matched. policy_allow: every NetworkPolicy
  // with a rule allowing it. policy_deny: every NetworkPolicy isolating the pod.
  std::vector<std::string> policies;
  std::vector<std::string> passed_by;  // admin policies whose Pass rule handed over
  bool allowed() const noexcept { return side_reason_allows(reason); }
};

struct Decision {
  SideDecision egress;   // the sender's side
  SideDecision ingress;  // the receiver's side
  bool allowed() const noexcept { return egress.allowed() && ingress.allowed(); }
  std::string explain() const;
};

Decision evaluate(const Cluster& cluster, const Connection& c);
SideDecision evaluate_egress(const Cluster& cluster, const Connection& c);
SideDecision evaluate_ingress(const Cluster& cluster, const Connection& c);

}  // namespace gquic::policy
