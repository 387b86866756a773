#include "gquic/policy/engine.h"

#include "gquic/core/assert.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace gquic::policy {

std::string_view verdict_reason_name(VerdictReason r) noexcept {
  switch (r) {
    case VerdictReason::established: return "established";
    case VerdictReason::reply: return "reply";
    case VerdictReason::fragment_tracked: return "fragment-tracked";
    case VerdictReason::fragment_untracked: return "fragment-untracked";
    case VerdictReason::malformed: return "malformed";
    case VerdictReason::not_a_pod: return "not-a-pod";
    case VerdictReason::not_isolated: return "not-isolated";
    case VerdictReason::policy_allow: return "policy-allow";
    case VerdictReason::policy_deny: return "policy-deny";
    case VerdictReason::admin_allow: return "admin-allow";
    case VerdictReason::admin_deny: return "admin-deny";
    case VerdictReason::count_: break;
  }
  return "?";
}

namespace {

VerdictReason to_verdict_reason(SideReason r) noexcept {
  switch (r) {
    case SideReason::not_a_pod: return VerdictReason::not_a_pod;
    case SideReason::admin_allow: return VerdictReason::admin_allow;
    case SideReason::admin_deny: return VerdictReason::admin_deny;
    case SideReason::not_isolated: return VerdictReason::not_isolated;
    case SideReason::policy_allow: return VerdictReason::policy_allow;
    case SideReason::policy_deny: return VerdictReason::policy_deny;
  }
  return VerdictReason::not_a_pod;
}

// How specific a side's reason is, to pick which side explains an allowed connection.
int specificity(SideReason r) noexcept {
  switch (r) {
    case SideReason::admin_allow: return 3;
    case SideReason::policy_allow: return 2;
    case SideReason::not_isolated: return 1;
    default: return 0;
  }
}

}  // namespace

std::size_t Engine::CacheKeyHash::operator()(const CacheKey& k) const noexcept {
  std::uint64_t a = (std::uint64_t{k.src_id} << 32) | k.src_cls;
  std::uint64_t b = (std::uint64_t{k.dst_id} << 32) | k.dst_cls;
  std::uint64_t c = (std::uint64_t{k.port} << 16) | (std::uint64_t{k.protocol} << 8) | k.dir;
  std::uint64_t h = a * 0x9e3779b97f4a7c15ULL;
  h ^= (b + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2)) * 0xc2b2ae3d27d4eb4fULL;
  h ^= (c + (h << 6) + (h >> 2)) * 0x165667b19e3779f9ULL;
  return h ^ (h >> 29);
}

Engine::Engine(EngineConfig config)
    : config_(config), conntrack_(config.conntrack) {
  if (config_.max_cache_entries == 0) config_.fast_cache_slots = 0;
  if (config_.fast_cache_slots != 0) {
    config_.fast_cache_slots = std::bit_ceil(config_.fast_cache_slots);
  }
  std::lock_guard lock(update_mutex_);
  rebuild_locked();
}

void Engine::rebuild_locked() {
  auto snap = Snapshot::compile(cluster_, compile_cache_);
  const auto gen = snap->generation();
  {
    std::lock_guard lock(publish_mutex_);
    published_ = std::move(snap);
  }
  published_generation_.store(gen, std::memory_order_release);
}

void Engine::set_cluster(Cluster cluster) {
  std::lock_guard lock(update_mutex_);
  cluster_ = std::move(cluster);
  rebuild_locked();
}

void Engine::upsert_namespace(Namespace ns) {
  std::lock_guard lock(update_mutex_);
  auto it = std::find_if(cluster_.namespaces.begin(), cluster_.namespaces.end(),
                         [&](const auto& n) { return n.name == ns.name; });
  if (it != cluster_.namespaces.end()) *it = std::move(ns);
  else cluster_.namespaces.push_back(std::move(ns));
  rebuild_locked();
}

void Engine::upsert_container(ContainerPeerInfo c) {
  std::lock_guard lock(update_mutex_);
  auto it = std::find_if(cluster_.containers.begin(), cluster_.containers.end(), [&](const auto& x) {
    return x.namespace_ == c.namespace_ && x.container_id == c.container_id;
  });
  if (it != cluster_.containers.end()) *it = std::move(c);
  else cluster_.containers.push_back(std::move(c));
  rebuild_locked();
}

