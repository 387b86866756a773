// Policy engine cost per packet at scale (10,000 containers, 1,000 NetworkPolicies),
// against the floor of parsing the same packets' headers, measured in the same run:
//   ratio_to_floor = ns per verdict / ns per parse-only
// plus the time to apply one policy update (compile + publish a new snapshot).
#include <benchmark/benchmark.h>

#include <time.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "gquic/policy/engine.h"

namespace {

// This thread's CPU time in ns: the ratios compare CPU time, so other processes on the
// machine do not skew them.
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

using namespace gquic;
using namespace gquic::policy;

constexpr int kNamespaces = 100;
constexpr int kPodsPerNamespace = 100;  // 10,000 containers
constexpr int kPoliciesPerNamespace = 10;  // 1,000 policies
constexpr int kApps = 20;

IpAddress pod_ip(int i) { return IpAddress::v4(0x0a000000u + static_cast<std::uint32_t>(i) + 1); }

NetworkPolicy make_policy(int ns, int k, int variant) {
  NetworkPolicy p;
  p.name = "p" + std::to_string(k);
  p.namespace_ = "ns" + std::to_string(ns);
  p.pod_selector = match_labels({{"app", "app" + std::to_string((k * 2) % kApps)}});
  PolicyRule same_ns;  // from the next app in the namespace, port 80 (+variant)
  PolicyPeer peer;
  peer.pod_selector = match_labels({{"app", "app" + std::to_string((k * 2 + 1) % kApps)}});
  same_ns.peers.push_back(peer);
  same_ns.ports.push_back({proto::tcp, static_cast<std::uint16_t>(80 + variant), std::nullopt, {}});
  PolicyRule team;  // from namespaces of the same team, any pod, named port
  PolicyPeer tp;
  tp.namespace_selector = match_labels({{"team", "t" + std::to_string(ns % 10)}});
  tp.pod_selector = LabelSelector{{}, {{"tier", SelectorOp::in, {"fe", "be"}}}};
  team.peers.push_back(tp);
  team.ports.push_back({proto::tcp, std::nullopt, std::nullopt, "http"});
  PolicyRule cidr;
  PolicyPeer cp;
  cp.ip_block = IpBlock{*Cidr::parse("10.0.0.0/16"), {*Cidr::parse("10.0.1.0/24")}};
  cidr.peers.push_back(cp);
  cidr.ports.push_back({proto::udp, 5000, 5100, {}});
  p.ingress = {same_ns, team, cidr};
  if (k % 3 == 0) {
    p.policy_types = std::vector<PolicyType>{PolicyType::ingress, PolicyType::egress};
    PolicyRule dns;
    dns.ports.push_back({proto::udp, 53, std::nullopt, {}});
    PolicyRule peers;
    PolicyPeer any;
    any.namespace_selector = LabelSelector{};
    peers.peers.push_back(any);
    p.egress = {dns, peers};
  }
  return p;
}

Cluster make_cluster() {
  Cluster cl;
  for (int n = 0; n < kNamespaces; ++n) {
    const std::string name = "ns" + std::to_string(n);
    cl.namespaces.push_back(
        {name, {{"team", "t" + std::to_string(n % 10)}, {"kubernetes.io/metadata.name", name}}});
  }
  const char* tiers[] = {"fe", "be", "db"};
  for (int i = 0; i < kNamespaces * kPodsPerNamespace; ++i) {
    ContainerPeerInfo c;
    c.container_id = "pod" + std::to_string(i);
    c.namespace_ = "ns" + std::to_string(i / kPodsPerNamespace);
    c.assigned_ip = pod_ip(i);
    const int app = i % kApps;
    c.labels = {{"app", "app" + std::to_string(app)}, {"tier", tiers[app % 3]}};
    c.ports = {{"http", 8080, proto::tcp}};
    cl.containers.push_back(std::move(c));
  }
  for (int n = 0; n < kNamespaces; ++n) {
    for (int k = 0; k < kPoliciesPerNamespace; ++k) cl.policies.push_back(make_policy(n, k, 0));
  }
  return cl;
}

const Cluster& cluster() {
  static const Cluster cl = make_cluster();
  return cl;
}

std::vector<std::uint8_t> tcp_packet(const IpAddress& s, const IpAddress& d, std::uint16_t sp,
                                     std::uint16_t dp) {
  std::vector<std::uint8_t> b(40, 0);
  b[0] = 0x45;
  b[3] = 40;
  b[8] = 64;
  b[9] = proto::tcp;
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = s.bytes()[i];
    b[16 + i] = d.bytes()[i];
  }
  b[20] = static_cast<std::uint8_t>(sp >> 8);
  b[21] = static_cast<std::uint8_t>(sp);
  b[22] = static_cast<std::uint8_t>(dp >> 8);
  b[23] = static_cast<std::uint8_t>(dp);
  b[32] = 0x50;
  b[33] = 0x02;
  return b;
}

