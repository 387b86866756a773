#pragma once
// How a gquic service maps onto DNS-SD (RFC 6763):
//   service type  _<name>._tcp.local.  for tcp, http and https endpoints
//                 _<name>._udp.local.  for udp and quic
//   instance      <namespace>-<version>, or <namespace> without a version
//   SRV           port and host of the endpoint; A/AAAA for the host's addresses
//   TXT           "ns=<namespace>", "ver=<version>", "proto=<protocol>", "tags=<a,b>" and one
//                 "<key>=<value>" per metadata entry (keys not starting with those names)
// A service browsed on the LAN without an "ns" key gets namespace `lan`.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/mdns/dns_message.h"

namespace gquic::mdns {

inline constexpr std::string_view kLanNamespace = "lan";

struct ServiceInstance {
  std::string name;        // the service name (DNS-SD service label without '_')
  std::string namespace_;
  std::string version;
  std::string protocol = "tcp";  // tcp, http, https, udp, quic
  std::uint16_t port = 0;
  std::string host;        // host label, without ".local"; empty: the responder's host
  std::vector<IpAddress> addresses;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> tags;
  std::string instance;    // the DNS-SD instance label it has on the LAN (set by the cores)
  friend bool operator==(const ServiceInstance&, const ServiceInstance&) = default;
};

bool is_udp_protocol(std::string_view protocol) noexcept;
// _<name>._tcp.local. / _<name>._udp.local.; invalid_argument for an unusable name.
Result<Name> service_type(const ServiceInstance& s);
std::string instance_label(const ServiceInstance& s);  // <namespace>-<version> or <namespace>
std::vector<std::string> txt_strings(const ServiceInstance& s);
// Fills namespace, version, protocol (from the type when TXT has none), metadata and tags.
void apply_txt(ServiceInstance& s, const std::vector<std::string>& txt);
// "name (2)" from "name", "name (3)" from "name (2)".
std::string next_name(std::string_view label);

}  // namespace gquic::mdns
