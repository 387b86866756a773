#include "gquic/discovery/health.h"

#include <algorithm>

namespace gquic::discovery {

std::optional<Health> HealthState::on_result(bool ok) noexcept {
  if (ok) {
    failures_ = 0;
    ++successes_;
    if (health_ != Health::healthy && successes_ >= spec_.healthy_threshold) {
      health_ = Health::healthy;
      return health_;
    }
  } else {
    successes_ = 0;
    ++failures_;
    if (health_ != Health::unhealthy && failures_ >= spec_.unhealthy_threshold) {
      health_ = Health::unhealthy;
      return health_;
    }
  }
  return std::nullopt;
}

void HealthScheduler::add_service(const ServiceInfo& s, TimePoint now) {
  remove_service(s.id);
  if (s.health_check.kind == HealthCheckKind::none) return;
  for (const Endpoint& e : s.endpoints) {
    targets_.emplace(next_id_++, Target{s.id, e.address, s.health_check,
                                        HealthState(s.health_check, e.health), now});
  }
}

void HealthScheduler::remove_service(const ServiceId& id) {
  std::erase_if(targets_, [&](const auto& kv) { return kv.second.service == id; });
}

std::vector<HealthProbe> HealthScheduler::poll_due(TimePoint now) {
  std::vector<HealthProbe> out;
  for (auto& [id, t] : targets_) {
    if (t.due > now) continue;
    // A probe whose result never came back counts as failed once its timeout is over; the
    // driver reports every probe, so this only guards against a lost one.
    t.in_flight = true;
    t.due = now + t.spec.interval + t.spec.timeout;
    ++probes_;
    out.push_back({id, t.service, t.address, t.spec});
  }
  return out;
}

std::optional<HealthTransition> HealthScheduler::on_result(std::uint64_t target, bool ok,
                                                           TimePoint now) {
  auto it = targets_.find(target);
  if (it == targets_.end()) return std::nullopt;  // removed meanwhile
  Target& t = it->second;
  t.in_flight = false;
  t.due = now + t.spec.interval;
  auto h = t.state.on_result(ok);
  if (!h) return std::nullopt;
  ++transitions_;
  return HealthTransition{t.service, t.address, *h};
}

std::optional<TimePoint> HealthScheduler::next_deadline() const {
  std::optional<TimePoint> best;
  for (const auto& [id, t] : targets_) {
    if (!best || t.due < *best) best = t.due;
  }
  return best;
}

}  // namespace gquic::discovery
