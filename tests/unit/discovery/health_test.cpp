#include "gquic/discovery/health.h"

#include <gtest/gtest.h>

#include "test_services.h"

namespace gquic::discovery {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{std::chrono::seconds(100)};

HealthCheckSpec spec(unsigned healthy = 2, unsigned unhealthy = 3) {
  HealthCheckSpec s;
  s.kind = HealthCheckKind::tcp;
  s.interval = 1s;
  s.timeout = 500ms;
  s.healthy_threshold = healthy;
  s.unhealthy_threshold = unhealthy;
  return s;
}

TEST(HealthState, ThresholdsWithHysteresis) {
  HealthState h(spec(2, 3), Health::healthy);
  EXPECT_FALSE(h.on_result(false));
  EXPECT_FALSE(h.on_result(false));
  EXPECT_EQ(h.on_result(false), Health::unhealthy);
  EXPECT_FALSE(h.on_result(false));  // already unhealthy
  EXPECT_FALSE(h.on_result(true));
  EXPECT_EQ(h.on_result(true), Health::healthy);
}

TEST(HealthState, FlappingDoesNotFlapHealth) {
  HealthState h(spec(2, 2), Health::healthy);
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(h.on_result(i % 2 == 1)) << i;  // fail, ok, fail, ok: never two in a row
  }
  EXPECT_EQ(h.health(), Health::healthy);
  EXPECT_EQ(h.on_result(false), std::nullopt);
  EXPECT_EQ(h.on_result(false), Health::unhealthy);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(h.on_result(i % 2 == 0));
  EXPECT_EQ(h.health(), Health::unhealthy);
}

TEST(HealthState, UnknownResolvesEitherWay) {
  HealthState up(spec(2, 3));
  EXPECT_FALSE(up.on_result(true));
  EXPECT_EQ(up.on_result(true), Health::healthy);
  HealthState down(spec(2, 1));
  EXPECT_EQ(down.on_result(false), Health::unhealthy);
}

TEST(HealthScheduler, ProbesOnIntervalAndReportsTransitions) {
  HealthScheduler s;
  auto svc = test::make_service("web", "prod");
  svc.endpoints.push_back(Endpoint{.address = "192.0.2.2:80"});
  svc.health_check = spec(1, 2);
  s.add_service(svc, t0);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.next_deadline(), t0);
  auto due = s.poll_due(t0);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_TRUE(s.poll_due(t0 + 100ms).empty());  // in flight
  EXPECT_FALSE(s.on_result(due[0].target, false, t0 + 10ms));
  EXPECT_FALSE(s.on_result(due[1].target, true, t0 + 10ms));
  EXPECT_EQ(s.next_deadline(), t0 + 10ms + 1s);
  due = s.poll_due(t0 + 1010ms);
  ASSERT_EQ(due.size(), 2u);
  auto tr = s.on_result(due[0].target, false, t0 + 1020ms);
  ASSERT_TRUE(tr);
  EXPECT_EQ(tr->address, "192.0.2.1:8080");
  EXPECT_EQ(tr->health, Health::unhealthy);
  EXPECT_EQ(s.transitions_total(), 1u);
  s.remove_service(svc.id);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.on_result(due[1].target, true, t0 + 2s));  // removed meanwhile: ignored
}

TEST(HealthScheduler, LostProbeIsDueAgainAfterTimeout) {
  HealthScheduler s;
  auto svc = test::make_service("web", "prod");
  svc.health_check = spec();
  s.add_service(svc, t0);
  ASSERT_EQ(s.poll_due(t0).size(), 1u);
  EXPECT_TRUE(s.poll_due(t0 + 1s).empty());
  EXPECT_EQ(s.poll_due(t0 + 1500ms).size(), 1u);
}

TEST(HealthScheduler, NoCheckNoTargets) {
  HealthScheduler s;
  s.add_service(test::make_service("web"), t0);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.next_deadline());
}

}  // namespace
}  // namespace gquic::discovery
