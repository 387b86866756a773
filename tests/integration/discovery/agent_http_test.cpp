// The agent's HTTP API over real sockets on 127.0.0.1.
#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent_fixture.h"

namespace gquic::discovery {
namespace {

using nlohmann::json;
using test::AgentFixture;
using http = boost::beast::http::verb;

std::string service(const std::string& name, const std::string& ns, const std::string& tags,
                    const std::string& address, int ttl = 0, const std::string& health = "healthy") {
  return R"({"id":{"name":")" + name + R"(","namespace":")" + ns +
         R"(","version":"v1"},"service_type":"http","endpoints":[{"address":")" + address +
         R"(","health":")" + health + R"("}],"tags":[)" + tags + R"(],"ttl":)" +
         std::to_string(ttl) + "}";
}

class AgentHttpTest : public AgentFixture {};

TEST_F(AgentHttpTest, RegisterQueryDeregister) {
  EXPECT_EQ(call(http::put, "/v1/services", service("web-1", "production", R"("api")", "127.0.0.1:8080")).status, 200u);
  EXPECT_EQ(call(http::put, "/v1/services", service("web-2", "production", R"("api","eu")", "127.0.0.1:8081")).status, 200u);
  EXPECT_EQ(call(http::put, "/v1/services", service("web-3", "staging", R"("api")", "127.0.0.1:8082")).status, 200u);
  EXPECT_EQ(call(http::put, "/v1/services", service("web-4", "production", R"("api")", "127.0.0.1:8083", 0, "unhealthy")).status, 200u);
  EXPECT_EQ(call(http::put, "/v1/services", service("db", "production", R"("sql")", "127.0.0.1:5432")).status, 200u);

  // Bad input: clear errors, nothing accepted is lost.
  auto dup = call(http::put, "/v1/services", service("web-1", "production", "", "127.0.0.1:1"));
  EXPECT_EQ(dup.status, 409u);
  EXPECT_NE(dup.body.find("already registered"), std::string::npos);
  auto bad = call(http::put, "/v1/services", service("", "production", "", "127.0.0.1:1"));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("name is empty"), std::string::npos);
  bad = call(http::put, "/v1/services", service("x", "production", "", "nowhere:1"));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(call(http::put, "/v1/services", "{not json").status, 400u);

  auto q = call(http::get, "/v1/services?pattern=web-*&namespace=production&tag=api&healthy=true");
  ASSERT_EQ(q.status, 200u);
  auto arr = json::parse(q.body);
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0]["id"]["name"], "web-1");
  EXPECT_EQ(arr[1]["id"]["name"], "web-2");
  EXPECT_EQ(arr[0]["origin_node"], "test-node");
  EXPECT_EQ(json::parse(call(http::get, "/v1/services?tag=eu").body).size(), 1u);
  EXPECT_EQ(json::parse(call(http::get, "/v1/services").body).size(), 5u);

  EXPECT_EQ(call(http::delete_, "/v1/services/production/web-1/v1").status, 200u);
  EXPECT_EQ(call(http::delete_, "/v1/services/production/web-1/v1").status, 404u);
  EXPECT_EQ(json::parse(call(http::get, "/v1/services?pattern=web-*").body).size(), 3u);
  EXPECT_EQ(call(http::get, "/v2/nothing").status, 404u);

  auto stats = json::parse(call(http::get, "/v1/stats").body);
  EXPECT_EQ(stats["services"], 4);
  EXPECT_EQ(stats["rejected"]["duplicate"], 1);
}

TEST_F(AgentHttpTest, WatchLongPollSeesChangesInOrder) {
  auto start = json::parse(call(http::get, "/v1/watch?pattern=api-*").body);
  const std::uint64_t index = start["index"];
  auto waiting = std::async(std::launch::async, [&] {
    return call(http::get, "/v1/watch?pattern=api-*&wait=25&index=" + std::to_string(index));
  });
  // Not matching the watch: does not wake it with an event.
  ASSERT_EQ(call(http::put, "/v1/services", service("other", "default", "", "127.0.0.1:9")).status, 200u);
  ASSERT_EQ(call(http::put, "/v1/services", service("api-1", "default", "", "127.0.0.1:9")).status, 200u);
  auto first = waiting.get();
  ASSERT_EQ(first.status, 200u);
  auto ev = json::parse(first.body);
  ASSERT_GE(ev["events"].size(), 1u);
  EXPECT_EQ(ev["events"][0]["kind"], "added");
  EXPECT_EQ(ev["events"][0]["service"]["id"]["name"], "api-1");

  ASSERT_EQ(call(http::put, "/v1/health/default/api-1/v1?address=127.0.0.1:9&status=unhealthy").status, 200u);
  ASSERT_EQ(call(http::delete_, "/v1/services/default/api-1/v1").status, 200u);
  auto rest = json::parse(
      call(http::get, "/v1/watch?pattern=api-*&wait=1&index=" + std::to_string(ev["index"].get<std::uint64_t>())).body);
  ASSERT_EQ(rest["events"].size(), 2u);
  EXPECT_EQ(rest["events"][0]["kind"], "changed");
  EXPECT_EQ(rest["events"][0]["service"]["endpoints"][0]["health"], "unhealthy");
  EXPECT_EQ(rest["events"][1]["kind"], "removed");
}