// 4,096 packets between random pods of the same namespace block (so policies apply) and
// random ports among 80, 81, 8080.
const std::vector<std::vector<std::uint8_t>>& packets() {
  static const auto pkts = [] {
    std::vector<std::vector<std::uint8_t>> out;
    std::mt19937 rng(42);
    const std::uint16_t ports[] = {80, 81, 8080};
    const int total = kNamespaces * kPodsPerNamespace;
    for (int i = 0; i < 4096; ++i) {
      const int a = static_cast<int>(rng() % total);
      const int b = rng() % 2 ? (a / kPodsPerNamespace) * kPodsPerNamespace +
                                    static_cast<int>(rng() % kPodsPerNamespace)
                              : static_cast<int>(rng() % total);
      out.push_back(tcp_packet(pod_ip(a), pod_ip(b), static_cast<std::uint16_t>(10000 + i),
                               ports[rng() % 3]));
    }
    return out;
  }();
  return pkts;
}

// CPU ns per parse over the packet ring, best of 5 runs of 1M parses.
double parse_floor_ns() {
  const double floor = [] {
    const auto& pkts = packets();
    double best = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      const double t0 = thread_cpu_ns();
      for (int i = 0; i < 1'000'000; ++i) {
        auto r = parse_packet(pkts[static_cast<std::size_t>(i) & 4095]);
        benchmark::DoNotOptimize(r);
      }
      best = std::min(best, (thread_cpu_ns() - t0) / 1e6);
    }
    return best;
  }();
  return floor;
}

void BM_ParseFloor(benchmark::State& state) {
  const auto& pkts = packets();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = parse_packet(pkts[i++ & 4095]);
    benchmark::DoNotOptimize(r);
  }
  state.counters["floor_ns"] = parse_floor_ns();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseFloor);

