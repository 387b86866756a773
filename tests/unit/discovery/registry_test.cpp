#include "gquic/discovery/registry.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "test_services.h"

namespace gquic::discovery {
namespace {

using namespace std::chrono_literals;
using test::make_service;

const TimePoint t0{std::chrono::seconds(1000)};

std::vector<std::string> names(const std::vector<const ServiceInfo*>& v) {
  std::vector<std::string> out;
  for (auto* s : v) out.push_back(s->id.ns + "/" + s->id.name + "/" + s->id.version);
  std::sort(out.begin(), out.end());
  return out;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(reg.register_service(make_service("web-1", "prod", {"api", "eu"}), t0));
    ASSERT_TRUE(reg.register_service(make_service("web-2", "prod", {"api"}), t0));
    ASSERT_TRUE(reg.register_service(make_service("web-3", "staging", {"api"}), t0));
    auto db = make_service("db", "prod", {"sql"});
    db.metadata = {{"engine", "postgres"}, {"zone", "a"}};
    ASSERT_TRUE(reg.register_service(db, t0));
    auto down = make_service("webhook", "prod", {"api"});
    down.endpoints[0].health = Health::unhealthy;
    ASSERT_TRUE(reg.register_service(down, t0));
  }
  ServiceRegistry reg;
};

TEST_F(RegistryTest, RejectsDuplicatesAndInvalid) {
  std::string why;
  auto r = reg.register_service(make_service("web-1", "prod"), t0, &why);
  EXPECT_EQ(r.error(), make_error_code(Errc::already_exists));
  EXPECT_NE(why.find("already registered"), std::string::npos);
  // The same id in another case is the same service.
  EXPECT_EQ(reg.register_service(make_service("WEB-1", "Prod"), t0).error(),
            make_error_code(Errc::already_exists));
  EXPECT_EQ(reg.register_service(make_service(""), t0, &why).error(),
            make_error_code(Errc::invalid_argument));
  EXPECT_EQ(why, "name is empty");
  EXPECT_EQ(reg.stats().rejected[static_cast<int>(RejectReason::duplicate)], 2u);
  EXPECT_EQ(reg.stats().rejected[static_cast<int>(RejectReason::invalid)], 1u);
  EXPECT_EQ(reg.size(), 5u);  // nothing accepted was lost
}

TEST_F(RegistryTest, GlobNamespaceTagsMetadataHealth) {
  ServiceQuery q;
  q.name_pattern = "web-*";
  EXPECT_EQ(names(reg.query(q)),
            (std::vector<std::string>{"prod/web-1/v1", "prod/web-2/v1", "staging/web-3/v1"}));
  q.ns = "prod";
  EXPECT_EQ(names(reg.query(q)), (std::vector<std::string>{"prod/web-1/v1", "prod/web-2/v1"}));
  q.required_tags = {"eu"};
  EXPECT_EQ(names(reg.query(q)), (std::vector<std::string>{"prod/web-1/v1"}));

  ServiceQuery web;
  web.name_pattern = "web*";
  web.require_healthy = true;
  EXPECT_EQ(names(reg.query(web)).size(), 3u);  // webhook is unhealthy
  web.require_healthy = false;
  EXPECT_EQ(names(reg.query(web)).size(), 4u);

  ServiceQuery md;
  md.metadata_filters = {{"engine", "postgres"}};
  EXPECT_EQ(names(reg.query(md)), (std::vector<std::string>{"prod/db/v1"}));
  md.metadata_filters = {{"engine", "mysql"}};
  EXPECT_TRUE(reg.query(md).empty());

  ServiceQuery exact;
  exact.name_pattern = "web";  // exact names do not match web-1
  EXPECT_TRUE(reg.query(exact).empty());
  exact.name_pattern = "db";
  EXPECT_EQ(reg.query(exact).size(), 1u);

  ServiceQuery unknown_tag;
  unknown_tag.required_tags = {"nope"};
  EXPECT_TRUE(reg.query(unknown_tag).empty());
  ServiceQuery suffix;
  suffix.name_pattern = "*-2";
  EXPECT_EQ(names(reg.query(suffix)), (std::vector<std::string>{"prod/web-2/v1"}));
}

TEST(Registry, IndexedQueryAgreesWithLinearScan) {
  ServiceRegistry reg;
  std::mt19937 rng(7);
  const char* prefixes[] = {"web", "api", "db", "cache", "w"};
  const char* nss[] = {"prod", "staging", "dev"};
  const char* tags[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 2000; ++i) {
    auto s = make_service(std::string(prefixes[rng() % 5]) + "-" + std::to_string(i),
                          nss[rng() % 3], {tags[rng() % 4], tags[rng() % 4]});
    if (rng() % 4 == 0) s.endpoints[0].health = Health::unhealthy;
    s.metadata["m"] = std::to_string(rng() % 3);
    ASSERT_TRUE(reg.register_service(s, t0));
  }
  for (int i = 0; i < 300; ++i) {
    ServiceQuery q;
    const int p = static_cast<int>(rng() % 6);
    q.name_pattern = p == 5 ? "*" : std::string(prefixes[p]) + (rng() % 2 ? "-1*" : "*");
    if (rng() % 2) q.ns = nss[rng() % 3];
    if (rng() % 2) q.required_tags.push_back(tags[rng() % 4]);
    if (rng() % 3 == 0) q.metadata_filters["m"] = std::to_string(rng() % 3);
    q.require_healthy = rng() % 2;
    EXPECT_EQ(names(reg.query(q)), names(reg.query_linear(q))) << q.name_pattern;
  }
  // A selective query examines far fewer entries than there are.
  const auto before = reg.stats().query_candidates_total;
  ServiceQuery q;
  q.name_pattern = "db-1*";
  (void)reg.query(q);
  EXPECT_LT(reg.stats().query_candidates_total - before, 500u);
}

TEST(Registry, TtlExpiryWithSimulatedTime) {
  ServiceRegistry reg;
  auto s = make_service("web", "prod");
  s.ttl = 10s;
  ASSERT_TRUE(reg.register_service(s, t0));
  ASSERT_TRUE(reg.register_service(make_service("forever", "prod"), t0));
  EXPECT_EQ(reg.next_deadline(), t0 + 10s);
  EXPECT_EQ(reg.handle_timeout(t0 + 9s), 0u);
  ASSERT_TRUE(reg.renew({"web", "prod", "v1"}, t0 + 9s));  // renewed: lives until t0+19s
  EXPECT_EQ(reg.next_deadline(), t0 + 19s);
  EXPECT_EQ(reg.handle_timeout(t0 + 18s), 0u);
  EXPECT_EQ(reg.size(), 2u);
  EXPECT_EQ(reg.handle_timeout(t0 + 19s), 1u);
  EXPECT_EQ(reg.find({"web", "prod", "v1"}), nullptr);
  EXPECT_NE(reg.find({"forever", "prod", "v1"}), nullptr);
  EXPECT_FALSE(reg.next_deadline());
  EXPECT_EQ(reg.stats().expired_total, 1u);
  EXPECT_EQ(reg.renew({"web", "prod", "v1"}, t0 + 20s).error(), make_error_code(Errc::not_found));
}

TEST(Registry, WatchEventsInOrderRelativeToQuery) {
  ServiceRegistry reg;
  ServiceQuery q;
  q.name_pattern = "web-*";
  q.require_healthy = true;
  const auto start = reg.last_sequence();
  ASSERT_TRUE(reg.register_service(make_service("web-1", "prod"), t0));
  ASSERT_TRUE(reg.register_service(make_service("db", "prod"), t0));  // not in the query
  ASSERT_TRUE(reg.set_endpoint_health({"web-1", "prod", "v1"}, "192.0.2.1:8080", Health::unhealthy));
  ASSERT_TRUE(reg.set_endpoint_health({"web-1", "prod", "v1"}, "192.0.2.1:8080", Health::healthy));
  auto changed = make_service("web-1", "prod", {"new"});
  ASSERT_TRUE(reg.apply(changed, t0));
  ASSERT_TRUE(reg.deregister({"web-1", "prod", "v1"}));

  auto ev = reg.events_since(start, q);
  ASSERT_TRUE(ev);
  std::vector<EventKind> kinds;
  for (const auto& e : *ev) kinds.push_back(e.kind);
  // Unhealthy means "leaves the query": removed; healthy again: added.
  EXPECT_EQ(kinds, (std::vector<EventKind>{EventKind::added, EventKind::removed, EventKind::added,
                                           EventKind::changed, EventKind::removed}));
  for (std::size_t i = 1; i < ev->size(); ++i) EXPECT_LT((*ev)[i - 1].sequence, (*ev)[i].sequence);
  EXPECT_EQ((*ev)[3].service.tags, (std::vector<std::string>{"new"}));
  // Resuming from the middle gives the tail only.
  auto tail = reg.events_since((*ev)[2].sequence, q);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->size(), 2u);
  EXPECT_EQ(reg.stats().health_transitions_total, 2u);
}

