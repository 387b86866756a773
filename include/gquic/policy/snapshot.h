#pragma once
// The compiled form of a Cluster: an immutable Snapshot the data path reads without locks.
//
// Compilation:
//  * identities: containers with the same namespace, namespace labels, pod labels and
//    named ports share one identity (a small integer). Identities are append-only inside a
//    CompileCache, so earlier results stay valid across updates.
//  * every selector of every policy (subject, peers) is evaluated once into a bitset over
//    identities and memoised by its text: a policy update evaluates only its own new
//    selectors; a container with a new identity only extends each bitset by one bit.
//  * per identity, the NetworkPolicies isolating it (per direction) and the admin policies
//    whose subject selects it (in priority order).
//  * addresses: a hash map from pod IP to identity, and a longest-prefix-match table over
//    every CIDR any policy names. CIDRs nest or are disjoint, so the longest matching
//    prefix (its "CIDR class") decides every ipBlock/network match of an address.
// A connection's decision is then a function of (source identity, source class,
// destination identity, destination class, protocol, port): the engine caches it under
// that key, so a packet costs hash lookups, not a policy walk.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gquic/policy/cluster.h"
#include "gquic/policy/evaluator.h"

namespace gquic::policy {

inline constexpr std::uint32_t kNoId = 0xffffffffu;

struct Endpoint {
  std::uint32_t identity = kNoId;  // kNoId: not a known container
  std::uint32_t cidr_class = kNoId;
  IpAddress ip;
};

// The outcome of one side, with the policy (name slot) that decided it.
struct SideOutcome {
  SideReason reason = SideReason::not_a_pod;
  std::uint32_t policy = kNoId;  // name slot; kNoId when no policy decided
};

class CompileCache;

class Snapshot {
 public:
  struct Identity {
    std::string ns;
    Labels ns_labels;
    Labels pod_labels;
    std::vector<ContainerPort> ports;
  };
  using Bitset = std::vector<std::uint64_t>;
  struct Peer {
    std::shared_ptr<const Bitset> ids;  // selector peers
    std::optional<IpBlock> ip_block;
    std::vector<Cidr> networks;
  };
  struct Rule {
    std::vector<Peer> peers;
    bool all_peers = false;
    std::vector<PolicyPort> ports;
    bool all_ports = false;
    AdminAction action = AdminAction::allow;
    std::uint32_t name = kNoId;  // admin rules: slot of "policy/rule"
  };
  struct Policy {
    std::uint32_t name = kNoId;
    std::vector<Rule> ingress, egress;
  };

  // Builds a snapshot of `cluster`, reusing and updating `cache`.
  static std::shared_ptr<const Snapshot> compile(const Cluster& cluster, CompileCache& cache);

  Endpoint resolve(const IpAddress& ip) const noexcept;
  SideOutcome side(bool egress, const Endpoint& self, const Endpoint& other,
                   std::uint8_t protocol, std::uint16_t port) const;

  std::string_view name(std::uint32_t slot) const { return names_[slot]; }
  std::size_t name_count() const noexcept { return names_.size(); }
  std::size_t identity_count() const noexcept { return identities_.size(); }
  std::uint64_t generation() const noexcept { return generation_; }

 private:
  friend class CompileCache;
  struct PrefixKey {
    IpAddress ip;
    std::uint8_t len = 0;
    friend bool operator==(const PrefixKey&, const PrefixKey&) noexcept = default;
  };
  struct PrefixHash {
    std::size_t operator()(const PrefixKey& k) const noexcept;
  };
  struct IpHash {
    std::size_t operator()(const IpAddress& ip) const noexcept;
  };
  std::uint32_t lpm(const IpAddress& ip) const noexcept;
  bool peer_matches(const Peer& p, const Endpoint& e) const noexcept;

  std::uint64_t generation_ = 0;
  std::vector<std::shared_ptr<const Identity>> identities_;
  std::vector<std::string_view> names_;  // into CompileCache's names, never freed
  std::unordered_map<IpAddress, Endpoint, IpHash> pods_;
  std::unordered_map<PrefixKey, std::uint32_t, PrefixHash> prefixes_;
  std::vector<std::uint8_t> v4_lengths_, v6_lengths_;  // descending
  std::vector<Policy> policies_;                        // NetworkPolicies
  std::vector<Policy> admin_;                           // admin policies, priority order
  std::vector<std::vector<std::uint32_t>> ingress_by_id_, egress_by_id_, admin_by_id_;
};

// State kept between compilations (identities, memoised selectors, name slots). Not
// thread-safe: the engine uses it under its update lock.
class CompileCache {
 public:
  CompileCache();
  ~CompileCache();
  CompileCache(const CompileCache&) = delete;
  CompileCache& operator=(const CompileCache&) = delete;

  std::uint32_t name_slot(const std::string& name);
  std::size_t identity_count() const noexcept;
  std::size_t memo_size() const noexcept;

 private:
  friend class Snapshot;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gquic::policy
