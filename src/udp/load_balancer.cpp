#include "gquic/udp/load_balancer.h"

#include "gquic/core/assert.h"

namespace gquic::udp_mux_advanced {

std::string_view to_string(LoadBalanceStrategy s) noexcept {
  switch (s) {
    case LoadBalanceStrategy::round_robin: return "round-robin";
    case LoadBalanceStrategy::least_loaded: return "least-loaded";
    case LoadBalanceStrategy::consistent_hash: return "consistent-hash";
  }
  return "unknown";
}

Result<LoadBalanceStrategy> parse_strategy(std::string_view name) noexcept {
  for (auto s : {LoadBalanceStrategy::round_robin, LoadBalanceStrategy::least_loaded,
                 LoadBalanceStrategy::consistent_hash}) {
    if (name == to_string(s)) return s;
  }
  return Errc::invalid_argument;
}

std::size_t SocketSelector::add_slot() {
  slots_.push_back(Slot{});
  return slots_.size() - 1;
}

std::size_t SocketSelector::healthy_count() const noexcept {
  std::size_t n = 0;
  for (const auto& s : slots_) n += s.healthy ? 1 : 0;
  return n;
}

bool SocketSelector::is_healthy(std::size_t slot) const noexcept {
  return slot < slots_.size() && slots_[slot].healthy;
}

std::size_t SocketSelector::set_healthy(std::size_t slot, bool healthy) {
  if (slot >= slots_.size()) return 0;
  slots_[slot].healthy = healthy;
  return slots_[slot].flows;
}

std::size_t SocketSelector::flows_on(std::size_t slot) const noexcept {
  return slot < slots_.size() ? slots_[slot].flows : 0;
}

void SocketSelector::record_sent(std::size_t slot, std::size_t bytes) noexcept {
  if (slot < slots_.size()) slots_[slot].bytes_sent += bytes;
}

std::size_t SocketSelector::rendezvous(const SocketAddress& destination) const noexcept {
  // Highest-random-weight hashing: score every healthy slot with a hash of (destination, slot)
  // and take the best; removing a slot changes only the destinations it won.
  const std::uint64_t base = destination.hash();
  std::size_t best = slots_.size();
  std::uint64_t best_score = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].healthy) continue;
    std::uint64_t x = base ^ (0x9e3779b97f4a7c15ull * (i + 1));  // splitmix64 finaliser
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    if (best == slots_.size() || x > best_score) {
      best = i;
      best_score = x;
    }
  }
  return best;
}

Result<std::size_t> SocketSelector::place(const SocketAddress& destination) {
  if (healthy_count() == 0) return Errc::closed;
  switch (config_.strategy) {
    case LoadBalanceStrategy::round_robin: {
      for (std::size_t tries = 0; tries < slots_.size(); ++tries) {
        const std::size_t i = next_round_robin_++ % slots_.size();
        if (slots_[i].healthy) return i;
      }
      break;
    }
    case LoadBalanceStrategy::least_loaded: {
      std::size_t best = slots_.size();
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i].healthy) continue;
        if (best == slots_.size() || slots_[i].flows < slots_[best].flows ||
            (slots_[i].flows == slots_[best].flows &&
             slots_[i].bytes_sent < slots_[best].bytes_sent)) {
          best = i;
        }
      }
      return best;
    }
    case LoadBalanceStrategy::consistent_hash:
      return rendezvous(destination);
  }
  GQUIC_ASSERT(false);
  return Errc::closed;
}

void SocketSelector::expire(TimePoint now) {
  if (last_expiry_ != TimePoint{} && now - last_expiry_ < std::chrono::seconds(1)) return;
  last_expiry_ = now;
  for (auto it = flows_.begin(); it != flows_.end();) {
    if (now - it->second.last_used >= config_.flow_idle_timeout) {
      --slots_[it->second.slot].flows;
      it = flows_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::size_t> SocketSelector::pick(const SocketAddress& destination, TimePoint now) {
  if (auto it = flows_.find(destination); it != flows_.end()) {
    Flow& flow = it->second;
    flow.last_used = now;
    if (slots_[flow.slot].healthy) return flow.slot;
    // The pinned socket failed: move the flow.
    auto moved = place(destination);
    if (!moved) return moved;
    --slots_[flow.slot].flows;
    flow.slot = *moved;
    ++slots_[flow.slot].flows;
    ++flows_moved_;
    return flow.slot;
  }
  auto slot = place(destination);
  if (!slot) return slot;
  if (flows_.size() >= config_.max_flows) expire(now);
  if (flows_.size() >= config_.max_flows) {
    ++unrecorded_flows_;
    return rendezvous(destination);
  }
  flows_.emplace(destination, Flow{*slot, now});
  ++slots_[*slot].flows;
  return slot;
}

void SocketSelector::pin(const SocketAddress& destination, std::size_t slot, TimePoint now) {
  if (slot >= slots_.size()) return;
  auto it = flows_.find(destination);
  if (it != flows_.end()) {
    --slots_[it->second.slot].flows;
    it->second = Flow{slot, now};
  } else {
    if (flows_.size() >= config_.max_flows) expire(now);
    if (flows_.size() >= config_.max_flows) {
      ++unrecorded_flows_;
      return;
    }
    flows_.emplace(destination, Flow{slot, now});
  }
  ++slots_[slot].flows;
}

void SocketSelector::forget(const SocketAddress& destination) {
  if (auto it = flows_.find(destination); it != flows_.end()) {
    --slots_[it->second.slot].flows;
    flows_.erase(it);
  }
}

}  // namespace gquic::udp_mux_advanced
