// SwimCore clusters on the simulated network (swim_sim.h): convergence, failure detection
// within the SWIM bound, Lifeguard against a slow node, partition healing, registrations.
#include <cmath>

#include <gtest/gtest.h>

#include "unit/gossip/swim_sim.h"

namespace gquic::gossip::sim {
namespace {

using namespace std::chrono_literals;

SwimConfig base() {
  SwimConfig c;
  c.probe_interval = 1s;
  c.probe_timeout = 500ms;
  c.gossip_interval = 200ms;
  return c;
}

// Time by which every member must have declared a failed node dead: a few probe periods to
// be probed (the expected first detection is e/(e-1) periods), the longest suspicion timeout,
// and dissemination of the verdict (retransmit_mult x log N gossip rounds).
Duration swim_bound(const SwimConfig& c, std::size_t n) {
  double logn = std::max(1.0, std::log10(double(n)));
  auto detect = c.probe_interval * 3;
  auto suspicion = std::chrono::duration_cast<Duration>(c.probe_interval * c.suspicion_mult * logn *
                                                        c.suspicion_max_mult);
  auto spread = c.gossip_interval * static_cast<long>(c.retransmit_mult * std::ceil(std::log10(n + 1.0)));
  return detect + suspicion + spread;
}

TEST(SwimSim, HundredNodesConverge) {
  SwimSim sim(100, 1, base());
  sim.join_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.converged(); }, 120s));
  std::printf("100 nodes converged in %.1f s simulated\n",
              std::chrono::duration<double>(sim.elapsed()).count());
  for (std::size_t i = 0; i < sim.size(); ++i) EXPECT_EQ(sim.node(i).core->alive_count(), 100u);
}

TEST(SwimSim, KilledNodeIsDeclaredDeadByAllWithinTheSwimBound) {
  SwimSim sim(100, 2, base());
  sim.join_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.converged(); }, 120s));
  std::size_t dead_everywhere = 0;
  sim.on_event = [&](std::size_t, const GossipEvent& e) {
    if (e.kind == GossipEvent::Kind::member_dead && e.member.name == SwimSim::name(42)) ++dead_everywhere;
  };
  TimePoint killed_at = sim.now();
  sim.kill(42);
  Duration bound = swim_bound(base(), 100);
  ASSERT_TRUE(sim.run_until([&] { return dead_everywhere == 99; }, bound))
      << dead_everywhere << " of 99 declared it dead within the bound";
  std::printf("dead everywhere after %.1f s (bound %.1f s)\n",
              std::chrono::duration<double>(sim.now() - killed_at).count(),
              std::chrono::duration<double>(bound).count());
  EXPECT_TRUE(sim.converged());
}

struct SlowRun {
  std::size_t deaths = 0;               // member_dead events anywhere
  std::size_t healthy_suspicions = 0;   // member_suspect events about nodes other than the slow one
  int slow_health = 0;
  std::uint64_t slow_refutations = 0;
};

// 30 nodes; node 7 processes everything `delay` late (longer than a whole probe period).
SlowRun run_slow(int awareness_max, Duration delay) {
  SwimConfig c = base();
  c.awareness_max = awareness_max;
  SwimSim sim(30, 3, c);
  sim.join_all();
  EXPECT_TRUE(sim.run_until([&] { return sim.converged(); }, 120s));
  SlowRun r;
  sim.on_event = [&](std::size_t, const GossipEvent& e) {
    if (e.kind == GossipEvent::Kind::member_dead) ++r.deaths;
    if (e.kind == GossipEvent::Kind::member_suspect && e.member.name != SwimSim::name(7)) {
      ++r.healthy_suspicions;
    }
  };
  sim.node(7).inbound_delay = delay;
  sim.run_for(120s);
  r.slow_health = sim.node(7).core->health_score();
  r.slow_refutations = sim.node(7).core->stats().refutations;
  sim.node(7).inbound_delay = 0ms;
  EXPECT_TRUE(sim.run_until([&] { return sim.converged(); }, 60s));
  return r;
}