bool Engine::remove_container(std::string_view ns, std::string_view name) {
  std::lock_guard lock(update_mutex_);
  const auto n = std::erase_if(cluster_.containers, [&](const auto& x) {
    return x.namespace_ == ns && x.container_id == name;
  });
  if (n) rebuild_locked();
  return n != 0;
}

void Engine::upsert_policy(NetworkPolicy p) {
  std::lock_guard lock(update_mutex_);
  auto it = std::find_if(cluster_.policies.begin(), cluster_.policies.end(), [&](const auto& x) {
    return x.namespace_ == p.namespace_ && x.name == p.name;
  });
  if (it != cluster_.policies.end()) *it = std::move(p);
  else cluster_.policies.push_back(std::move(p));
  rebuild_locked();
}

bool Engine::remove_policy(std::string_view ns, std::string_view name) {
  std::lock_guard lock(update_mutex_);
  const auto n = std::erase_if(cluster_.policies, [&](const auto& x) {
    return x.namespace_ == ns && x.name == name;
  });
  if (n) rebuild_locked();
  return n != 0;
}

void Engine::upsert_admin_policy(AdminNetworkPolicy p) {
  std::lock_guard lock(update_mutex_);
  auto it = std::find_if(cluster_.admin_policies.begin(), cluster_.admin_policies.end(),
                         [&](const auto& x) { return x.name == p.name; });
  if (it != cluster_.admin_policies.end()) *it = std::move(p);
  else cluster_.admin_policies.push_back(std::move(p));
  rebuild_locked();
}

bool Engine::remove_admin_policy(std::string_view name) {
  std::lock_guard lock(update_mutex_);
  const auto n =
      std::erase_if(cluster_.admin_policies, [&](const auto& x) { return x.name == name; });
  if (n) rebuild_locked();
  return n != 0;
}

Cluster Engine::cluster() const {
  std::lock_guard lock(update_mutex_);
  return cluster_;
}

std::shared_ptr<const Snapshot> Engine::snapshot() const {
  std::lock_guard lock(publish_mutex_);
  return published_;
}

void Engine::refresh_snapshot() {
  const auto gen = published_generation_.load(std::memory_order_acquire);
  if (gen == current_generation_ && current_) return;
  {
    std::lock_guard lock(publish_mutex_);
    current_ = published_;
  }
  current_generation_ = current_->generation();
  // The IPv4 entries carry a 32-bit tag of the generation, never 0 (empty); when the tag
  // wraps around, entries of 2^32 - 1 generations ago could match again, so they go.
  fast_tag_ = static_cast<std::uint32_t>(current_generation_ % 0xffffffffULL) + 1;
  if (fast_tag_ == 1) clear_fast_v4();
  cache_.clear();
  if (policy_counts_.size() < current_->name_count()) policy_counts_.resize(current_->name_count());
}

void Engine::clear_cache() {
  cache_.clear();
  for (auto& e : fast_) e.generation = 0;
  clear_fast_v4();
  ++counters_.cache_flushes;
}

void Engine::clear_fast_v4() {
  if (!fast_v4_) return;
  for (std::size_t i = 0; i <= fast_v4_mask_; ++i) fast_v4_[i] = FastV4Set{};
}

Engine::Cached Engine::compute(const Endpoint& src, const Endpoint& dst, std::uint8_t protocol,
                               std::uint16_t port, Direction dir) const {
  SideOutcome eg{}, in{};
  if (dir != Direction::ingress) eg = current_->side(true, src, dst, protocol, port);
  if (dir != Direction::egress) in = current_->side(false, dst, src, protocol, port);
  if (!side_reason_allows(eg.reason)) return {false, to_verdict_reason(eg.reason), eg.policy};
  if (!side_reason_allows(in.reason)) return {false, to_verdict_reason(in.reason), in.policy};
  const SideOutcome& why = specificity(in.reason) >= specificity(eg.reason) ? in : eg;
  return {true, to_verdict_reason(why.reason), why.policy};
}

Verdict Engine::finish(bool allowed, VerdictReason reason, std::uint32_t policy) {
  counters_.by_reason[static_cast<std::size_t>(reason)]++;
  (allowed ? counters_.allowed : counters_.denied)++;
  Verdict v{allowed, reason, {}};
  if (policy != kNoId && current_ && policy < current_->name_count()) {
    policy_counts_[policy][allowed ? 0 : 1]++;
    v.policy = current_->name(policy);
  }
  return v;
}

