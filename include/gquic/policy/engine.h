#pragma once
// The policy engine: the compiled snapshot, a verdict cache and connection tracking behind
// one packet API a data plane calls for every packet:
//
//   Verdict v = engine.verdict(now, packet_bytes, Direction::egress);
//
// Direction says which side(s) this enforcement point owns: `egress` checks the sender's
// egress rules (the packet leaves a local container), `ingress` the receiver's ingress
// rules (the packet is delivered to a local container), `both` checks both (a single
// enforcement point for the whole connection).
//
// Per packet: parse (malformed -> deny, counted) -> fragments (see conntrack.h) ->
// conntrack (a packet of a known flow, either direction, is allowed) -> policy decision
// from the verdict cache, computed from the snapshot on a miss -> an allowed packet
// records its flow.
//
// Threads: the update calls (set_cluster, upsert_*, remove_*) may run on any thread,
// concurrently with verdict(): each builds a new immutable Snapshot and publishes it with
// an atomic generation bump; the data path picks it up on its next packet and drops its
// verdict cache. verdict()/decide() themselves mutate the cache, the conntrack and the
// counters, so one thread at a time calls them (one Engine per data-plane thread, or
// external locking).
//
// Data planes that read packets in batches (TUN, recvmmsg, GRO) call verdicts() instead:
// the same decisions in the same order as one verdict() per packet, but the address-cache
// lines of up to 16 packets are requested from memory before the first of them is decided,
// so their latencies overlap.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/policy/cluster.h"
#include "gquic/policy/conntrack.h"
#include "gquic/policy/evaluator.h"
#include "gquic/policy/packet.h"
#include "gquic/policy/snapshot.h"

namespace gquic::policy {

enum class Direction : std::uint8_t { egress, ingress, both };

enum class VerdictReason : std::uint8_t {
  established,         // a packet of a tracked flow, original direction
  reply,               // a packet of a tracked flow, reverse direction
  fragment_tracked,    // a later fragment of an allowed datagram
  fragment_untracked,  // a later fragment of a datagram not seen allowed: denied
  malformed,           // the packet did not parse: denied
  not_a_pod,           // no container on the enforced side(s): allowed
  not_isolated,        // no NetworkPolicy isolates the container: allowed
  policy_allow,
  policy_deny,
  admin_allow,
  admin_deny,
  count_,
};
std::string_view verdict_reason_name(VerdictReason r) noexcept;

struct Verdict {
  bool allowed = false;
  VerdictReason reason = VerdictReason::malformed;
  std::string_view policy;  // deciding policy ("ns/name" or "anp/rule"); empty if none.
                            // Valid for the Engine's lifetime.
};

struct EngineConfig {
  ConntrackConfig conntrack;
  bool track_connections = true;
  std::size_t max_cache_entries = 1u << 20;  // verdict cache; cleared when full; 0 = off
  // Entries of the per-address cache in front of it (rounded up to a power of two; IPv4
  // flows: 2-way sets of 32-byte entries; IPv6 flows: direct-mapped 64-byte entries;
  // allocated on first use).
  std::size_t fast_cache_slots = 1u << 16;
};

struct EngineCounters {
  std::array<std::uint64_t, static_cast<std::size_t>(VerdictReason::count_)> by_reason{};
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t cache_flushes = 0;
};

struct PolicyCounter {
  std::string policy;
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {});

  // ---- control plane (thread-safe) ----
  void set_cluster(Cluster cluster);
  void upsert_namespace(Namespace ns);
  void upsert_container(ContainerPeerInfo c);
  bool remove_container(std::string_view ns, std::string_view name);
  void upsert_policy(NetworkPolicy p);
  bool remove_policy(std::string_view ns, std::string_view name);
  void upsert_admin_policy(AdminNetworkPolicy p);
  bool remove_admin_policy(std::string_view name);
  Cluster cluster() const;
  std::shared_ptr<const Snapshot> snapshot() const;

  // ---- data plane (one thread at a time) ----
  Verdict verdict(TimePoint now, std::span<const std::uint8_t> packet, Direction dir);
  // One verdict per packet into out (out.size() >= packets.size()), in order.
  void verdicts(TimePoint now, std::span<const std::span<const std::uint8_t>> packets,
                Direction dir, std::span<Verdict> out);
  // The policy decision for a connection (no conntrack), through the verdict cache.
  Verdict decide(const Connection& c, Direction dir = Direction::both);
  void clear_cache();

  const EngineCounters& counters() const noexcept { return counters_; }
  std::vector<PolicyCounter> policy_counters() const;
  Conntrack& conntrack() noexcept { return conntrack_; }

 private:
  struct CacheKey {
    std::uint32_t src_id, src_cls, dst_id, dst_cls;
    std::uint16_t port;
    std::uint8_t protocol;
    std::uint8_t dir;
    friend bool operator==(const CacheKey&, const CacheKey&) noexcept = default;
  };
  struct CacheKeyHash {
    std::size_t operator()(const CacheKey& k) const noexcept;
  };
  struct Cached {
    bool allowed;
    VerdictReason reason;
    std::uint32_t policy;
  };
  // A direct-mapped cache in front of the identity cache, keyed by the raw addresses: one
  // probe per packet, no allocation; entries of older snapshots are ignored by generation.
  struct FastEntry {
    std::uint64_t key[5];
    std::uint64_t generation = 0;
    Cached value;
  };
  // IPv4 flows, the common case: the key fits in 12 bytes, and two entries share one cache
  // line (a set), so two flows whose hashes collide do not evict each other.
  struct FastV4Entry {
    std::uint32_t src = 0;
    std::uint32_t dst = 0;
    std::uint32_t meta = 0;        // port << 16 | protocol << 8 | direction
    std::uint32_t generation = 0;  // low 32 bits of the snapshot generation; 0 = empty
    Cached value{};
  };
  struct alignas(64) FastV4Set {
    FastV4Entry way[2];
  };

  void rebuild_locked();
  void refresh_snapshot();
  Cached compute(const Endpoint& src, const Endpoint& dst, std::uint8_t protocol,
                 std::uint16_t port, Direction dir) const;
  Cached lookup_identities(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                           std::uint16_t port, Direction dir);
  Verdict decide_v4(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                    std::uint16_t port, Direction dir);
  void clear_fast_v4();
  Verdict verdict_parsed(TimePoint now, const PacketInfo& p, Direction dir);
  std::size_t fast_v4_index(std::uint32_t s, std::uint32_t d, std::uint32_t meta) const noexcept;
  void prefetch(const PacketInfo& p, Direction dir) const noexcept;
  Verdict decide_resolved(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                          std::uint16_t port, Direction dir);
  Verdict finish(bool allowed, VerdictReason reason, std::uint32_t policy);

  EngineConfig config_;

  // Control plane.
  mutable std::mutex update_mutex_;
  Cluster cluster_;
  CompileCache compile_cache_;
  mutable std::mutex publish_mutex_;
  std::shared_ptr<const Snapshot> published_;
  std::atomic<std::uint64_t> published_generation_{0};

  // Data plane.
  std::shared_ptr<const Snapshot> current_;
  std::uint64_t current_generation_ = 0;
  std::unordered_map<CacheKey, Cached, CacheKeyHash> cache_;
  std::vector<FastEntry> fast_;
  std::unique_ptr<FastV4Set[]> fast_v4_;
  std::size_t fast_v4_mask_ = 0;
  std::uint32_t fast_tag_ = 0;
  Conntrack conntrack_;
  EngineCounters counters_;
  std::vector<std::array<std::uint64_t, 2>> policy_counts_;  // by name slot: allowed, denied
};

}  // namespace gquic::policy
