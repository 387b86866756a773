#pragma once
// The DNS interface of the registry, sans-IO: a query datagram (or TCP message without its
// length prefix) in, the answer out. ldns does the wire format.
//
// Names (all under the zone `svc.<domain>`, domain "gquic" by default):
//   <name>.<namespace>.svc.<domain>        SRV: one per healthy endpoint of every version
//                                               (priority 0, the endpoint's weight and port,
//                                               target <host>.<name>.<namespace>.svc.<domain>)
//                                          A/AAAA: addresses of the healthy endpoints
//                                          TXT: one "key=value" string per service metadata
//                                               entry (plus "version=..."), per version
//                                          ANY: all of the above
//   <host>.<name>.<namespace>.svc.<domain> A/AAAA of that endpoint; <host> is its IP with '.'
//                                          and ':' written as '-' (192-0-2-1, 2001-db8--1)
// SRV answers carry the targets' A/AAAA in the additional section. A known name without
// healthy endpoints, or a type it has no data for, answers NOERROR with no records (NODATA);
// an unknown name NXDOMAIN; both with the zone's SOA in the authority section (its minimum is
// the negative TTL). Names outside the zone are REFUSED; opcodes other than QUERY NOTIMP;
// queries with other than one question FORMERR.
//
// TTLs: the remaining lifetime of the registration (never past its expiry), capped at
// `max_ttl`; `default_ttl` for services without a TTL.
// Truncation: over UDP the answer must fit 512 bytes, or the EDNS0 size the client advertised
// (at most `udp_max_payload`); a larger answer is replaced by the question alone with TC set,
// so resolvers retry over TCP, where the limit is 65,535.
// Drops (no answer at all): input shorter than a DNS header, responses (QR set); counted.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/discovery/registry.h"

namespace gquic::discovery {

enum class DnsTransport : std::uint8_t { udp, tcp };

struct DnsOptions {
  std::string domain = "gquic";
  std::chrono::seconds max_ttl{30};
  std::chrono::seconds default_ttl{5};
  std::chrono::seconds negative_ttl{5};
  std::uint16_t udp_max_payload = 4096;
};

enum class DnsDropReason : std::uint8_t { too_short, not_a_query, count_ };

struct DnsStats {
  std::uint64_t queries = 0;
  std::uint64_t noerror = 0;
  std::uint64_t nxdomain = 0;
  std::uint64_t refused = 0;
  std::uint64_t formerr = 0;
  std::uint64_t notimp = 0;
  std::uint64_t truncated = 0;
  std::uint64_t dropped[static_cast<int>(DnsDropReason::count_)] = {};
};

class DnsResponder {
 public:
  DnsResponder(const ServiceRegistry& registry, DnsOptions options = {});

  // The response bytes, or Errc::malformed when the query is dropped (see above).
  Result<std::vector<std::uint8_t>> answer(std::span<const std::uint8_t> query,
                                           DnsTransport transport, TimePoint now);

  const DnsOptions& options() const noexcept { return options_; }
  const DnsStats& stats() const noexcept { return stats_; }

 private:
  const ServiceRegistry& registry_;
  DnsOptions options_;
  std::string zone_;  // "svc.<domain>." lowercase
  DnsStats stats_;
};

// The host label of an endpoint address ("192-0-2-1" for 192.0.2.1:80).
std::string dns_host_label(std::string_view address);

}  // namespace gquic::discovery