// Runs verdict() over the ring; reports ns/verdict and the ratio to the parse floor.
void run_verdicts(benchmark::State& state, Engine& engine, bool warm) {
  const auto& pkts = packets();
  TimePoint now{std::chrono::seconds(1)};
  if (warm) {
    for (const auto& p : pkts) benchmark::DoNotOptimize(engine.verdict(now, p, Direction::both));
  }
  std::size_t i = 0;
  std::uint64_t allowed = 0;
  const double t0 = thread_cpu_ns();
  for (auto _ : state) {
    const Verdict v = engine.verdict(now, pkts[i++ & 4095], Direction::both);
    allowed += v.allowed;
  }
  const double ns = (thread_cpu_ns() - t0) / static_cast<double>(state.iterations());
  const double floor = parse_floor_ns();
  state.counters["ns_per_verdict"] = ns;
  state.counters["floor_ns"] = floor;
  state.counters["ratio_to_floor"] = ns / floor;
  state.counters["allowed_pct"] =
      100.0 * static_cast<double>(allowed) / static_cast<double>(state.iterations());
  state.counters["cache_hit_pct"] =
      100.0 * static_cast<double>(engine.counters().cache_hits) /
      static_cast<double>(std::max<std::uint64_t>(
          1, engine.counters().cache_hits + engine.counters().cache_misses));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The same, through verdicts() in batches of `batch` packets (a data plane's read batch).
void run_batched_verdicts(benchmark::State& state, Engine& engine, std::size_t batch) {
  const auto& pkts = packets();
  std::vector<std::span<const std::uint8_t>> views(pkts.begin(), pkts.end());
  std::vector<Verdict> out(batch);
  TimePoint now{std::chrono::seconds(1)};
  for (std::size_t i = 0; i < views.size(); i += batch) {
    engine.verdicts(now, std::span(views).subspan(i, batch), Direction::both, out);
  }
  std::size_t i = 0;
  std::uint64_t allowed = 0, packets_done = 0;
  const double t0 = thread_cpu_ns();
  for (auto _ : state) {
    engine.verdicts(now, std::span(views).subspan(i, batch), Direction::both, out);
    for (std::size_t k = 0; k < batch; ++k) allowed += out[k].allowed;
    packets_done += batch;
    i = (i + batch) & 4095;
  }
  const double ns = (thread_cpu_ns() - t0) / static_cast<double>(packets_done);
  const double floor = parse_floor_ns();
  state.counters["ns_per_verdict"] = ns;
  state.counters["floor_ns"] = floor;
  state.counters["ratio_to_floor"] = ns / floor;
  state.counters["allowed_pct"] =
      100.0 * static_cast<double>(allowed) / static_cast<double>(packets_done);
  state.SetItemsProcessed(static_cast<std::int64_t>(packets_done));
}

std::unique_ptr<Engine> make_engine(EngineConfig cfg) {
  auto e = std::make_unique<Engine>(cfg);
  e->set_cluster(cluster());
  return e;
}

// Arg: slots of the direct-mapped address cache (0 = identity cache only).
void BM_VerdictCacheHit(benchmark::State& state) {
  EngineConfig cfg;
  cfg.track_connections = false;
  cfg.fast_cache_slots = static_cast<std::size_t>(state.range(0));
  auto engine = make_engine(cfg);
  run_verdicts(state, *engine, true);
}
BENCHMARK(BM_VerdictCacheHit)->Arg(1 << 16)->Arg(1 << 14)->Arg(0);

// Arg: batch size (4,096 packets in the ring, so a power of two up to 4,096).
void BM_BatchVerdictCacheHit(benchmark::State& state) {
  EngineConfig cfg;
  cfg.track_connections = false;
  static auto engine = make_engine(cfg);
  run_batched_verdicts(state, *engine, static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_BatchVerdictCacheHit)->Arg(32);

void BM_BatchVerdictConntrackHit(benchmark::State& state) {
  static auto engine = make_engine(EngineConfig{});
  run_batched_verdicts(state, *engine, static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_BatchVerdictConntrackHit)->Arg(32);

void BM_VerdictConntrackHit(benchmark::State& state) {
  static auto engine = make_engine(EngineConfig{});
  run_verdicts(state, *engine, true);
}
BENCHMARK(BM_VerdictConntrackHit);

void BM_VerdictCacheMiss(benchmark::State& state) {
  EngineConfig cfg;
  cfg.track_connections = false;
  cfg.max_cache_entries = 0;  // every verdict computed from the snapshot
  static auto engine = make_engine(cfg);
  run_verdicts(state, *engine, false);
}
BENCHMARK(BM_VerdictCacheMiss);

// One policy replaced in a 10,000-container / 1,000-policy engine: recompile + publish.
void BM_PolicyUpdate(benchmark::State& state) {
  static auto engine = make_engine(EngineConfig{});
  int variant = 0;
  for (auto _ : state) {
    engine->upsert_policy(make_policy(7, 3, ++variant % 2));
  }
  state.counters["identities"] = static_cast<double>(engine->snapshot()->identity_count());
}
BENCHMARK(BM_PolicyUpdate)->Unit(benchmark::kMillisecond);

// A container with a new identity added (and removed), same engine size.
void BM_ContainerAddRemove(benchmark::State& state) {
  static auto engine = make_engine(EngineConfig{});
  int n = 0;
  for (auto _ : state) {
    ContainerPeerInfo c{"extra", "ns3", IpAddress::v4(0x0b000001u),
                        {{"app", "new" + std::to_string(n++ % 4)}}, {}, {}};
    engine->upsert_container(c);
    (void)engine->remove_container("ns3", "extra");
  }
}
BENCHMARK(BM_ContainerAddRemove)->Unit(benchmark::kMillisecond);

// Compiling everything from scratch (cold compile cache).
void BM_FullCompile(benchmark::State& state) {
  for (auto _ : state) {
    Engine e;
    e.set_cluster(cluster());
    benchmark::DoNotOptimize(e.snapshot());
  }
}
BENCHMARK(BM_FullCompile)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