TEST(Registry, EventLogOverflowAsksForResync) {
  ServiceRegistry reg(RegistryOptions{.event_log_capacity = 4});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(reg.register_service(make_service("s" + std::to_string(i)), t0));
  }
  EXPECT_EQ(reg.events_since(0, {}).error(), make_error_code(Errc::exhausted));
  auto ok = reg.events_since(6, {});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 4u);
}

TEST(Registry, BackendApplyAndRemove) {
  ServiceRegistry reg;
  auto s = make_service("web", "prod");
  s.source = ServiceSource::etcd;
  s.origin_node = "node-b";
  s.ttl = 30s;
  auto r = reg.apply(s, t0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, EventKind::added);
  r = reg.apply(s, t0 + 5s);  // same content: no event, TTL restarted
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(reg.expires_at(s.id), t0 + 35s);
  s.endpoints.push_back(Endpoint{.address = "192.0.2.2:8080"});
  r = reg.apply(s, t0 + 6s);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, EventKind::changed);
  EXPECT_EQ(reg.find(s.id)->source, ServiceSource::etcd);
  EXPECT_EQ(reg.stats().discovered_total, 1u);
  EXPECT_EQ(reg.stats().local_services, 0u);
  // Only the source that owns it removes it.
  EXPECT_FALSE(reg.remove(s.id, ServiceSource::mdns));
  EXPECT_TRUE(reg.remove(s.id, ServiceSource::etcd));
  EXPECT_EQ(reg.size(), 0u);
  auto bad = make_service("");
  EXPECT_FALSE(reg.apply(bad, t0));
}

TEST(Registry, FindAllVersionsAndLimit) {
  ServiceRegistry reg;
  ASSERT_TRUE(reg.register_service(make_service("web", "prod", {}, "192.0.2.1:80", "v1"), t0));
  ASSERT_TRUE(reg.register_service(make_service("web", "prod", {}, "192.0.2.2:80", "v2"), t0));
  ASSERT_TRUE(reg.register_service(make_service("web", "dev", {}, "192.0.2.3:80", "v1"), t0));
  ASSERT_TRUE(reg.register_service(make_service("web-x", "prod", {}, "192.0.2.4:80", "v1"), t0));
  EXPECT_EQ(reg.find_all_versions("web", "prod").size(), 2u);
  ServiceQuery q;
  q.limit = 2;
  EXPECT_EQ(reg.query(q).size(), 2u);
}

}  // namespace
}  // namespace gquic::discovery
