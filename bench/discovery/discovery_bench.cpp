// Service discovery queries and DNS answers, each against a baseline measured in the same run:
//   BM_Query/<shape>/indexed   ServiceRegistry::query over 100,000 services (the indexes)
//   BM_Query/<shape>/linear    query_linear: the same predicates checked on every service
//     shapes: exact name, glob prefix ("svc-4242*"), namespace+tag, namespace+tag+healthy
//   ratio = linear time / indexed time (the indexes' speed-up).
//   BM_DnsAnswer          DnsResponder::answer for an SRV query (parse, lookup, encode)
//   BM_DnsStaticAnswer    the floor: copy a precomputed answer and patch its id
//   BM_DnsParseAndStaticAnswer  a static server that parses the query (ldns) first
//   ratio = DnsAnswer time / DnsStaticAnswer time (and / DnsParseAndStaticAnswer time).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gquic/discovery/dns_responder.h"
#include "gquic/discovery/registry.h"

// After the C++ headers: ldns's C headers may redefine `bool`.
#include <ldns/ldns.h>

using namespace gquic;
using namespace gquic::discovery;

namespace {

constexpr int kServices = 100'000;
const TimePoint t0{std::chrono::seconds(1000)};

ServiceRegistry& registry() {
  static ServiceRegistry reg = [] {
    ServiceRegistry r;
    for (int i = 0; i < kServices; ++i) {
      ServiceInfo s;
      s.id = {"svc-" + std::to_string(i), "ns" + std::to_string(i % 50), "v1"};
      s.endpoints = {Endpoint{.address = "10." + std::to_string((i >> 16) & 255) + "." +
                                         std::to_string((i >> 8) & 255) + "." +
                                         std::to_string(i & 255) + ":8080",
                              .health = i % 7 == 0 ? Health::unhealthy : Health::healthy}};
      s.tags = {"tag" + std::to_string(i % 100), "tier" + std::to_string(i % 3)};
      s.metadata = {{"zone", "z" + std::to_string(i % 4)}};
      s.ttl = std::chrono::seconds(3600);
      (void)r.register_service(std::move(s), t0);
    }
    return r;
  }();
  return reg;
}

ServiceQuery shape(int which) {
  ServiceQuery q;
  switch (which) {
    case 0: q.name_pattern = "svc-4242"; break;
    case 1: q.name_pattern = "svc-4242*"; break;
    case 2: q.ns = "ns7"; q.required_tags = {"tag57"}; break;
    default: q.ns = "ns7"; q.required_tags = {"tag57"}; q.require_healthy = true; break;
  }
  return q;
}

const char* kShapeNames[] = {"exact", "prefix", "ns_tag", "ns_tag_healthy"};

void BM_Query(benchmark::State& state) {
  const ServiceRegistry& reg = registry();
  const ServiceQuery q = shape(static_cast<int>(state.range(0)));
  const bool linear = state.range(1) != 0;
  std::size_t found = 0;
  for (auto _ : state) {
    auto r = linear ? reg.query_linear(q) : reg.query(q);
    found = r.size();
    benchmark::DoNotOptimize(r.data());
  }
  state.SetLabel(std::string(kShapeNames[state.range(0)]) + (linear ? "/linear" : "/indexed") +
                 " results=" + std::to_string(found));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Query)->ArgsProduct({{0, 1, 2, 3}, {0, 1}});

std::vector<std::uint8_t> srv_query(const std::string& name) {
  ldns_pkt* q = ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), LDNS_RR_TYPE_SRV,
                                   LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_id(q, 7);
  std::uint8_t* wire = nullptr;
  std::size_t len = 0;
  ldns_pkt2wire(&wire, q, &len);
  std::vector<std::uint8_t> out(wire, wire + len);
  std::free(wire);
  ldns_pkt_free(q);
  return out;
}

void BM_DnsAnswer(benchmark::State& state) {
  DnsResponder dns(registry());
  const auto query = srv_query("svc-4243.ns43.svc.gquic.");
  std::size_t size = 0;
  for (auto _ : state) {
    auto a = dns.answer(query, DnsTransport::udp, t0);
    size = a ? a->size() : 0;
    benchmark::DoNotOptimize(size);
  }
  if (size == 0) state.SkipWithError("no answer");
  state.SetLabel("answer bytes=" + std::to_string(size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DnsAnswer);

void BM_DnsStaticAnswer(benchmark::State& state) {
  DnsResponder dns(registry());
  const auto query = srv_query("svc-4243.ns43.svc.gquic.");
  const std::vector<std::uint8_t> canned = *dns.answer(query, DnsTransport::udp, t0);
  for (auto _ : state) {
    std::vector<std::uint8_t> a(canned);  // the answer a static server would send
    a[0] = query[0];
    a[1] = query[1];
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DnsStaticAnswer);

// A static server that still parses each query with ldns before sending its canned answer.
void BM_DnsParseAndStaticAnswer(benchmark::State& state) {
  DnsResponder dns(registry());
  const auto query = srv_query("svc-4243.ns43.svc.gquic.");
  const std::vector<std::uint8_t> canned = *dns.answer(query, DnsTransport::udp, t0);
  for (auto _ : state) {
    ldns_pkt* p = nullptr;
    if (ldns_wire2pkt(&p, query.data(), query.size()) != LDNS_STATUS_OK) state.SkipWithError("parse");
    std::vector<std::uint8_t> a(canned);
    a[0] = static_cast<std::uint8_t>(ldns_pkt_id(p) >> 8);
    a[1] = static_cast<std::uint8_t>(ldns_pkt_id(p));
    ldns_pkt_free(p);
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DnsParseAndStaticAnswer);

}  // namespace

BENCHMARK_MAIN();
