#include "gquic/discovery/service_json.h"

#include <gtest/gtest.h>

#include "test_services.h"

namespace gquic::discovery {
namespace {

TEST(DiscoveryJson, RoundTrip) {
  auto s = test::make_service("web", "prod", {"api", "eu"});
  s.description = "front end";
  s.endpoints[0].metadata = {{"zone", "a"}};
  s.endpoints[0].weight = 7;
  s.endpoints.push_back(Endpoint{.address = "[2001:db8::1]:443", .protocol = "quic",
                                 .health = Health::unhealthy});
  s.health_check.kind = HealthCheckKind::http;
  s.health_check.path = "/ready";
  s.ttl = std::chrono::seconds(30);
  s.metadata = {{"team", "x"}};
  s.source = ServiceSource::etcd;
  s.origin_node = "n1";
  std::string why;
  auto back = service_from_json(to_json(s), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(*back, s);
}

TEST(DiscoveryJson, FieldNamesAsInTheModel) {
  auto r = service_from_json(R"({"id":{"name":"Web","namespace":"prod","version":"v2"},
      "service_type":"http","endpoints":[{"address":"10.0.0.1:80","weight":5,
      "metadata":{"a":"b"}}],"ttl":15,"metadata":{"k":"v"},"tags":["x"],
      "health_check":{"kind":"tcp","interval":500,"timeout":100}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, (ServiceId{"web", "prod", "v2"}));
  EXPECT_EQ(r->endpoints.at(0).weight, 5);
  EXPECT_EQ(r->endpoints.at(0).protocol, "tcp");
  EXPECT_EQ(r->ttl.count(), 15);
  EXPECT_EQ(r->health_check.kind, HealthCheckKind::tcp);
  EXPECT_EQ(r->health_check.interval.count(), 500);
  // Defaults.
  auto d = service_from_json(R"({"id":{"name":"a"}})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id.ns, "default");
  EXPECT_EQ(d->id.version, "latest");
}

TEST(DiscoveryJson, BadInputIsAClearError) {
  std::string why;
  EXPECT_EQ(service_from_json("{", &why).error(), make_error_code(Errc::malformed));
  EXPECT_EQ(why, "not valid JSON");
  EXPECT_FALSE(service_from_json(R"({"id":{"name":5}})", &why));
  EXPECT_EQ(why, "'name' must be a string");
  EXPECT_FALSE(service_from_json(R"({"id":{"name":"a"},"ttl":-3})", &why));
  EXPECT_EQ(why, "ttl is negative");
  EXPECT_FALSE(service_from_json(R"({"id":{"name":"a"},"endpoints":[{"address":"x"}]})", &why));
  EXPECT_NE(why.find("endpoints[0].address"), std::string::npos);
  EXPECT_FALSE(service_from_json(R"({"id":{"name":"a"},"endpoints":[{"address":"1.2.3.4:1","weight":70000}]})", &why));
  EXPECT_NE(why.find("weight"), std::string::npos);
  EXPECT_FALSE(service_from_json("[]", &why));
  auto list = services_from_json("[" + to_json(test::make_service("a")) + "]");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
}

}  // namespace
}  // namespace gquic::discovery