Engine::Cached Engine::lookup_identities(const IpAddress& src, const IpAddress& dst,
                                         std::uint8_t protocol, std::uint16_t port,
                                         Direction dir) {
  const Endpoint s = current_->resolve(src);
  const Endpoint d = current_->resolve(dst);
  const CacheKey key{s.identity, s.cidr_class, d.identity,        d.cidr_class,
                     port,       protocol,     static_cast<std::uint8_t>(dir)};
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    ++counters_.cache_hits;
    return it->second;
  }
  ++counters_.cache_misses;
  const Cached c = compute(s, d, protocol, port, dir);
  if (config_.max_cache_entries != 0) {
    if (cache_.size() >= config_.max_cache_entries) clear_cache();
    cache_.emplace(key, c);
  }
  return c;
}

std::size_t Engine::fast_v4_index(std::uint32_t s, std::uint32_t d,
                                  std::uint32_t meta) const noexcept {
  std::uint64_t h = ((std::uint64_t{s} << 32) | d) * 0x9e3779b97f4a7c15ULL;
  h ^= (h >> 29) ^ (std::uint64_t{meta} * 0xc2b2ae3d27d4eb4fULL);
  h ^= h >> 32;
  return h & fast_v4_mask_;
}

Verdict Engine::decide_v4(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                          std::uint16_t port, Direction dir) {
  if (!fast_v4_) {
    const std::size_t sets = std::max<std::size_t>(1, config_.fast_cache_slots / 2);
    fast_v4_ = std::make_unique<FastV4Set[]>(sets);
    fast_v4_mask_ = sets - 1;
  }
  std::uint32_t s = 0, d = 0;
  std::memcpy(&s, src.bytes().data(), 4);
  std::memcpy(&d, dst.bytes().data(), 4);
  const std::uint32_t meta = (std::uint32_t{port} << 16) | (std::uint32_t{protocol} << 8) |
                             static_cast<std::uint8_t>(dir);
  FastV4Set& set = fast_v4_[fast_v4_index(s, d, meta)];
  for (const FastV4Entry& e : set.way) {
    if (e.generation == fast_tag_ && e.src == s && e.dst == d && e.meta == meta) {
      ++counters_.cache_hits;
      return finish(e.value.allowed, e.value.reason, e.value.policy);
    }
  }
  const Cached c = lookup_identities(src, dst, protocol, port, dir);
  set.way[1] = set.way[0];  // the newest entry in way 0, the one before it kept in way 1
  set.way[0] = FastV4Entry{s, d, meta, fast_tag_, c};
  return finish(c.allowed, c.reason, c.policy);
}