TEST_F(AgentHttpTest, TtlExpiryRemovesAndWakesWatchers) {
  const std::uint64_t index = json::parse(call(http::get, "/v1/watch").body)["index"];
  ASSERT_EQ(call(http::put, "/v1/services", service("short", "default", "", "127.0.0.1:9", 1)).status, 200u);
  // Added, then removed by expiry after about a second; the hang guard is the 25 s wait.
  std::vector<std::string> kinds;
  std::uint64_t at = index;
  for (int i = 0; i < 5 && kinds.size() < 2; ++i) {
    auto r = json::parse(call(http::get, "/v1/watch?wait=25&index=" + std::to_string(at)).body);
    at = r["index"];
    for (const auto& e : r["events"]) kinds.push_back(e["kind"]);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"added", "removed"}));
  EXPECT_EQ(json::parse(call(http::get, "/v1/services").body).size(), 0u);
  EXPECT_EQ(json::parse(call(http::get, "/v1/stats").body)["expired_total"], 1);
}

}  // namespace
}  // namespace gquic::discovery

namespace gquic::discovery {
namespace {

// discover_services() answers a repeated query from the query cache while the registry is
// unchanged, and recomputes it after any change a query can see (a new service, a health
// change); the stats count both.
TEST_F(AgentHttpTest, QueryCacheHitsUntilTheRegistryChanges) {
  auto make = [](const std::string& name) {
    ServiceInfo s;
    s.id = {name, "prod", "v1"};
    s.endpoints = {Endpoint{.address = "127.0.0.1:8080", .health = Health::healthy}};
    return s;
  };
  ServiceQuery q;
  q.name_pattern = "web-*";
  q.ns = "prod";
  q.require_healthy = true;
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(make("web-a"))); }));
  const auto base = on_agent([&] { return manager->stats(); });
  EXPECT_EQ(on_agent([&] { return manager->discover_services(q).size(); }), 1u);
  EXPECT_EQ(on_agent([&] { return manager->discover_services(q).size(); }), 1u);
  auto s = on_agent([&] { return manager->stats(); });
  EXPECT_EQ(s.cache_misses - base.cache_misses, 1u);
  EXPECT_EQ(s.cache_hits - base.cache_hits, 1u);
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(make("web-b"))); }));
  EXPECT_EQ(on_agent([&] { return manager->discover_services(q).size(); }), 2u);  // recomputed
  ASSERT_TRUE(on_agent([&] {
    return bool(manager->set_endpoint_health({"web-a", "prod", "v1"}, "127.0.0.1:8080",
                                             Health::unhealthy));
  }));
  EXPECT_EQ(on_agent([&] { return manager->discover_services(q).size(); }), 1u);  // recomputed
  EXPECT_EQ(on_agent([&] { return manager->discover_services(q).size(); }), 1u);  // cached
  // Another query is its own entry.
  ServiceQuery all = q;
  all.require_healthy = false;
  EXPECT_EQ(on_agent([&] { return manager->discover_services(all).size(); }), 2u);
  s = on_agent([&] { return manager->stats(); });
  EXPECT_EQ(s.cache_misses - base.cache_misses, 4u);
  EXPECT_EQ(s.cache_hits - base.cache_hits, 2u);
}

}  // namespace
}  // namespace gquic::discovery

namespace gquic::discovery {
namespace {

// watch(): next() waits for the following events relevant to the query, in order; an
// irrelevant registration does not wake it with an empty batch; stopping ends it.
TEST_F(AgentHttpTest, WatchStreamDeliversRelevantEventsInOrder) {
  auto make = [](const std::string& name, const std::string& ns) {
    ServiceInfo s;
    s.id = {name, ns, "v1"};
    s.endpoints = {Endpoint{.address = "127.0.0.1:8080", .health = Health::healthy}};
    return s;
  };
  ServiceQuery q;
  q.name_pattern = "api-*";
  q.ns = "prod";
  std::promise<std::vector<std::string>> seen;
  auto fut = seen.get_future();
  on_agent([&] {
    boost::asio::co_spawn(
        io,
        [](ServiceDiscoveryManager* m, ServiceQuery query,
           std::promise<std::vector<std::string>>* out) -> asio::awaitable<void> {
          ServiceWatch w = m->watch(std::move(query));
          std::vector<std::string> log;
          while (log.size() < 3) {
            auto batch = co_await w.next();
            if (!batch) {
              log.push_back("error: " + batch.error().message());
              break;
            }
            for (const auto& e : *batch) {
              log.push_back(std::string(to_string(e.kind)) + " " + e.service.id.name);
            }
          }
          auto end = co_await w.next();  // after stop(): closed
          log.push_back(end ? "more" : (end.error() == make_error_code(Errc::closed) ? "closed" : "other"));
          out->set_value(log);
        }(manager.get(), q, &seen),
        boost::asio::detached);
    return 0;
  });
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(make("web-x", "prod"))); }));
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(make("api-a", "dev"))); }));
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(make("api-a", "prod"))); }));
  ASSERT_TRUE(on_agent([&] {
    return bool(manager->set_endpoint_health({"api-a", "prod", "v1"}, "127.0.0.1:8080",
                                             Health::unhealthy));
  }));
  ASSERT_TRUE(on_agent([&] { return bool(manager->deregister_service({"api-a", "prod", "v1"})); }));
  on_agent([&] {
    manager->stop();
    return 0;
  });
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(fut.get(), (std::vector<std::string>{"added api-a", "changed api-a", "removed api-a",
                                                 "closed"}));
}

}  // namespace
}  // namespace gquic::discovery
