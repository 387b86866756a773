// ContainerPolicyFilter; see container_policy.h.
#include "gquic/wireguard/container_policy.h"

#include <chrono>
#include <utility>

namespace gquic::wireguard {

namespace {
// Expired flows are swept at most this often, so the conntrack gauge tracks live flows.
constexpr Duration kSweepInterval = std::chrono::seconds(1);
}  // namespace

ContainerPolicyFilter::ContainerPolicyFilter(std::shared_ptr<policy::Engine> engine,
                                             const Clock& clock, policy::Direction direction)
    : engine_(std::move(engine)), clock_(clock), direction_(direction) {
  if (!engine_) engine_ = std::make_shared<policy::Engine>();
}

FilterVerdict ContainerPolicyFilter::filter(PacketDirection direction, const PublicKey& /*peer*/,
                                            std::span<const std::uint8_t> ip_packet) {
  const TimePoint now = clock_.now();
  if (now >= next_sweep_) {
    engine_->conntrack().expire(now);
    next_sweep_ = now + kSweepInterval;
  }
  const bool from_peer = direction == PacketDirection::from_peer;
  ++(from_peer ? stats_.from_peer : stats_.to_peer);
  const policy::Verdict v = engine_->verdict(now, ip_packet, direction_);
  if (v.allowed) return FilterVerdict::pass;
  ++(from_peer ? stats_.dropped_from_peer : stats_.dropped_to_peer);
  ++stats_.dropped_by_reason[static_cast<std::size_t>(v.reason)];
  auto it = drops_by_policy_.find(v.policy);
  if (it == drops_by_policy_.end()) it = drops_by_policy_.emplace(std::string(v.policy), 0).first;
  ++it->second;
  return FilterVerdict::drop;
}

std::uint64_t ContainerPolicyFilter::drops_for(std::string_view policy) const {
  auto it = drops_by_policy_.find(policy);
  return it == drops_by_policy_.end() ? 0 : it->second;
}

}  // namespace gquic::wireguard