Verdict Engine::decide_resolved(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint16_t port, Direction dir) {
  if (config_.fast_cache_slots == 0) {
    const Cached c = lookup_identities(src, dst, protocol, port, dir);
    return finish(c.allowed, c.reason, c.policy);
  }
  if (src.is_v4() && dst.is_v4()) return decide_v4(src, dst, protocol, port, dir);
  if (fast_.empty()) fast_.resize(config_.fast_cache_slots);
  std::uint64_t fk[5];
  std::memcpy(&fk[0], src.bytes().data(), 16);
  std::memcpy(&fk[2], dst.bytes().data(), 16);
  fk[4] = (std::uint64_t{port} << 24) | (std::uint64_t{protocol} << 16) |
          (std::uint64_t{static_cast<std::uint8_t>(dir)} << 8) | (src.is_v6() ? 2u : 0u) |
          (dst.is_v6() ? 1u : 0u);
  std::uint64_t h = (fk[0] ^ (fk[1] * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
  h ^= (fk[2] ^ (fk[3] * 0xc2b2ae3d27d4eb4fULL) ^ fk[4]) * 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 29;
  FastEntry* slot = &fast_[h & (config_.fast_cache_slots - 1)];
  if (slot->generation == current_generation_ && slot->key[0] == fk[0] &&
      slot->key[2] == fk[2] && slot->key[4] == fk[4] && slot->key[1] == fk[1] &&
      slot->key[3] == fk[3]) {
    ++counters_.cache_hits;
    return finish(slot->value.allowed, slot->value.reason, slot->value.policy);
  }
  const Cached c = lookup_identities(src, dst, protocol, port, dir);
  std::memcpy(slot->key, fk, sizeof fk);
  slot->generation = current_generation_;
  slot->value = c;
  return finish(c.allowed, c.reason, c.policy);
}

Verdict Engine::decide(const Connection& c, Direction dir) {
  refresh_snapshot();
  return decide_resolved(c.src, c.dst, c.protocol, c.port, dir);
}

Verdict Engine::verdict(TimePoint now, std::span<const std::uint8_t> packet, Direction dir) {
  refresh_snapshot();
  auto parsed = parse_packet(packet);
  if (!parsed) return finish(false, VerdictReason::malformed, kNoId);
  return verdict_parsed(now, *parsed, dir);
}

namespace {
// Ports only exist for TCP, UDP and SCTP; other protocols are decided with port 0, which
// only rules without ports match.
std::uint16_t policy_port(const PacketInfo& p) noexcept {
  const bool has_ports =
      p.protocol == proto::tcp || p.protocol == proto::udp || p.protocol == proto::sctp;
  return has_ports ? p.dst_port : 0;
}
}  // namespace

void Engine::prefetch(const PacketInfo& p, Direction dir) const noexcept {
  if (fast_v4_ && p.src.is_v4() && p.dst.is_v4()) {
    std::uint32_t s = 0, d = 0;
    std::memcpy(&s, p.src.bytes().data(), 4);
    std::memcpy(&d, p.dst.bytes().data(), 4);
    const std::uint32_t meta = (std::uint32_t{policy_port(p)} << 16) |
                               (std::uint32_t{p.protocol} << 8) | static_cast<std::uint8_t>(dir);
    __builtin_prefetch(&fast_v4_[fast_v4_index(s, d, meta)]);
  }
}

void Engine::verdicts(TimePoint now, std::span<const std::span<const std::uint8_t>> packets,
                      Direction dir, std::span<Verdict> out) {
  GQUIC_ASSERT(out.size() >= packets.size());
  refresh_snapshot();
  constexpr std::size_t kChunk = 16;
  std::array<PacketInfo, kChunk> parsed;
  std::array<bool, kChunk> ok{};
  for (std::size_t base = 0; base < packets.size(); base += kChunk) {
    const std::size_t n = std::min(kChunk, packets.size() - base);
    for (std::size_t i = 0; i < n; ++i) {
      auto r = parse_packet(packets[base + i]);
      ok[i] = r.has_value();
      if (ok[i]) {
        parsed[i] = *r;
        prefetch(parsed[i], dir);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      out[base + i] = ok[i] ? verdict_parsed(now, parsed[i], dir)
                            : finish(false, VerdictReason::malformed, kNoId);
    }
  }
}

Verdict Engine::verdict_parsed(TimePoint now, const PacketInfo& p, Direction dir) {
  if (p.is_fragment && !p.first_fragment) {
    if (conntrack_.fragment_known(now, p)) return finish(true, VerdictReason::fragment_tracked, kNoId);
    return finish(false, VerdictReason::fragment_untracked, kNoId);
  }
  if (config_.track_connections) {
    switch (conntrack_.match(now, p)) {
      case FlowMatch::original: {
        if (p.is_fragment) conntrack_.track_fragment(now, p);
        return finish(true, VerdictReason::established, kNoId);
      }
      case FlowMatch::reply: {
        if (p.is_fragment) conntrack_.track_fragment(now, p);
        return finish(true, VerdictReason::reply, kNoId);
      }
      case FlowMatch::none: break;
    }
  }
  const Verdict v = decide_resolved(p.src, p.dst, p.protocol, policy_port(p), dir);
  if (v.allowed) {
    if (config_.track_connections) conntrack_.track(now, p);
    if (p.is_fragment) conntrack_.track_fragment(now, p);
  }
  return v;
}

std::vector<PolicyCounter> Engine::policy_counters() const {
  std::vector<PolicyCounter> out;
  if (!current_) return out;
  for (std::size_t i = 0; i < policy_counts_.size() && i < current_->name_count(); ++i) {
    if (policy_counts_[i][0] == 0 && policy_counts_[i][1] == 0) continue;
    out.push_back({std::string(current_->name(static_cast<std::uint32_t>(i))), policy_counts_[i][0],
                   policy_counts_[i][1]});
  }
  return out;
}

}  // namespace gquic::policy
