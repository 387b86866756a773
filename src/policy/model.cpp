#include "gquic/policy/model.h"

#include <algorithm>

namespace gquic::policy {

std::string protocol_name(std::uint8_t protocol) {
  switch (protocol) {
    case proto::tcp: return "TCP";
    case proto::udp: return "UDP";
    case proto::sctp: return "SCTP";
    case proto::icmp: return "ICMP";
    case proto::icmpv6: return "ICMPv6";
    default: return std::to_string(protocol);
  }
}

std::optional<std::uint8_t> parse_l4_protocol(std::string_view text) {
  if (text == "TCP") return proto::tcp;
  if (text == "UDP") return proto::udp;
  if (text == "SCTP") return proto::sctp;
  return std::nullopt;
}

bool IpBlock::matches(const IpAddress& ip) const noexcept {
  if (!cidr.contains(ip)) return false;
  for (const auto& e : except) {
    if (e.contains(ip)) return false;
  }
  return true;
}

namespace {
bool has_type(const std::vector<PolicyType>& types, PolicyType t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}
}  // namespace

bool NetworkPolicy::affects_ingress() const noexcept {
  return policy_types ? has_type(*policy_types, PolicyType::ingress) : true;
}

bool NetworkPolicy::affects_egress() const noexcept {
  return policy_types ? has_type(*policy_types, PolicyType::egress) : !egress.empty();
}

bool port_matches(const PolicyPort& p, std::uint8_t protocol, std::uint16_t port,
                  const std::vector<ContainerPort>* destination_ports) noexcept {
  if (!p.named_port.empty()) {
    if (destination_ports == nullptr) return false;
    for (const auto& cp : *destination_ports) {
      if (cp.name == p.named_port && cp.port == port && cp.protocol == protocol &&
          (p.protocol == 0 || p.protocol == protocol)) {
        return true;
      }
    }
    return false;
  }
  if (p.protocol != protocol) return false;
  if (!p.port) return true;
  if (p.end_port) return port >= *p.port && port <= *p.end_port;
  return port == *p.port;
}

bool ports_match(const std::vector<PolicyPort>& ports, std::uint8_t protocol, std::uint16_t port,
                 const std::vector<ContainerPort>* destination_ports) noexcept {
  if (ports.empty()) return true;
  for (const auto& p : ports) {
    if (port_matches(p, protocol, port, destination_ports)) return true;
  }
  return false;
}

}  // namespace gquic::policy
