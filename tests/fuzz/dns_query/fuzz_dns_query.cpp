// Fuzzes the DNS interface's query path: any datagram over UDP and TCP against a small
// registry. An answer, when there is one, must be a DNS response with the query's id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/discovery/dns_responder.h"

using namespace gquic::discovery;

namespace {

ServiceRegistry& registry() {
  static ServiceRegistry reg = [] {
    ServiceRegistry r;
    const gquic::TimePoint t0{std::chrono::seconds(100)};
    ServiceInfo s;
    s.id = {"web", "prod", "v1"};
    s.endpoints = {Endpoint{.address = "192.0.2.1:80"}, Endpoint{.address = "[2001:db8::1]:443"}};
    s.metadata = {{"k", "v"}};
    s.ttl = std::chrono::seconds(30);
    (void)r.register_service(s, t0);
    s.id.name = "big";
    s.endpoints.clear();
    for (int i = 1; i < 40; ++i) s.endpoints.push_back(Endpoint{.address = "198.51.100." + std::to_string(i) + ":1"});
    (void)r.register_service(s, t0);
    return r;
  }();
  return reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static DnsResponder dns(registry());
  const gquic::TimePoint now{std::chrono::seconds(110)};
  std::span<const std::uint8_t> q(data, size);
  for (auto t : {DnsTransport::udp, DnsTransport::tcp}) {
    auto r = dns.answer(q, t, now);
    if (!r) continue;
    if (r->size() < 12 || (*r)[0] != data[0] || (*r)[1] != data[1] || ((*r)[2] & 0x80) == 0) {
      std::abort();
    }
    if (t == DnsTransport::udp && r->size() > 4096) std::abort();
  }
  return 0;
}
