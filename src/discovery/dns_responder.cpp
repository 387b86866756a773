#include "gquic/discovery/dns_responder.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include <ldns/ldns.h>

#include "gquic/core/socket_address.h"

namespace gquic::discovery {
namespace {

struct PktFree {
  void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;
struct RdfFree {
  void operator()(ldns_rdf* r) const noexcept { ldns_rdf_deep_free(r); }
};
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split_labels(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t dot = s.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? s.size() : dot;
    out.emplace_back(s.substr(start, end - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

// Builds one record; ldns owns the rdfs once pushed.
ldns_rr* make_rr(ldns_rr_type type, const std::string& owner, std::uint32_t ttl) {
  ldns_rdf* o = ldns_dname_new_frm_str(owner.c_str());
  if (o == nullptr) return nullptr;
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, o);
  ldns_rr_set_type(rr, type);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr, ttl);
  return rr;
}

ldns_rr* address_rr(const std::string& owner, const IpAddress& ip, std::uint32_t ttl) {
  ldns_rr* rr = make_rr(ip.is_v4() ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, owner, ttl);
  if (rr == nullptr) return nullptr;
  ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(ip.is_v4() ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
                                             ip.is_v4() ? 4 : 16, ip.bytes().data()));
  return rr;
}

// A <character-string>: one length byte, at most 255 bytes.
ldns_rdf* txt_string(std::string_view s) {
  s = s.substr(0, 255);
  std::uint8_t buf[256];
  buf[0] = static_cast<std::uint8_t>(s.size());
  std::memcpy(buf + 1, s.data(), s.size());
  return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, s.size() + 1, buf);
}

struct Healthy {
  SocketAddress address;
  std::uint16_t weight;
  std::string host;  // owner name of its A/AAAA
};

}  // namespace

std::string dns_host_label(std::string_view address) {
  auto a = SocketAddress::parse(address);
  if (!a) return {};
  std::string s = a->ip().to_string();
  std::replace(s.begin(), s.end(), '.', '-');
  std::replace(s.begin(), s.end(), ':', '-');
  return s;
}

DnsResponder::DnsResponder(const ServiceRegistry& registry, DnsOptions options)
    : registry_(registry), options_(std::move(options)) {
  std::string d = lower(options_.domain);
  while (!d.empty() && d.back() == '.') d.pop_back();
  zone_ = "svc." + d + ".";
}

Result<std::vector<std::uint8_t>> DnsResponder::answer(std::span<const std::uint8_t> query,
                                                       DnsTransport transport, TimePoint now) {
  if (query.size() < 12) {
    ++stats_.dropped[static_cast<int>(DnsDropReason::too_short)];
    return Errc::malformed;
  }
  if ((query[2] & 0x80) != 0) {  // QR: a response, never answered (no loops)
    ++stats_.dropped[static_cast<int>(DnsDropReason::not_a_query)];
    return Errc::malformed;
  }
  ++stats_.queries;
  const std::uint16_t id = static_cast<std::uint16_t>(query[0] << 8 | query[1]);
  const bool rd = (query[2] & 0x01) != 0;

  PktPtr resp(ldns_pkt_new());
  ldns_pkt_set_id(resp.get(), id);
  ldns_pkt_set_qr(resp.get(), true);
  ldns_pkt_set_rd(resp.get(), rd);

  auto finish = [&](ldns_pkt* p) -> Result<std::vector<std::uint8_t>> {
    std::uint8_t* wire = nullptr;
    std::size_t len = 0;
    if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK || wire == nullptr) {
      std::free(wire);
      return Errc::malformed;
    }
    std::vector<std::uint8_t> out(wire, wire + len);
    std::free(wire);
    return out;
  };
  auto error_reply = [&](ldns_pkt_rcode rcode) {
    ldns_pkt_set_rcode(resp.get(), static_cast<std::uint8_t>(rcode));
    return finish(resp.get());
  };

  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, query.data(), query.size()) != LDNS_STATUS_OK || raw == nullptr) {
    ++stats_.formerr;
    return error_reply(LDNS_RCODE_FORMERR);
  }
  PktPtr q(raw);
  if (ldns_pkt_get_opcode(q.get()) != LDNS_PACKET_QUERY) {
    ++stats_.notimp;
    ldns_pkt_set_opcode(resp.get(), ldns_pkt_get_opcode(q.get()));
    return error_reply(LDNS_RCODE_NOTIMPL);
  }
  if (ldns_pkt_qdcount(q.get()) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(q.get())) != 1) {
    ++stats_.formerr;
    return error_reply(LDNS_RCODE_FORMERR);
  }
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(q.get()), 0);
  const ldns_rr_type qtype = ldns_rr_get_type(question);
  ldns_pkt_push_rr(resp.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(question));
  const bool edns = ldns_pkt_edns(q.get());
  if (edns) ldns_pkt_set_edns_udp_size(resp.get(), options_.udp_max_payload);

  char* owner_c = ldns_rdf2str(ldns_rr_owner(question));
  if (owner_c == nullptr) {
    ++stats_.formerr;
    return error_reply(LDNS_RCODE_FORMERR);
  }
  const std::string qname = lower(owner_c);
  std::free(owner_c);

  if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN ||
      qname.size() <= zone_.size() + 1 ||
      qname.compare(qname.size() - zone_.size(), zone_.size(), zone_) != 0 ||
      qname[qname.size() - zone_.size() - 1] != '.') {
    ++stats_.refused;
    return error_reply(LDNS_RCODE_REFUSED);
  }
  ldns_pkt_set_aa(resp.get(), true);
  const auto labels = split_labels(
      std::string_view(qname).substr(0, qname.size() - zone_.size() - 1));

  auto push_soa = [&] {
    ldns_rr* soa = make_rr(LDNS_RR_TYPE_SOA, zone_,
                           static_cast<std::uint32_t>(options_.negative_ttl.count()));
    ldns_rr_push_rdf(soa, ldns_dname_new_frm_str(("ns." + zone_).c_str()));
    ldns_rr_push_rdf(soa, ldns_dname_new_frm_str(("hostmaster." + zone_).c_str()));
    ldns_rr_push_rdf(soa, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
                                                static_cast<std::uint32_t>(registry_.last_sequence())));
    ldns_rr_push_rdf(soa, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 60));
    ldns_rr_push_rdf(soa, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 10));
    ldns_rr_push_rdf(soa, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 3600));
    ldns_rr_push_rdf(soa, ldns_native2rdf_int32(
                              LDNS_RDF_TYPE_PERIOD, static_cast<std::uint32_t>(options_.negative_ttl.count())));
    ldns_pkt_push_rr(resp.get(), LDNS_SECTION_AUTHORITY, soa);
  };

  std::vector<const ServiceInfo*> services;
  std::string host_filter;
  if (labels.size() == 2) {
    services = registry_.find_all_versions(labels[0], labels[1]);
  } else if (labels.size() == 3) {
    services = registry_.find_all_versions(labels[1], labels[2]);
    host_filter = labels[0];
  }
  const std::string base =
      labels.size() >= 2 ? labels[labels.size() - 2] + "." + labels.back() + "." + zone_ : "";

  // Healthy endpoints and the TTL: the smallest remaining lifetime, capped.
  std::vector<Healthy> healthy;
  std::uint32_t ttl = static_cast<std::uint32_t>(options_.max_ttl.count());
  for (const ServiceInfo* s : services) {
    std::chrono::seconds left = options_.default_ttl;
    if (auto exp = registry_.expires_at(s->id)) {
      left = std::chrono::duration_cast<std::chrono::seconds>(*exp - now);
      if (left.count() < 0) left = std::chrono::seconds(0);
    }
    ttl = std::min<std::uint32_t>(ttl, static_cast<std::uint32_t>(left.count()));
    for (const Endpoint& e : s->endpoints) {
      if (e.health != Health::healthy) continue;
      auto a = SocketAddress::parse(e.address);
      if (!a) continue;
      std::string label = dns_host_label(e.address);
      if (!host_filter.empty() && label != host_filter) continue;
      healthy.push_back({*a, e.weight, label + "." + base});
    }
  }
  bool host_known = host_filter.empty();
  if (!host_filter.empty()) {
    for (const ServiceInfo* s : services) {
      for (const Endpoint& e : s->endpoints) host_known |= dns_host_label(e.address) == host_filter;
    }
  }
  if (services.empty() || !host_known) {
    ++stats_.nxdomain;
    ldns_pkt_set_rcode(resp.get(), LDNS_RCODE_NXDOMAIN);
    push_soa();
    return finish(resp.get());
  }

  const bool any = qtype == LDNS_RR_TYPE_ANY;
  std::size_t answers = 0;
  auto push = [&](ldns_pkt_section sec, ldns_rr* rr) {
    if (rr == nullptr) return;
    if (sec == LDNS_SECTION_ANSWER) ++answers;
    ldns_pkt_push_rr(resp.get(), sec, rr);
  };
  const bool srv = (qtype == LDNS_RR_TYPE_SRV || any) && host_filter.empty();
  if (srv) {
    for (const Healthy& h : healthy) {
      ldns_rr* rr = make_rr(LDNS_RR_TYPE_SRV, qname, ttl);
      ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0));
      ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, h.weight));
      ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, h.address.port()));
      ldns_rr_push_rdf(rr, ldns_dname_new_frm_str(h.host.c_str()));
      push(LDNS_SECTION_ANSWER, rr);
    }
  }
  for (bool v4 : {true, false}) {
    const ldns_rr_type t = v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
    const bool in_answer = qtype == t || any;
    if (!in_answer && !srv) continue;
    std::set<std::pair<std::string, std::string>> seen;  // (owner, ip)
    for (const Healthy& h : healthy) {
      if (h.address.is_v4() != v4) continue;
      const std::string owner = srv ? h.host : qname;
      if (!seen.emplace(owner, h.address.ip().to_string()).second) continue;
      push(in_answer && !srv ? LDNS_SECTION_ANSWER : LDNS_SECTION_ADDITIONAL,
           address_rr(owner, h.address.ip(), ttl));
    }
  }
  if ((qtype == LDNS_RR_TYPE_TXT || any) && host_filter.empty()) {
    for (const ServiceInfo* s : services) {
      ldns_rr* rr = make_rr(LDNS_RR_TYPE_TXT, qname, ttl);
      ldns_rr_push_rdf(rr, txt_string("version=" + s->id.version));
      for (const auto& [k, v] : s->metadata) ldns_rr_push_rdf(rr, txt_string(k + "=" + v));
      push(LDNS_SECTION_ANSWER, rr);
    }
  }
  if (answers == 0) push_soa();  // NODATA
  ++stats_.noerror;

  auto wire = finish(resp.get());
  if (!wire) return wire;
  std::size_t limit = 65535;
  if (transport == DnsTransport::udp) {
    limit = 512;
    if (edns) {
      limit = std::clamp<std::size_t>(ldns_pkt_edns_udp_size(q.get()), 512,
                                      options_.udp_max_payload);
    }
  }
  if (wire->size() <= limit) return wire;
  // Too large: the question alone with TC, so the client asks again over TCP.
  ++stats_.truncated;
  PktPtr tc(ldns_pkt_new());
  ldns_pkt_set_id(tc.get(), id);
  ldns_pkt_set_qr(tc.get(), true);
  ldns_pkt_set_rd(tc.get(), rd);
  ldns_pkt_set_aa(tc.get(), true);
  ldns_pkt_set_tc(tc.get(), true);
  if (edns) ldns_pkt_set_edns_udp_size(tc.get(), options_.udp_max_payload);
  ldns_pkt_push_rr(tc.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(question));
  return finish(tc.get());
}

}  // namespace gquic::discovery
