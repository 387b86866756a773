#pragma once
// How registry services map onto the records of the LAN and gossip backends (sans-IO):
//
//   * gossip: one gossip::ServiceRecord per (port, protocol) group of a service's endpoints,
//     registered under the key "<namespace>/<name>/<version>@<port>/<protocol>";
//   * mDNS/DNS-SD: one mdns::ServiceInstance per (port, tcp|udp family) group, published as
//     `_<name>._tcp.local.` / `_<name>._udp.local.` with instance `<namespace>-<version>`.
//
// A remote service may arrive in several parts (one per port, or the same id from several
// members or LAN hosts). RemoteServices keeps every part by (id, part key) and rebuilds the
// merged ServiceInfo the registry stores: endpoints of every part, metadata and tags of the
// first part, origin of the first part.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gquic/discovery/service.h"
#include "gquic/gossip/service_record.h"
#include "gquic/mdns/service.h"

namespace gquic::discovery {

// Version given to LAN services whose TXT has no `ver=` (the registry requires one).
inline constexpr std::string_view kLanDefaultVersion = "0";

std::vector<gossip::ServiceRecord> to_gossip_records(const ServiceInfo& s);
std::string gossip_key(const gossip::ServiceRecord& r);  // key() + "/" + protocol
std::vector<mdns::ServiceInstance> to_mdns_instances(const ServiceInfo& s);

// One part of a remote service: its id and the parts of a ServiceInfo it contributes.
ServiceInfo from_gossip_record(const gossip::ServiceRecord& r, const std::string& origin);
ServiceInfo from_mdns_instance(const mdns::ServiceInstance& m);

class RemoteServices {
 public:
  // Adds or replaces a part; returns the merged service of its id.
  ServiceInfo set(const std::string& part, ServiceInfo s);
  // Removes a part; returns the id it belonged to and the merged service left (nullopt: no
  // part left, the service is gone). nullopt id: unknown part.
  struct Removal {
    ServiceId id;
    std::optional<ServiceInfo> left;
  };
  std::optional<Removal> erase(const std::string& part);
  // Every part whose key starts with `prefix` (e.g. the parts of one gossip member).
  std::vector<std::string> parts_with_prefix(const std::string& prefix) const;
  std::size_t size() const noexcept { return part_ids_.size(); }

 private:
  std::optional<ServiceInfo> merged(const ServiceId& id) const;
  std::map<ServiceId, std::map<std::string, ServiceInfo>> by_id_;
  std::map<std::string, ServiceId> part_ids_;
};

}  // namespace gquic::discovery
