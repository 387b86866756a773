// Three discovery agents on loopback joined by the gossip backend (in-process, one io_context
// thread each): registrations propagate, deregistrations propagate, a frozen ("killed") agent's
// services disappear once it is declared dead, a stopped agent is seen leaving, encrypted
// clusters work with a keyring, and GET /v1/members reports the members.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent_fixture.h"
#include "lan_agent_fixture.h"

namespace gquic::discovery {
namespace {

using test::eventually;
using test::LanAgent;
using namespace std::chrono_literals;

DiscoveryConfig gossip_config(const std::string& node, std::vector<SocketAddress> seeds,
                              std::vector<std::string> keys = {}) {
  DiscoveryConfig c;
  c.node_id = node;
  c.enable_gossip = true;
  c.gossip_bind = SocketAddress(IpAddress::v4_loopback(), 0);
  c.gossip_seeds = std::move(seeds);
  c.gossip_keys = std::move(keys);
  // Quicker failure detection than the defaults, still generous for loaded CI machines.
  c.gossip_probe_interval = 300ms;
  c.gossip_interval = 100ms;
  c.http_listen = SocketAddress(IpAddress::v4_loopback(), 0);
  return c;
}

ServiceInfo web_service(const std::string& name, std::uint16_t port) {
  ServiceInfo s;
  s.id = {name, "prod", "v1"};
  s.service_type = "http";
  s.endpoints.push_back(Endpoint{.address = "127.0.0.1:" + std::to_string(port)});
  s.tags = {"api"};
  s.metadata = {{"zone", "eu"}};
  return s;
}

std::optional<ServiceInfo> find(LanAgent& a, const std::string& name) {
  return a.call([&](ServiceDiscoveryManager& m) -> std::optional<ServiceInfo> {
    ServiceQuery q;
    q.name_pattern = name;
    auto found = m.discover_services(q);
    if (found.empty()) return std::nullopt;
    return found.front();
  });
}

std::string member_state(LanAgent& a, const std::string& name) {
  return a.call([&](ServiceDiscoveryManager& m) {
    for (const auto& mem : m.gossip_members()) {
      if (mem.name == name) return mem.state;
    }
    return std::string("absent");
  });
}

std::size_t alive_members(LanAgent& a) {
  return a.call([](ServiceDiscoveryManager& m) {
    auto ms = m.gossip_members();
    return static_cast<std::size_t>(
        std::count_if(ms.begin(), ms.end(), [](const auto& x) { return x.state == "alive"; }));
  });
}

class GossipBackend : public ::testing::Test {
 protected:
  void start_cluster(std::vector<std::string> keys = {}) {
    std::string why;
    agents_.push_back(std::make_unique<LanAgent>(gossip_config("node-a", {}, keys)));
    ASSERT_TRUE(agents_[0]->start(&why)) << why;
    const SocketAddress seed = *agents_[0]->manager().gossip_address();
    for (const char* name : {"node-b", "node-c"}) {
      agents_.push_back(std::make_unique<LanAgent>(gossip_config(name, {seed}, keys)));
      ASSERT_TRUE(agents_.back()->start(&why)) << why;
    }
    for (auto& a : agents_) {
      ASSERT_TRUE(eventually([&] { return alive_members(*a) == 3; }))
          << "the three agents did not converge";
    }
  }
  void TearDown() override {
    for (auto& a : agents_) a->shutdown();
    agents_.clear();
  }
  LanAgent& a() { return *agents_[0]; }
  LanAgent& b() { return *agents_[1]; }
  LanAgent& c() { return *agents_[2]; }
  std::vector<std::unique_ptr<LanAgent>> agents_;
};

TEST_F(GossipBackend, RegistrationAndDeregistrationPropagate) {
  start_cluster();
  ASSERT_TRUE(a().call([](ServiceDiscoveryManager& m) { return m.register_service(web_service("web", 8080)); }));
  for (LanAgent* other : {&b(), &c()}) {
    ASSERT_TRUE(eventually([&] { return find(*other, "web").has_value(); }))
        << "registration on node-a did not reach another agent";
    auto s = *find(*other, "web");
    EXPECT_EQ(s.source, ServiceSource::gossip);
    EXPECT_EQ(s.origin_node, "node-a");
    ASSERT_EQ(s.endpoints.size(), 1u);
    EXPECT_EQ(s.endpoints[0].address, "127.0.0.1:8080");
    EXPECT_EQ(s.metadata["zone"], "eu");
    EXPECT_EQ(s.tags, std::vector<std::string>{"api"});
  }
  // The owner keeps its own registration local.
  EXPECT_EQ(find(a(), "web")->source, ServiceSource::local);

  ASSERT_TRUE(a().call([](ServiceDiscoveryManager& m) { return m.deregister_service({"web", "prod", "v1"}); }));
  for (LanAgent* other : {&b(), &c()}) {
    ASSERT_TRUE(eventually([&] { return !find(*other, "web").has_value(); }))
        << "deregistration on node-a did not reach another agent";
  }
}

TEST_F(GossipBackend, KilledAgentsServicesDisappearAndStoppedAgentLeaves) {
  start_cluster();
  ASSERT_TRUE(c().call([](ServiceDiscoveryManager& m) { return m.register_service(web_service("api", 9000)); }));
  ASSERT_TRUE(b().call([](ServiceDiscoveryManager& m) { return m.register_service(web_service("db", 5432)); }));
  ASSERT_TRUE(eventually([&] { return find(a(), "api").has_value() && find(a(), "db").has_value(); }));
  ASSERT_TRUE(eventually([&] { return find(b(), "api").has_value(); }));

  c().freeze();  // no leave: the others must detect the failure
  for (LanAgent* other : {&a(), &b()}) {
    ASSERT_TRUE(eventually([&] { return member_state(*other, "node-c") == "dead"; }, 60s))
        << "node-c was not declared dead; state " << member_state(*other, "node-c");
    EXPECT_FALSE(find(*other, "api").has_value()) << "the dead member's service is still there";
  }

  b().shutdown();  // graceful: gossip leave
  ASSERT_TRUE(eventually([&] { return member_state(a(), "node-b") == "left"; }))
      << "node-b was not seen leaving; state " << member_state(a(), "node-b");
  EXPECT_FALSE(find(a(), "db").has_value());
}

TEST_F(GossipBackend, MembersEndpointListsStates) {
  start_cluster();
  const SocketAddress http = *a().manager().http_address();
  auto r = test::http_call(http, test::http::verb::get, "/v1/members");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["node"], "node-a");
  ASSERT_EQ(j["members"].size(), 3u) << r.body;
  std::vector<std::string> names;
  for (const auto& m : j["members"]) {
    names.push_back(m["name"]);
    EXPECT_EQ(m["state"], "alive");
    EXPECT_TRUE(SocketAddress::parse(m["address"].get<std::string>())) << m.dump();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"node-a", "node-b", "node-c"}));
}

