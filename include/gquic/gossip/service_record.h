#pragma once
// ServiceRecord: what a gossip registration payload carries, a small stand-alone model of a
// service endpoint (the discovery registry maps its own records onto it).
//
// Encoding (big-endian): u8 version (1), then u8-length strings name, namespace, version,
// protocol; u16 port; u8 address count, addresses as u8 family (4|6) + 4|16 bytes;
// u8 metadata count, pairs of u8-length key and u16-length value; u8 tag count, u8-length
// tags. At most kMaxPayloadLength bytes in all.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::gossip {

struct ServiceRecord {
  std::string name;
  std::string namespace_;
  std::string version;
  std::string protocol;  // tcp, http, https, udp, quic
  std::uint16_t port = 0;
  std::vector<IpAddress> addresses;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> tags;
  friend bool operator==(const ServiceRecord&, const ServiceRecord&) = default;
  // "<namespace>/<name>/<version>@<port>": the registration key used by the gossip core.
  std::string key() const;
};

// invalid_argument when a field is too long or the record exceeds kMaxPayloadLength.
Result<std::vector<std::uint8_t>> encode(const ServiceRecord& r);
Result<ServiceRecord> decode_service_record(std::span<const std::uint8_t> bytes);

}  // namespace gquic::gossip
