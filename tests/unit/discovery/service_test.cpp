#include "gquic/discovery/service.h"

#include <gtest/gtest.h>

#include "test_services.h"

namespace gquic::discovery {
namespace {

using test::make_service;

std::string why_of(const ServiceInfo& s) {
  std::string why;
  EXPECT_FALSE(validate(s, &why));
  return why;
}

TEST(DiscoveryService, ValidServicePasses) {
  std::string why;
  EXPECT_TRUE(validate(make_service("web-1"), &why)) << why;
  EXPECT_TRUE(validate(make_service("web", "prod", {}, "[2001:db8::1]:443"), &why)) << why;
}

TEST(DiscoveryService, ValidationNamesTheProblem) {
  EXPECT_EQ(why_of(make_service("")), "name is empty");
  EXPECT_NE(why_of(make_service("a.b")).find("not a DNS label"), std::string::npos);
  EXPECT_EQ(why_of(make_service("web", "")), "namespace is empty");
  EXPECT_NE(why_of(make_service("web", "default", {}, "nowhere")).find("endpoints[0].address"),
            std::string::npos);
  EXPECT_NE(why_of(make_service("web", "default", {}, "192.0.2.1:0")).find("port 0"),
            std::string::npos);
  auto s = make_service("web");
  s.ttl = std::chrono::seconds(-1);
  EXPECT_EQ(why_of(s), "ttl is negative");
  s = make_service("web", "default", {}, "192.0.2.1:80", "");
  EXPECT_NE(why_of(s).find("version"), std::string::npos);
  s = make_service("web");
  s.health_check.kind = HealthCheckKind::http;
  s.health_check.path = "health";
  EXPECT_NE(why_of(s).find("path"), std::string::npos);
  s.health_check.path = "/health";
  s.health_check.unhealthy_threshold = 0;
  EXPECT_NE(why_of(s).find("threshold"), std::string::npos);
}

TEST(DiscoveryService, NormalizeLowercasesAndSortsTags) {
  auto s = make_service("Web", "Prod", {"b", "a", "b"});
  normalize(s);
  EXPECT_EQ(s.id.name, "web");
  EXPECT_EQ(s.id.ns, "prod");
  EXPECT_EQ(s.tags, (std::vector<std::string>{"a", "b"}));
}

TEST(DiscoveryService, Glob) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("web-*", "web-1"));
  EXPECT_TRUE(glob_match("web-*", "web-"));
  EXPECT_FALSE(glob_match("web-*", "api-1"));
  EXPECT_TRUE(glob_match("w?b", "web"));
  EXPECT_FALSE(glob_match("w?b", "wb"));
  EXPECT_TRUE(glob_match("*-db-*", "eu-db-1"));
  EXPECT_FALSE(glob_match("*-db-*", "eu-db"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(glob_match("exact", "exact"));
  EXPECT_FALSE(glob_match("exact", "exactly"));
  EXPECT_EQ(glob_prefix("web-*"), "web-");
  EXPECT_EQ(glob_prefix("w?b"), "w");
  EXPECT_EQ(glob_prefix("*"), "");
  EXPECT_EQ(glob_prefix("api"), "api");
}

}  // namespace
}  // namespace gquic::discovery
