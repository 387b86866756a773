#pragma once
// Health checking, sans-IO: which endpoint to probe when, and what the results mean.
//
// HealthState is the per-endpoint state machine with hysteresis: a healthy endpoint turns
// unhealthy after `unhealthy_threshold` consecutive failed probes, an unhealthy (or unknown)
// one turns healthy after `healthy_threshold` consecutive successes; a single result against
// the trend only resets the opposite streak, so a flapping endpoint does not flap its health.
// An unknown endpoint turns unhealthy after `unhealthy_threshold` failures.
//
// HealthScheduler keeps the targets (service id, endpoint address, spec), hands out the probes
// that are due (`poll_due(now)`, each probe then not due again until its result came back or
// its timeout passed), takes results (`on_result`) and reports transitions. The driver
// (health_check_driver.*) does the probing: TCP connect, HTTP GET with expected status.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/discovery/service.h"

namespace gquic::discovery {

class HealthState {
 public:
  explicit HealthState(HealthCheckSpec spec = {}, Health initial = Health::unknown) noexcept
      : spec_(spec), health_(initial) {}
  // Feeds one probe result; returns the new health when it changed.
  std::optional<Health> on_result(bool ok) noexcept;
  Health health() const noexcept { return health_; }
  unsigned successes() const noexcept { return successes_; }
  unsigned failures() const noexcept { return failures_; }

 private:
  HealthCheckSpec spec_;
  Health health_;
  unsigned successes_ = 0;
  unsigned failures_ = 0;
};

struct HealthProbe {
  std::uint64_t target = 0;  // pass back to on_result
  ServiceId service;
  std::string address;
  HealthCheckSpec spec;
};

struct HealthTransition {
  ServiceId service;
  std::string address;
  Health health;
};

class HealthScheduler {
 public:
  // Adds one target per endpoint of `s` (none when its health_check.kind is none). The first
  // probe is due at `now`. Replaces targets the service had.
  void add_service(const ServiceInfo& s, TimePoint now);
  void remove_service(const ServiceId& id);

  std::vector<HealthProbe> poll_due(TimePoint now);
  std::optional<HealthTransition> on_result(std::uint64_t target, bool ok, TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  std::size_t size() const noexcept { return targets_.size(); }
  std::uint64_t probes_total() const noexcept { return probes_; }
  std::uint64_t transitions_total() const noexcept { return transitions_; }

 private:
  struct Target {
    ServiceId service;
    std::string address;
    HealthCheckSpec spec;
    HealthState state;
    TimePoint due;
    bool in_flight = false;
  };
  std::map<std::uint64_t, Target> targets_;
  std::uint64_t next_id_ = 1;
  std::uint64_t probes_ = 0;
  std::uint64_t transitions_ = 0;
};

}  // namespace gquic::discovery
