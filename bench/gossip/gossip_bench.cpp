// SWIM gossip on the simulated network (tests/unit/gossip/swim_sim.h) for 10, 100 and 1,000
// nodes, each measurement next to the analytical bound computed in the same run:
//   Convergence  all nodes join through one seed at t=0; simulated time and gossip rounds
//                until every node sees every other alive, against the epidemic bound
//                log_{1+f}(N) + ln(N)/f rounds (f = gossip fan-out; Pittel);
//   Detection    one node is killed in a converged cluster; time until the first suspicion
//                and until every member declared it dead, against SWIM's expected first
//                detection e/(e-1) probe periods + Lifeguard's longest suspicion timeout +
//                the dissemination bound;
//   Dissemination one registration made in a converged cluster; gossip rounds until every
//                node holds it, against the same epidemic bound;
//   Bandwidth    gossip bytes (UDP + push-pull) per node per second in 30 s of steady state.
// Wall time is what the benchmark library reports; sim_* counters are simulated seconds.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "unit/gossip/swim_sim.h"

namespace {

using namespace std::chrono_literals;
using namespace gquic;
using namespace gquic::gossip;
using gquic::gossip::sim::SwimSim;

SwimConfig base() {
  SwimConfig c;
  c.probe_interval = 1s;
  c.probe_timeout = 500ms;
  c.gossip_interval = 200ms;
  c.gossip_nodes = 3;
  return c;
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

double dissemination_rounds(std::size_t n, std::size_t fanout) {
  double f = static_cast<double>(fanout), ln = std::log(double(n));
  return ln / std::log(1 + f) + ln / f;
}

struct Row {
  double measured = 0, bound = 0;
};
std::map<std::string, Row> g_rows;

void BM_Convergence(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  SwimConfig c = base();
  double rounds = 0;
  for (auto _ : state) {
    SwimSim sim(n, 42, c);
    sim.join_all();
    bool ok = sim.run_until([&] { return sim.converged(); }, 600s);
    if (!ok) state.SkipWithError("did not converge");
    rounds = seconds(sim.elapsed()) / seconds(c.gossip_interval);
  }
  double bound = dissemination_rounds(n, c.gossip_nodes);
  state.counters["sim_seconds"] = rounds * seconds(c.gossip_interval);
  state.counters["rounds"] = rounds;
  state.counters["bound_rounds"] = bound;
  state.counters["ratio"] = rounds / bound;
  g_rows["convergence rounds N=" + std::to_string(n)] = {rounds, bound};
}

void BM_Detection(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  SwimConfig c = base();
  double first = 0, all = 0;
  for (auto _ : state) {
    state.PauseTiming();
    SwimSim sim(n, 43, c);
    sim.join_all();
    if (!sim.run_until([&] { return sim.converged(); }, 600s)) state.SkipWithError("no convergence");
    std::size_t victim = n / 2, dead = 0;
    bool suspected = false;
    TimePoint killed = sim.now(), first_at{};
    sim.on_event = [&](std::size_t, const GossipEvent& e) {
      if (e.member.name != SwimSim::name(victim)) return;
      if (e.kind == GossipEvent::Kind::member_suspect && !suspected) {
        suspected = true;
        first_at = sim.now();
      }
      if (e.kind == GossipEvent::Kind::member_dead) ++dead;
    };
    sim.kill(victim);
    state.ResumeTiming();
    if (!sim.run_until([&] { return dead == n - 1; }, 600s)) state.SkipWithError("not detected");
    first = seconds(first_at - killed);
    all = seconds(sim.now() - killed);
  }
  double logn = std::max(1.0, std::log10(double(n)));
  double period = seconds(c.probe_interval);
  double expected_first = period * std::exp(1.0) / (std::exp(1.0) - 1.0);
  double suspicion_max = c.suspicion_max_mult * c.suspicion_mult * logn * period;
  double bound = expected_first + period + suspicion_max +
                 dissemination_rounds(n, c.gossip_nodes) * seconds(c.gossip_interval);
  state.counters["sim_first_suspect_s"] = first;
  state.counters["bound_first_s"] = expected_first + period;
  state.counters["sim_all_dead_s"] = all;
  state.counters["bound_all_dead_s"] = bound;
  state.counters["ratio"] = all / bound;
  g_rows["first suspicion s  N=" + std::to_string(n)] = {first, expected_first + period};
  g_rows["dead everywhere s  N=" + std::to_string(n)] = {all, bound};
}

void BM_Dissemination(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  SwimConfig c = base();
  double rounds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    SwimSim sim(n, 45, c);
    sim.join_all();
    if (!sim.run_until([&] { return sim.converged(); }, 600s)) state.SkipWithError("no convergence");
    sim.run_for(30s);  // let the join traffic settle
    std::size_t have = 0;
    sim.on_event = [&](std::size_t, const GossipEvent& e) {
      have += e.kind == GossipEvent::Kind::registration_set;
    };
    TimePoint start = sim.now();
    std::vector<std::uint8_t> payload(64, 1);
    (void)sim.node(0).core->register_service(start, "svc", payload);
    state.ResumeTiming();
    if (!sim.run_until([&] { return have == n - 1; }, 120s)) state.SkipWithError("not everywhere");
    rounds = seconds(sim.now() - start) / seconds(c.gossip_interval);
  }
  double bound = dissemination_rounds(n, c.gossip_nodes);
  state.counters["rounds"] = rounds;
  state.counters["bound_rounds"] = bound;
  state.counters["ratio"] = rounds / bound;
  g_rows["registration rounds N=" + std::to_string(n)] = {rounds, bound};
}

void BM_Bandwidth(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  SwimConfig c = base();
  double per_node = 0;
  for (auto _ : state) {
    SwimSim sim(n, 44, c);
    sim.join_all();
    if (!sim.run_until([&] { return sim.converged(); }, 600s)) state.SkipWithError("no convergence");
    sim.run_for(10s);  // let the join traffic settle
    std::uint64_t before = 0, after = 0;
    for (std::size_t i = 0; i < n; ++i) {
      auto s = sim.node(i).core->stats();
      before += s.bytes_out + s.stream_bytes_out;
    }
    sim.run_for(30s);
    for (std::size_t i = 0; i < n; ++i) {
      auto s = sim.node(i).core->stats();
      after += s.bytes_out + s.stream_bytes_out;
    }
    per_node = double(after - before) / double(n) / 30.0;
  }
  state.counters["bytes_per_node_per_s"] = per_node;
}

BENCHMARK(BM_Convergence)->Arg(10)->Arg(100)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Detection)->Arg(10)->Arg(100)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dissemination)->Arg(10)->Arg(100)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Bandwidth)->Arg(10)->Arg(100)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("\n%-32s %12s %12s %8s\n", "measure", "measured", "bound", "ratio");
  for (const auto& [k, r] : g_rows) {
    std::printf("%-32s %12.2f %12.2f %8.2f\n", k.c_str(), r.measured, r.bound, r.measured / r.bound);
  }
  return 0;
}