TEST(SwimSim, SlowNodeIsNotFalselyDeclaredDeadAndLifeguardCalmsItsAccusations) {
  SlowRun with = run_slow(8, 3s);
  SlowRun without = run_slow(1, 3s);  // awareness_max 1: no local health scaling
  std::printf("slow node (3 s late): Lifeguard %zu deaths, %zu suspicions of healthy nodes; "
              "without %zu deaths, %zu suspicions\n",
              with.deaths, with.healthy_suspicions, without.deaths, without.healthy_suspicions);
  EXPECT_EQ(with.deaths, 0u);
  EXPECT_GT(with.slow_health, 0);        // it noticed it is the slow one
  EXPECT_GT(with.slow_refutations, 0u);  // and refuted the others' suspicions of it
  // Its accusations of healthy members fall by an order of magnitude with local health.
  EXPECT_LT(with.healthy_suspicions * 10, without.healthy_suspicions);
}

TEST(SwimSim, PartitionHealsAndStateReconverges) {
  SwimSim sim(40, 4, base());
  sim.join_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.converged(); }, 120s));
  for (std::size_t i = 20; i < 40; ++i) sim.set_group(i, 1);
  sim.run_for(90s);
  // Each side has declared the other dead.
  EXPECT_EQ(sim.node(0).core->alive_count(), 20u);
  EXPECT_EQ(sim.node(39).core->alive_count(), 20u);
  for (std::size_t i = 20; i < 40; ++i) sim.set_group(i, 0);
  TimePoint healed = sim.now();
  ASSERT_TRUE(sim.run_until([&] { return sim.converged(); }, 180s));
  std::printf("re-converged %.1f s after the partition healed\n",
              std::chrono::duration<double>(sim.now() - healed).count());
}

TEST(SwimSim, RegistrationsPropagateToAllMembersAndAreWithdrawn) {
  SwimSim sim(100, 5, base());
  sim.join_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.converged(); }, 120s));
  for (std::size_t i : {3u, 50u, 99u}) {
    std::vector<std::uint8_t> payload{static_cast<std::uint8_t>(i)};
    ASSERT_TRUE(sim.node(i).core->register_service(sim.now(), "svc-" + std::to_string(i), payload));
  }
  auto all_have = [&](std::size_t n) {
    for (std::size_t i = 0; i < sim.size(); ++i) {
      if (sim.node(i).core->registrations().size() != n) return false;
    }
    return true;
  };
  ASSERT_TRUE(sim.run_until([&] { return all_have(3); }, 30s));
  std::printf("registrations everywhere after %.1f s\n",
              std::chrono::duration<double>(sim.elapsed()).count());
  ASSERT_TRUE(sim.node(50).core->deregister_service(sim.now(), "svc-50"));
  ASSERT_TRUE(sim.run_until([&] { return all_have(2); }, 30s));
  // A killed owner's registrations go with it.
  sim.kill(99);
  ASSERT_TRUE(sim.run_until([&] {
    for (std::size_t i = 0; i < 99; ++i) {
      if (sim.node(i).core->registrations().size() != 1) return false;
    }
    return true;
  }, swim_bound(base(), 100)));
}

TEST(SwimSim, LossyEncryptedClusterConverges) {
  SwimConfig c = base();
  GossipKey k;
  k.fill(7);
  c.keyring = Keyring(k);
  SwimSim sim(20, 6, c);
  sim.set_loss(0.1);
  sim.join_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.converged(); }, 120s));
  // 10% loss must not make anyone falsely dead in a minute of steady state.
  std::size_t deaths = 0;
  sim.on_event = [&](std::size_t, const GossipEvent& e) {
    deaths += e.kind == GossipEvent::Kind::member_dead;
  };
  sim.run_for(60s);
  EXPECT_EQ(deaths, 0u);
}

TEST(SwimSim, RestartedNodeRejoinsWithHigherIncarnation) {
  SwimSim sim(10, 7, base());
  sim.join_all();
  ASSERT_TRUE(sim.run_until([&] { return sim.converged(); }, 60s));
  sim.node(4).core->leave(sim.now());
  ASSERT_TRUE(sim.run_until([&] {
    for (std::size_t i = 0; i < 10; ++i) {
      if (i == 4) continue;
      auto m = sim.node(i).core->member(SwimSim::name(4));
      if (!m || m->state != MemberState::left) return false;
    }
    return true;
  }, 30s));
}

}  // namespace
}  // namespace gquic::gossip::sim
