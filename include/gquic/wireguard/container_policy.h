#pragma once
// ContainerPolicyFilter: the policy engine (gquic/policy/engine.h) on the WireGuard data path.
// A PacketFilter (device_core.h) installed on container peers: every IP packet arriving from
// such a peer (after decryption and the allowed-IP check) and every packet leaving to one
// (after cryptokey routing) gets a verdict from a shared policy::Engine; denied packets are
// dropped and counted by the policy that decided them.
//
//   auto engine = std::make_shared<policy::Engine>();
//   auto filter = std::make_shared<ContainerPolicyFilter>(engine, clock);
//   core.set_packet_filter(filter.get());   // or WireGuardManager::add_container_peer
//
// Direction: by default both passes check the whole connection (policy::Direction::both:
// the sender's egress AND the receiver's ingress). On a hub that routes between container
// peers a packet crosses the filter twice (from the sending peer, then to the receiving
// one) and the engine's connection tracking is shared by both passes: the first pass decides
// and records the flow, the second finds it tracked. Splitting the check (egress on
// from_peer, ingress on to_peer) would let that tracked flow skip the receiver's ingress
// rules, so `both` is the correct choice for a single enforcement point. A node whose
// containers sit behind different gquic hosts enforces the same way at each host; the
// checks are idempotent.
//
// Not thread-safe: one thread (the driver's io_context) calls filter(), like the engine's
// data plane. Reading the counters from another thread needs external synchronisation.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "gquic/core/clock.h"
#include "gquic/policy/engine.h"
#include "gquic/wireguard/device_core.h"

namespace gquic::wireguard {

struct ContainerPolicyStats {
  std::uint64_t from_peer = 0;  // packets checked, by direction
  std::uint64_t to_peer = 0;
  std::uint64_t dropped_from_peer = 0;
  std::uint64_t dropped_to_peer = 0;
  // Drops by the engine's reason (malformed, policy_deny, admin_deny, ...).
  std::array<std::uint64_t, static_cast<std::size_t>(policy::VerdictReason::count_)>
      dropped_by_reason{};
};

class ContainerPolicyFilter final : public PacketFilter {
 public:
  // `clock` must outlive the filter; it timestamps connection tracking.
  ContainerPolicyFilter(std::shared_ptr<policy::Engine> engine, const Clock& clock,
                        policy::Direction direction = policy::Direction::both);

  FilterVerdict filter(PacketDirection direction, const PublicKey& peer,
                       std::span<const std::uint8_t> ip_packet) override;

  policy::Engine& engine() noexcept { return *engine_; }
  const std::shared_ptr<policy::Engine>& shared_engine() const noexcept { return engine_; }
  const ContainerPolicyStats& stats() const noexcept { return stats_; }
  // Dropped packets by deciding policy ("ns/name" or "anp/rule"); drops decided by no
  // policy (malformed packets, untracked fragments) are counted under "".
  const std::map<std::string, std::uint64_t, std::less<>>& drops_by_policy() const noexcept {
    return drops_by_policy_;
  }
  std::uint64_t drops_for(std::string_view policy) const;

 private:
  std::shared_ptr<policy::Engine> engine_;
  const Clock& clock_;
  policy::Direction direction_;
  ContainerPolicyStats stats_;
  std::map<std::string, std::uint64_t, std::less<>> drops_by_policy_;
  TimePoint next_sweep_{};
};

}  // namespace gquic::wireguard