TEST_F(GossipBackend, EncryptedClusterWithKeyring) {
  const std::string k1(64, 'a'), k2(64, 'b');
  start_cluster({k1, k2});
  ASSERT_TRUE(b().call([](ServiceDiscoveryManager& m) { return m.register_service(web_service("web", 8443)); }));
  ASSERT_TRUE(eventually([&] { return find(c(), "web").has_value(); }));
}

TEST(GossipBackendConfig, RefusesBadKeyAndMissingBind) {
  asio::net::io_context io;
  DiscoveryConfig c = gossip_config("x", {}, {"not-a-key"});
  ServiceDiscoveryManager m(io, c);
  std::string why;
  EXPECT_FALSE(m.start(&why));
  EXPECT_NE(why.find("key"), std::string::npos) << why;

  DiscoveryConfig d;
  d.enable_gossip = true;
  ServiceDiscoveryManager m2(io, d);
  why.clear();
  EXPECT_FALSE(m2.start(&why));
  EXPECT_NE(why.find("gossip_bind"), std::string::npos) << why;
}

TEST(GossipBackendConfig, MembersEndpointIs404WithoutGossip) {
  asio::net::io_context io;
  DiscoveryConfig c;
  c.http_listen = SocketAddress(IpAddress::v4_loopback(), 0);
  ServiceDiscoveryManager m(io, c);
  ASSERT_TRUE(m.start());
  std::thread t([&] { io.run_for(5s); });
  auto r = test::http_call(*m.http_address(), test::http::verb::get, "/v1/members");
  EXPECT_EQ(r.status, 404u);
  boost::asio::post(io, [&] { m.stop(); io.stop(); });
  t.join();
}

}  // namespace
}  // namespace gquic::discovery
