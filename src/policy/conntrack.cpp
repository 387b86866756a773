#include "gquic/policy/conntrack.h"

#include <cstring>

#include "gquic/policy/model.h"

namespace gquic::policy {

namespace {
inline std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
}  // namespace

std::size_t hash_ip(const IpAddress& ip) noexcept {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, ip.bytes().data(), 8);
  std::memcpy(&b, ip.bytes().data() + 8, 8);
  return mix(a ^ mix(b ^ static_cast<std::uint64_t>(ip.is_v6())));
}

std::size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  std::uint64_t w[4];
  std::memcpy(&w[0], k.src.bytes().data(), 16);
  std::memcpy(&w[2], k.dst.bytes().data(), 16);
  const std::uint64_t tail = (std::uint64_t{k.src_port} << 48) | (std::uint64_t{k.dst_port} << 32) |
                             (std::uint64_t{k.protocol} << 8) |
                             (std::uint64_t{k.src.is_v6()} << 1) | std::uint64_t{k.dst.is_v6()};
  std::uint64_t h = (w[0] ^ 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;
  h = (h ^ w[1] ^ (h >> 31)) * 0xc4ceb9fe1a85ec53ULL;
  h = (h ^ w[2] ^ (h >> 29)) * 0xff51afd7ed558ccdULL;
  h = (h ^ w[3] ^ (h >> 31)) * 0xc4ceb9fe1a85ec53ULL;
  return mix(h ^ tail);
}

namespace {
// Whether a key is in canonical orientation: its source endpoint (family, address words,
// port) orders no later than its destination. Any total order will do: both directions of
// a flow share the canonical key.
bool canonical(const FlowKey& k) noexcept {
  if (k.src.is_v6() != k.dst.is_v6()) return !k.src.is_v6();
  std::uint64_t a[2], b[2];
  std::memcpy(a, k.src.bytes().data(), 16);
  std::memcpy(b, k.dst.bytes().data(), 16);
  if (a[0] != b[0]) return a[0] < b[0];
  if (a[1] != b[1]) return a[1] < b[1];
  return k.src_port <= k.dst_port;
}
}  // namespace

std::size_t Conntrack::FragKeyHash::operator()(const FragKey& k) const noexcept {
  return mix(hash_ip(k.src) * 31 + hash_ip(k.dst) + (std::uint64_t{k.id} << 8) + k.protocol);
}

std::optional<FlowKey> flow_key(const PacketInfo& p) noexcept {
  if (!p.has_l4) return std::nullopt;
  switch (p.protocol) {
    case proto::tcp:
    case proto::udp:
    case proto::sctp:
      return FlowKey{p.src, p.dst, p.src_port, p.dst_port, p.protocol};
    case proto::icmp:
    case proto::icmpv6:
      // A request is keyed (id, 0), a reply (0, id): a reply's reversed key is the
      // request's key, and an unsolicited request never matches a reply flow.
      if (icmp_is_echo_request(p.protocol, p.icmp_type)) {
        return FlowKey{p.src, p.dst, p.icmp_id, 0, p.protocol};
      }
      if (icmp_is_echo_reply(p.protocol, p.icmp_type)) {
        return FlowKey{p.src, p.dst, 0, p.icmp_id, p.protocol};
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

Conntrack::Conntrack(ConntrackConfig config) : config_(config) {}

Duration Conntrack::timeout(std::uint8_t protocol, State s) const noexcept {
  switch (protocol) {
    case proto::tcp:
      return s == State::unreplied ? config_.tcp_unreplied
             : s == State::replied ? config_.tcp_established
                                   : config_.tcp_closing;
    case proto::icmp:
    case proto::icmpv6:
      return config_.icmp;
    default:
      return s == State::unreplied ? config_.udp_unreplied : config_.udp_replied;
  }
}

void Conntrack::update(Flow& f, TimePoint now, const PacketInfo& p, bool reply) const noexcept {
  if (reply && f.state == State::unreplied) f.state = State::replied;
  if (p.protocol == proto::tcp && (p.tcp_flags & (tcp_flag::fin | tcp_flag::rst))) {
    f.state = State::closing;
  }
  f.expires = now + timeout(p.protocol, f.state);
}

// Flows are stored under their canonical key with the orientation of the packet that
// created them, so one lookup finds a flow from either direction.
FlowMatch Conntrack::match(TimePoint now, const PacketInfo& p) {
  auto key = flow_key(p);
  if (!key) return FlowMatch::none;
  const bool forward = canonical(*key);
  const FlowKey ck = forward ? *key : key->reversed();
  Flow* f = flows_.find(ck);
  if (!f) return FlowMatch::none;
  if (now >= f->expires) {
    flows_.erase(ck);
    ++stats_.expired;
    return FlowMatch::none;
  }
  const bool reply = forward != f->original_forward;
  update(*f, now, p, reply);
  return reply ? FlowMatch::reply : FlowMatch::original;
}

void Conntrack::make_room(TimePoint now) {
  if (flows_.size() < config_.max_flows) return;
  if (now - last_sweep_ >= std::chrono::seconds(1) || last_sweep_ == TimePoint{}) {
    last_sweep_ = now;
    expire(now);
  }
  while (flows_.size() >= config_.max_flows && flows_.evict_one()) ++stats_.evicted;
}

void Conntrack::track(TimePoint now, const PacketInfo& p) {
  auto key = flow_key(p);
  if (!key || config_.max_flows == 0) return;
  const bool forward = canonical(*key);
  const FlowKey ck = forward ? *key : key->reversed();
  Flow* f = flows_.find(ck);
  if (!f) {
    make_room(now);
    f = &flows_.insert(ck, Flow{TimePoint{}, State::unreplied, forward});
    ++stats_.created;
  }
  update(*f, now, p, forward != f->original_forward);
}

bool Conntrack::fragment_known(TimePoint now, const PacketInfo& p) {
  auto it = fragments_.find(FragKey{p.src, p.dst, p.fragment_id, p.protocol});
  if (it == fragments_.end()) return false;
  if (now >= it->second) {
    fragments_.erase(it);
    return false;
  }
  return true;
}

void Conntrack::track_fragment(TimePoint now, const PacketInfo& p) {
  if (config_.max_fragments == 0) return;
  if (fragments_.size() >= config_.max_fragments) {
    for (auto it = fragments_.begin(); it != fragments_.end();) {
      it = now >= it->second ? fragments_.erase(it) : std::next(it);
    }
    while (fragments_.size() >= config_.max_fragments) {
      fragments_.erase(fragments_.begin());
      ++stats_.fragments_evicted;
    }
  }
  fragments_.insert_or_assign(FragKey{p.src, p.dst, p.fragment_id, p.protocol},
                              now + config_.fragment);
  ++stats_.fragments_tracked;
}

void Conntrack::expire(TimePoint now) {
  stats_.expired +=
      flows_.erase_if([&](const FlowKey&, const Flow& f) { return now >= f.expires; });
  for (auto it = fragments_.begin(); it != fragments_.end();) {
    it = now >= it->second ? fragments_.erase(it) : std::next(it);
  }
}

void Conntrack::clear() {
  flows_.clear();
  fragments_.clear();
}

}  // namespace gquic::policy
