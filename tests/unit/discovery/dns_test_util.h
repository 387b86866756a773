#pragma once
// Builds DNS queries and reads answers with ldns, for the DNS interface tests.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <ldns/ldns.h>

namespace gquic::discovery::test {

struct Pkt {
  struct Free {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
  };
  std::unique_ptr<ldns_pkt, Free> p;
  ldns_pkt* get() const { return p.get(); }
};

inline std::vector<std::uint8_t> make_query(const std::string& name, ldns_rr_type type,
                                            std::uint16_t edns_size = 0, std::uint16_t id = 4242) {
  ldns_pkt* q = ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), type, LDNS_RR_CLASS_IN,
                                   LDNS_RD);
  ldns_pkt_set_id(q, id);
  if (edns_size != 0) ldns_pkt_set_edns_udp_size(q, edns_size);
  std::uint8_t* wire = nullptr;
  std::size_t len = 0;
  ldns_pkt2wire(&wire, q, &len);
  std::vector<std::uint8_t> out(wire, wire + len);
  std::free(wire);
  ldns_pkt_free(q);
  return out;
}

inline Pkt parse(const std::vector<std::uint8_t>& wire) {
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, wire.data(), wire.size()) != LDNS_STATUS_OK) return Pkt{};
  return Pkt{std::unique_ptr<ldns_pkt, Pkt::Free>(p)};
}

// The rdata of every record of a section as text ("0 7 8080 192-0-2-1.web.prod.svc.gquic.").
inline std::vector<std::string> rdata(const ldns_rr_list* list, ldns_rr_type type) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (ldns_rr_get_type(rr) != type) continue;
    std::string s;
    for (std::size_t j = 0; j < ldns_rr_rd_count(rr); ++j) {
      char* t = ldns_rdf2str(ldns_rr_rdf(rr, j));
      if (!s.empty()) s += ' ';
      s += t;
      std::free(t);
    }
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gquic::discovery::test
