#include "gquic/discovery/lan_mapping.h"

#include <algorithm>
#include <utility>

#include "gquic/core/socket_address.h"

namespace gquic::discovery {
namespace {

// Endpoints grouped by (port, protocol), with their IP addresses (duplicates removed).
std::map<std::pair<std::uint16_t, std::string>, std::vector<IpAddress>> groups_of(const ServiceInfo& s,
                                                                                  bool by_family) {
  std::map<std::pair<std::uint16_t, std::string>, std::vector<IpAddress>> out;
  for (const Endpoint& e : s.endpoints) {
    auto a = SocketAddress::parse(e.address);
    if (!a) continue;
    std::string proto = e.protocol;
    if (by_family) proto = mdns::is_udp_protocol(proto) ? "udp" : "tcp";
    auto& ips = out[{a->port(), proto}];
    if (std::find(ips.begin(), ips.end(), a->ip()) == ips.end()) ips.push_back(a->ip());
  }
  return out;
}

std::string endpoint_address(const IpAddress& ip, std::uint16_t port) {
  return SocketAddress(ip, port).to_string();
}

}  // namespace

std::vector<gossip::ServiceRecord> to_gossip_records(const ServiceInfo& s) {
  std::vector<gossip::ServiceRecord> out;
  for (auto& [key, ips] : groups_of(s, false)) {
    gossip::ServiceRecord r;
    r.name = s.id.name;
    r.namespace_ = s.id.ns;
    r.version = s.id.version;
    r.protocol = key.second;
    r.port = key.first;
    r.addresses = ips;
    r.metadata = s.metadata;
    r.tags = s.tags;
    out.push_back(std::move(r));
  }
  return out;
}

std::string gossip_key(const gossip::ServiceRecord& r) { return r.key() + "/" + r.protocol; }

std::vector<mdns::ServiceInstance> to_mdns_instances(const ServiceInfo& s) {
  std::vector<mdns::ServiceInstance> out;
  for (auto& [key, ips] : groups_of(s, true)) {
    mdns::ServiceInstance m;
    m.name = s.id.name;
    m.namespace_ = s.id.ns;
    m.version = s.id.version;
    // The first endpoint's protocol of this family names it in TXT (proto=).
    for (const Endpoint& e : s.endpoints) {
      if ((mdns::is_udp_protocol(e.protocol) ? "udp" : "tcp") == key.second) {
        m.protocol = e.protocol;
        break;
      }
    }
    m.port = key.first;
    for (const IpAddress& ip : ips) {
      if (!ip.is_unspecified()) m.addresses.push_back(ip);
    }
    m.metadata = s.metadata;
    m.tags = s.tags;
    out.push_back(std::move(m));
  }
  return out;
}

ServiceInfo from_gossip_record(const gossip::ServiceRecord& r, const std::string& origin) {
  ServiceInfo s;
  s.id = {r.name, r.namespace_, r.version};
  for (const IpAddress& ip : r.addresses) {
    Endpoint e;
    e.address = endpoint_address(ip, r.port);
    e.protocol = r.protocol;
    s.endpoints.push_back(std::move(e));
  }
  s.metadata = r.metadata;
  s.tags = r.tags;
  s.origin_node = origin;
  s.source = ServiceSource::gossip;
  normalize(s);
  return s;
}

ServiceInfo from_mdns_instance(const mdns::ServiceInstance& m) {
  ServiceInfo s;
  s.id = {m.name, m.namespace_.empty() ? std::string(mdns::kLanNamespace) : m.namespace_,
          m.version.empty() ? std::string(kLanDefaultVersion) : m.version};
  for (const IpAddress& ip : m.addresses) {
    Endpoint e;
    e.address = endpoint_address(ip, m.port);
    e.protocol = m.protocol;
    s.endpoints.push_back(std::move(e));
  }
  s.metadata = m.metadata;
  s.tags = m.tags;
  s.origin_node = m.host.empty() ? m.instance : m.host;
  s.source = ServiceSource::mdns;
  normalize(s);
  return s;
}

ServiceInfo RemoteServices::set(const std::string& part, ServiceInfo s) {
  if (auto it = part_ids_.find(part); it != part_ids_.end() && !(it->second == s.id)) {
    (void)erase(part);  // the part now describes another service
  }
  const ServiceId id = s.id;
  part_ids_[part] = id;
  by_id_[id][part] = std::move(s);
  return *merged(id);
}

std::optional<RemoteServices::Removal> RemoteServices::erase(const std::string& part) {
  auto it = part_ids_.find(part);
  if (it == part_ids_.end()) return std::nullopt;
  Removal r{it->second, std::nullopt};
  part_ids_.erase(it);
  auto& parts = by_id_[r.id];
  parts.erase(part);
  if (parts.empty()) {
    by_id_.erase(r.id);
  } else {
    r.left = merged(r.id);
  }
  return r;
}

std::vector<std::string> RemoteServices::parts_with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = part_ids_.lower_bound(prefix); it != part_ids_.end() && it->first.starts_with(prefix); ++it) {
    out.push_back(it->first);
  }
  return out;
}

std::optional<ServiceInfo> RemoteServices::merged(const ServiceId& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.empty()) return std::nullopt;
  ServiceInfo out = it->second.begin()->second;
  out.endpoints.clear();
  for (const auto& [part, s] : it->second) {
    for (const Endpoint& e : s.endpoints) {
      const bool dup = std::any_of(out.endpoints.begin(), out.endpoints.end(), [&](const Endpoint& o) {
        return o.address == e.address && o.protocol == e.protocol;
      });
      if (!dup) out.endpoints.push_back(e);
    }
  }
  return out;
}

}  // namespace gquic::discovery
