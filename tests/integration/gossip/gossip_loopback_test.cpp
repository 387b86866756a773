// Ten gossip nodes on real UDP/TCP sockets on 127.0.0.1, in one process and one io_context:
// join through a seed, converge, spread a registration, detect a stopped node, and refuse a
// node with the wrong key. Timers are short (probe 200 ms) so the test takes seconds.
#include <gtest/gtest.h>

#include "gquic/gossip/gossip_driver.h"

namespace gquic::gossip {
namespace {

using namespace std::chrono_literals;

struct Cluster {
  asio::net::io_context io;
  std::vector<std::unique_ptr<DeterministicRandom>> rngs;
  std::vector<std::unique_ptr<GossipDriver>> nodes;
  GossipKey key{};

  SwimConfig config(std::size_t i) {
    SwimConfig c;
    c.name = "n" + std::to_string(i);
    c.advertise = SocketAddress(IpAddress::v4_loopback(), 0);
    c.probe_interval = 200ms;
    c.probe_timeout = 100ms;
    c.gossip_interval = 50ms;
    c.push_pull_interval = 2s;
    c.keyring = Keyring(key);
    return c;
  }

  std::unique_ptr<GossipDriver> make(SwimConfig c, std::vector<SocketAddress> seeds, std::uint64_t seed) {
    rngs.push_back(std::make_unique<DeterministicRandom>(seed));
    GossipDriverConfig dc;
    dc.swim = std::move(c);
    dc.seeds = std::move(seeds);
    auto d = GossipDriver::open(io, dc, *rngs.back());
    EXPECT_TRUE(d) << d.error().message();
    return d ? std::move(*d) : nullptr;
  }

  explicit Cluster(std::size_t n) {
    key.fill(0x42);
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<SocketAddress> seeds;
      if (i > 0) seeds.push_back(nodes[0]->local_address());
      nodes.push_back(make(config(i), seeds, i + 1));
      nodes.back()->start();
    }
  }
  ~Cluster() {
    for (auto& n : nodes) {
      if (n) n->stop();
    }
    io.run_for(200ms);
  }

  bool run_until(const std::function<bool()>& pred, std::chrono::seconds guard = 30s) {
    auto end = std::chrono::steady_clock::now() + guard;
    while (std::chrono::steady_clock::now() < end) {
      io.run_for(20ms);
      if (pred()) return true;
    }
    return false;
  }
  bool all_see(std::size_t alive, std::optional<std::size_t> except = std::nullopt) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (except && *except == i) continue;
      if (nodes[i]->core().alive_count() != alive) return false;
    }
    return true;
  }
};

TEST(GossipLoopback, TenNodesConvergeShareRegistrationsAndDetectAFailure) {
  Cluster c(10);
  ASSERT_TRUE(c.run_until([&] { return c.all_see(10); })) << "no convergence";
  std::vector<std::uint8_t> payload{1, 2, 3};
  ASSERT_TRUE(c.nodes[3]->core().register_service(c.nodes[3]->now(), "web", payload));
  c.nodes[3]->poke();
  ASSERT_TRUE(c.run_until([&] {
    for (auto& n : c.nodes) {
      if (n->core().registrations().size() != 1) return false;
    }
    return true;
  })) << "registration did not spread";
  c.nodes[7]->stop();
  ASSERT_TRUE(c.run_until([&] { return c.all_see(9, 7); })) << "stopped node not declared dead";
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    if (i == 7) continue;
    auto m = c.nodes[i]->core().member("n7");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, MemberState::dead);
  }
  std::uint64_t streams = 0;
  for (auto& n : c.nodes) streams += n->counters().streams_in;
  EXPECT_GE(streams, 9u);  // every join was a TCP push-pull
}

TEST(GossipLoopback, NodeWithTheWrongKeyCannotJoin) {
  Cluster c(3);
  ASSERT_TRUE(c.run_until([&] { return c.all_see(3); }));
  SwimConfig bad = c.config(99);
  GossipKey other;
  other.fill(0x13);
  bad.keyring = Keyring(other);
  auto intruder = c.make(bad, {c.nodes[0]->local_address()}, 99);
  ASSERT_TRUE(intruder);
  intruder->start();
  c.run_until([] { return false; }, 2s);
  EXPECT_EQ(c.nodes[0]->core().alive_count(), 3u);
  EXPECT_EQ(intruder->core().alive_count(), 1u);
  EXPECT_GT(c.nodes[0]->core().stats().drops_by(DropReason::decrypt_failed), 0u);
  intruder->stop();
}

}  // namespace
}  // namespace gquic::gossip
