#pragma once
// Helpers for the policy tests: clusters from YAML, packets from fields.

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gquic/policy/engine.h"
#include "gquic/policy/evaluator.h"
#include "gquic/policy/manifest.h"

namespace gquic::policy::test {

// Namespaces x, y, z (label ns=<name>), pods a, b, c in each (label pod=<name>), pod IPs
// 10.0.<1|2|3>.<1|2|3>, named ports serve-80-tcp (80/TCP), serve-81-udp (81/UDP),
// serve-82-sctp (82/SCTP).
inline std::string base_yaml() {
  std::string out;
  const char* names = "xyz";
  for (int n = 0; n < 3; ++n) {
    out += std::string("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ") + names[n] +
           "\n  labels:\n    ns: " + names[n] + "\n";
  }
  for (int n = 0; n < 3; ++n) {
    for (int p = 0; p < 3; ++p) {
      out += std::string("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ") + "abc"[p] +
             "\n  namespace: " + names[n] + "\n  labels:\n    pod: " + "abc"[p] +
             "\nspec:\n  containers:\n  - name: c\n    ports:\n"
             "    - {name: serve-80-tcp, containerPort: 80}\n"
             "    - {name: serve-81-udp, containerPort: 81, protocol: UDP}\n"
             "    - {name: serve-82-sctp, containerPort: 82, protocol: SCTP}\n"
             "status:\n  podIP: 10.0." + std::to_string(n + 1) + "." + std::to_string(p + 1) + "\n";
    }
  }
  return out;
}

inline Cluster load_yaml(const std::string& yaml, bool with_base = true) {
  ManifestLoader l;
  if (with_base) l.add_text(base_yaml(), "base");
  l.add_text(yaml, "test");
  for (const auto& e : l.errors()) ADD_FAILURE() << e.to_string();
  return l.cluster();
}

inline IpAddress ip(const std::string& s) { return *IpAddress::parse(s); }

// "x/a" or an address.
inline IpAddress addr(const Cluster& cl, const std::string& who) {
  auto slash = who.find('/');
  if (slash != std::string::npos) {
    if (const auto* p = cl.find_container(who.substr(0, slash), who.substr(slash + 1))) {
      return p->assigned_ip;
    }
    ADD_FAILURE() << "no pod " << who;
  }
  return ip(who);
}

// The reference evaluator and the compiled engine must agree; returns the verdict.
inline bool allowed(const Cluster& cl, const std::string& from, const std::string& to,
                    std::uint16_t port, std::uint8_t protocol = proto::tcp) {
  const Connection c{addr(cl, from), addr(cl, to), protocol, port};
  const Decision d = evaluate(cl, c);
  Engine e;
  e.set_cluster(cl);
  const Verdict v = e.decide(c);
  EXPECT_EQ(v.allowed, d.allowed()) << from << " -> " << to << " " << port << ": " << d.explain();
  return d.allowed();
}

// ---- packets ----
inline void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

// An L4 header: TCP (20 bytes), UDP/SCTP (8+4), ICMP echo (8).
inline std::vector<std::uint8_t> l4_header(std::uint8_t protocol, std::uint16_t sport,
                                           std::uint16_t dport, std::uint8_t flags_or_type = 0,
                                           std::uint16_t icmp_id = 0) {
  std::vector<std::uint8_t> b;
  if (protocol == proto::tcp) {
    b.assign(20, 0);
    put16(b, 0, sport);
    put16(b, 2, dport);
    b[12] = 5 << 4;
    b[13] = flags_or_type;
  } else if (protocol == proto::icmp || protocol == proto::icmpv6) {
    b.assign(8, 0);
    b[0] = flags_or_type;
    put16(b, 4, icmp_id);
  } else {
    b.assign(12, 0);
    put16(b, 0, sport);
    put16(b, 2, dport);
  }
  return b;
}

inline std::vector<std::uint8_t> ipv4(const IpAddress& src, const IpAddress& dst,
                                      std::uint8_t protocol, const std::vector<std::uint8_t>& l4,
                                      std::uint16_t frag_field = 0, std::uint16_t id = 0) {
  std::vector<std::uint8_t> b(20, 0);
  b[0] = 0x45;
  put16(b, 2, static_cast<std::uint16_t>(20 + l4.size()));
  put16(b, 4, id);
  put16(b, 6, frag_field);
  b[8] = 64;
  b[9] = protocol;
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = src.bytes()[i];
    b[16 + i] = dst.bytes()[i];
  }
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

inline std::vector<std::uint8_t> tcp4(const IpAddress& s, const IpAddress& d, std::uint16_t sp,
                                      std::uint16_t dp, std::uint8_t flags = tcp_flag::syn) {
  return ipv4(s, d, proto::tcp, l4_header(proto::tcp, sp, dp, flags));
}
inline std::vector<std::uint8_t> udp4(const IpAddress& s, const IpAddress& d, std::uint16_t sp,
                                      std::uint16_t dp) {
  return ipv4(s, d, proto::udp, l4_header(proto::udp, sp, dp));
}
inline std::vector<std::uint8_t> icmp4(const IpAddress& s, const IpAddress& d, std::uint8_t type,
                                       std::uint16_t id) {
  return ipv4(s, d, proto::icmp, l4_header(proto::icmp, 0, 0, type, id));
}

// IPv6 with extension headers: each entry is (type, total length in bytes, multiple of 8).
inline std::vector<std::uint8_t> ipv6(const IpAddress& src, const IpAddress& dst,
                                      std::uint8_t protocol, const std::vector<std::uint8_t>& l4,
                                      std::vector<std::pair<std::uint8_t, std::size_t>> ext = {},
                                      std::uint16_t frag_offset_flags = 0, std::uint32_t frag_id = 0) {
  std::vector<std::uint8_t> payload;
  for (std::size_t i = 0; i < ext.size(); ++i) {
    const auto [type, len] = ext[i];
    std::vector<std::uint8_t> h(len, 0);
    h[0] = i + 1 < ext.size() ? ext[i + 1].first : protocol;
    if (type == 44) {
      put16(h, 2, frag_offset_flags);
      h[4] = static_cast<std::uint8_t>(frag_id >> 24);
      h[5] = static_cast<std::uint8_t>(frag_id >> 16);
      h[6] = static_cast<std::uint8_t>(frag_id >> 8);
      h[7] = static_cast<std::uint8_t>(frag_id);
    } else if (type == 51) {
      h[1] = static_cast<std::uint8_t>(len / 4 - 2);
    } else {
      h[1] = static_cast<std::uint8_t>(len / 8 - 1);
    }
    payload.insert(payload.end(), h.begin(), h.end());
  }
  payload.insert(payload.end(), l4.begin(), l4.end());
  std::vector<std::uint8_t> b(40, 0);
  b[0] = 0x60;
  put16(b, 4, static_cast<std::uint16_t>(payload.size()));
  b[6] = ext.empty() ? protocol : ext[0].first;
  b[7] = 64;
  for (int i = 0; i < 16; ++i) {
    b[8 + i] = src.bytes()[i];
    b[24 + i] = dst.bytes()[i];
  }
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

}  // namespace gquic::policy::test
