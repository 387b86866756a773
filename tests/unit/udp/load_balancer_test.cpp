#include "gquic/udp/load_balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace gquic::udp_mux_advanced {
namespace {

using namespace std::chrono_literals;

SocketAddress peer(int i) {
  return SocketAddress(IpAddress::v4(0x0a000000u + static_cast<std::uint32_t>(i)), 4433);
}

SocketSelector make(LoadBalanceStrategy s, std::size_t slots, std::size_t max_flows = 1000) {
  SocketSelector sel({.strategy = s, .max_flows = max_flows, .flow_idle_timeout = 10s});
  for (std::size_t i = 0; i < slots; ++i) sel.add_slot();
  return sel;
}

const TimePoint t0{std::chrono::seconds(100)};

TEST(SocketSelector, RoundRobinSpreadsNewFlowsAndPinsThem) {
  auto sel = make(LoadBalanceStrategy::round_robin, 3);
  std::vector<std::size_t> first;
  for (int i = 0; i < 6; ++i) first.push_back(*sel.pick(peer(i), t0));
  EXPECT_EQ(first, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(*sel.pick(peer(i), t0 + 1s), first[i]);
  EXPECT_EQ(sel.flows_on(0), 2u);
  EXPECT_EQ(sel.flow_count(), 6u);
}

TEST(SocketSelector, LeastLoadedPrefersFewestFlowsThenBytes) {
  auto sel = make(LoadBalanceStrategy::least_loaded, 3);
  sel.pin(peer(100), 0, t0);
  sel.pin(peer(101), 0, t0);
  sel.pin(peer(102), 1, t0);
  EXPECT_EQ(*sel.pick(peer(1), t0), 2u);  // slot 2 has no flows
  sel.record_sent(1, 5000);
  sel.record_sent(2, 10);
  // Slots 1 and 2 have one flow each; slot 2 sent fewer bytes.
  EXPECT_EQ(*sel.pick(peer(2), t0), 2u);
  EXPECT_EQ(*sel.pick(peer(3), t0), 1u);
}

TEST(SocketSelector, ConsistentHashIsStableAndMovesOnlyFailedFlows) {
  auto a = make(LoadBalanceStrategy::consistent_hash, 4);
  auto b = make(LoadBalanceStrategy::consistent_hash, 4);
  std::map<int, std::size_t> placed;
  std::set<std::size_t> used;
  for (int i = 0; i < 400; ++i) {
    placed[i] = *a.pick(peer(i), t0);
    used.insert(placed[i]);
    EXPECT_EQ(*b.pick(peer(i), t0), placed[i]) << "same destination, same socket on every node";
  }
  EXPECT_EQ(used.size(), 4u);
  const std::size_t on_two = a.flows_on(2);
  EXPECT_EQ(a.set_healthy(2, false), on_two);
  int moved = 0;
  for (int i = 0; i < 400; ++i) {
    const std::size_t now_on = *a.pick(peer(i), t0 + 1s);
    EXPECT_NE(now_on, 2u);
    if (placed[i] != 2) {
      EXPECT_EQ(now_on, placed[i]) << "flows on healthy sockets stay put";
    } else {
      ++moved;
    }
  }
  EXPECT_EQ(static_cast<std::size_t>(moved), on_two);
  EXPECT_EQ(a.flows_moved(), on_two);
  EXPECT_EQ(a.flows_on(2), 0u);
}

TEST(SocketSelector, FailoverAndRecovery) {
  auto sel = make(LoadBalanceStrategy::round_robin, 2);
  EXPECT_EQ(*sel.pick(peer(1), t0), 0u);
  sel.set_healthy(0, false);
  EXPECT_EQ(*sel.pick(peer(1), t0), 1u);
  EXPECT_EQ(*sel.pick(peer(2), t0), 1u);
  sel.set_healthy(1, false);
  EXPECT_EQ(sel.pick(peer(3), t0).error(), Errc::closed);
  sel.set_healthy(0, true);
  EXPECT_EQ(*sel.pick(peer(1), t0), 0u);
}

TEST(SocketSelector, IdleFlowsExpireAndTableIsBounded) {
  auto sel = make(LoadBalanceStrategy::round_robin, 2, 4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(sel.pick(peer(i), t0));
  EXPECT_EQ(sel.flow_count(), 4u);
  // Table full, nothing idle: the packet still gets a healthy socket, but no entry.
  ASSERT_TRUE(sel.pick(peer(10), t0 + 1s));
  EXPECT_EQ(sel.flow_count(), 4u);
  EXPECT_EQ(sel.unrecorded_flows(), 1u);
  // Ten seconds idle: the old flows expire and new ones are recorded.
  ASSERT_TRUE(sel.pick(peer(11), t0 + 20s));
  EXPECT_EQ(sel.flow_count(), 1u);
  EXPECT_EQ(sel.flows_on(0) + sel.flows_on(1), 1u);
}

TEST(SocketSelector, ForgetAndPin) {
  auto sel = make(LoadBalanceStrategy::round_robin, 2);
  sel.pin(peer(1), 1, t0);
  EXPECT_EQ(*sel.pick(peer(1), t0), 1u);
  sel.pin(peer(1), 0, t0);
  EXPECT_EQ(sel.flows_on(1), 0u);
  EXPECT_EQ(sel.flows_on(0), 1u);
  sel.forget(peer(1));
  EXPECT_EQ(sel.flow_count(), 0u);
  EXPECT_EQ(sel.flows_on(0), 0u);
}

TEST(LoadBalanceStrategy, ParsesNames) {
  EXPECT_EQ(*parse_strategy("least-loaded"), LoadBalanceStrategy::least_loaded);
  EXPECT_EQ(*parse_strategy("consistent-hash"), LoadBalanceStrategy::consistent_hash);
  EXPECT_EQ(*parse_strategy("round-robin"), LoadBalanceStrategy::round_robin);
  EXPECT_EQ(parse_strategy("random").error(), Errc::invalid_argument);
}

}  // namespace
}  // namespace gquic::udp_mux_advanced
