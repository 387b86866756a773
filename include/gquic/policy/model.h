#pragma once
// The policy model: namespaces, containers (pods) and Kubernetes NetworkPolicy objects,
// as plain values. Semantics (shared by the reference evaluator and the compiled engine):
//
//  * A NetworkPolicy selects the pods of its own namespace matching `pod_selector` (the
//    empty selector selects all of them). A pod selected by at least one policy whose
//    types include Ingress is isolated for ingress; likewise for Egress. A pod selected by
//    none is not isolated in that direction and everything is allowed.
//  * Policy types default (when `policy_types` is absent): Ingress always; Egress when
//    the policy has at least one egress rule.
//  * An isolated direction allows exactly the union of the rules of every policy that
//    selects the pod for that direction. A policy with the type but no rules (missing or
//    empty list) allows nothing: it only isolates.
//  * A rule matches when one of its peers matches (no peers = every peer) and one of its
//    ports matches (no ports = every port and protocol).
//  * A peer with only podSelector selects pods of the policy's namespace; with only
//    namespaceSelector all pods of the matching namespaces ({} = all namespaces); with both
//    the pods matching podSelector inside matching namespaces (AND). An ipBlock matches
//    addresses inside `cidr` and outside every `except`; gquic applies ipBlocks to every
//    address, pod addresses included.
//  * A port entry matches its protocol (default TCP) and: any port when no port is given;
//    the number, or the range [port, end_port]; or a named port, resolved on the
//    destination pod's container ports (name and protocol must both match).
//  * A connection is allowed when the sender's egress AND the receiver's ingress allow it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/socket_address.h"
#include "gquic/policy/cidr.h"
#include "gquic/policy/labels.h"

namespace gquic::policy {

// IP protocol numbers the policy model names.
namespace proto {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t sctp = 132;
}  // namespace proto

// "TCP", "UDP", "SCTP", "ICMP", "ICMPv6" or the number.
std::string protocol_name(std::uint8_t protocol);
// TCP, UDP or SCTP (case-sensitive, as Kubernetes spells them).
std::optional<std::uint8_t> parse_l4_protocol(std::string_view text);

struct ContainerPort {
  std::string name;  // may be empty
  std::uint16_t port = 0;
  std::uint8_t protocol = proto::tcp;
};

struct Namespace {
  std::string name;
  Labels labels;  // the loader adds kubernetes.io/metadata.name=<name>, as Kubernetes does
};

// A container (pod) that can send and receive traffic.
struct ContainerPeerInfo {
  std::string container_id;  // the pod name, unique inside its namespace
  std::string namespace_;
  IpAddress assigned_ip;
  Labels labels;
  std::vector<ContainerPort> ports;
  // Names ("ns/name") of the NetworkPolicies selecting this container; filled by
  // `Cluster::annotate_policies`, informational only.
  std::vector<std::string> policies;
};

struct PolicyPort {
  // IP protocol. 0 only in admin named ports: the protocol of the named container port.
  std::uint8_t protocol = proto::tcp;
  std::optional<std::uint16_t> port;      // numeric port (or range start)
  std::optional<std::uint16_t> end_port;  // inclusive range end; requires `port`
  std::string named_port;                 // set instead of `port`
};

struct IpBlock {
  Cidr cidr;
  std::vector<Cidr> except;
  bool matches(const IpAddress& ip) const noexcept;
};

struct PolicyPeer {
  std::optional<LabelSelector> pod_selector;
  std::optional<LabelSelector> namespace_selector;
  std::optional<IpBlock> ip_block;
};

struct PolicyRule {
  std::vector<PolicyPeer> peers;  // empty = every peer
  std::vector<PolicyPort> ports;  // empty = every port and protocol
};

enum class PolicyType : std::uint8_t { ingress, egress };

struct NetworkPolicy {
  std::string name;
  std::string namespace_;
  LabelSelector pod_selector;
  std::optional<std::vector<PolicyType>> policy_types;  // absent = defaulted, see above
  std::vector<PolicyRule> ingress;
  std::vector<PolicyRule> egress;

  bool affects_ingress() const noexcept;
  bool affects_egress() const noexcept;
  std::string full_name() const { return namespace_ + "/" + name; }
};

// Does `p` match traffic of `protocol` to `port`, given the destination's container ports
// (null when the destination is not a known pod, so named ports cannot match)?
bool port_matches(const PolicyPort& p, std::uint8_t protocol, std::uint16_t port,
                  const std::vector<ContainerPort>* destination_ports) noexcept;
bool ports_match(const std::vector<PolicyPort>& ports, std::uint8_t protocol, std::uint16_t port,
                 const std::vector<ContainerPort>* destination_ports) noexcept;

}  // namespace gquic::policy
