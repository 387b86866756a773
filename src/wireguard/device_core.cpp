// DeviceCore: configuration, peers, indices and the poll interface. The receive path is in
// device_receive.cpp, the send path and timers in device_send.cpp.
#include "gquic/wireguard/device_core.h"

#include <algorithm>

#include "gquic/core/assert.h"

namespace gquic::wireguard {

std::string_view to_string(DropReason r) noexcept {
  switch (r) {
    case DropReason::malformed:
      return "malformed";
    case DropReason::bad_mac1:
      return "bad_mac1";
    case DropReason::cookie_needed:
      return "cookie_needed";
    case DropReason::bad_cookie_reply:
      return "bad_cookie_reply";
    case DropReason::unknown_peer:
      return "unknown_peer";
    case DropReason::handshake_failed:
      return "handshake_failed";
    case DropReason::handshake_replay:
      return "handshake_replay";
    case DropReason::handshake_flood:
      return "handshake_flood";
    case DropReason::unknown_receiver_index:
      return "unknown_receiver_index";
    case DropReason::expired_session:
      return "expired_session";
    case DropReason::decrypt_failed:
      return "decrypt_failed";
    case DropReason::replay:
      return "replay";
    case DropReason::not_allowed_ip:
      return "not_allowed_ip";
    case DropReason::no_route:
      return "no_route";
    case DropReason::no_endpoint:
      return "no_endpoint";
    case DropReason::queue_full:
      return "queue_full";
    case DropReason::handshake_timeout:
      return "handshake_timeout";
    case DropReason::filtered:
      return "filtered";
    case DropReason::count_:
      break;
  }
  return "unknown";
}

std::uint64_t DeviceStats::total_dropped() const noexcept {
  std::uint64_t n = 0;
  for (auto d : drops) n += d;
  return n;
}

namespace {
LocalStatic make_local(const PrivateKey& key) {
  if (key.is_zero()) return LocalStatic{};  // keyless device
  auto local = LocalStatic::from_private(key);
  GQUIC_ASSERT(local.has_value());  // X25519 of a clamped scalar cannot fail
  return local ? *local : LocalStatic{};
}
}  // namespace

DeviceCore::DeviceCore(const DeviceConfig& config, RandomSource& rng)
    : config_(config),
      rng_(rng),
      local_(make_local(config.private_key)),
      cookie_checker_(local_.public_key),
      has_private_key_(!config.private_key.is_zero()) {
  config_.private_key = PrivateKey{};  // kept once, in local_
  if (config_.mtu == 0) config_.mtu = 1420;
}

Peer* DeviceCore::peer_by_id(PeerId id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

Result<PeerId> DeviceCore::add_peer(const PeerConfig& config) {
  if (config.public_key == local_.public_key) return Errc::invalid_argument;
  if (by_key_.count(config.public_key) != 0) return Errc::already_exists;
  for (const IpPrefix& p : config.allowed_ips) {
    if (!IpPrefix::make(p.address, p.length)) return Errc::invalid_argument;
  }
  const PeerId id = next_peer_id_++;
  auto peer = std::make_unique<Peer>(id, local_, config);
  if (peer->persistent_keepalive && peer->endpoint) {
    peer->timers.persistent_keepalive = TimePoint{};  // due at once: first keepalive
  }
  for (const IpPrefix& p : config.allowed_ips) (void)allowed_ips_.insert(p, id);
  by_key_.emplace(config.public_key, id);
  Peer& added = *peer;
  peers_.emplace(id, std::move(peer));
  reschedule(added);
  return id;
}

Result<void> DeviceCore::remove_peer(PeerId id) {
  Peer* peer = peer_by_id(id);
  if (peer == nullptr) return Errc::not_found;
  clear_handshake(*peer);
  discard(peer->keypairs.previous);
  discard(peer->keypairs.current);
  discard(peer->keypairs.next);
  allowed_ips_.remove_by_peer(id);
  by_key_.erase(peer->remote.public_key);
  if (peer->scheduled_at) deadlines_.erase({*peer->scheduled_at, id});
  peers_.erase(id);
  return {};
}

Result<void> DeviceCore::set_endpoint(PeerId id, const SocketAddress& endpoint) {
  Peer* peer = peer_by_id(id);
  if (peer == nullptr) return Errc::not_found;
  peer->endpoint = endpoint;
  return {};
}

Result<void> DeviceCore::add_allowed_ip(PeerId id, const IpPrefix& prefix) {
  if (peer_by_id(id) == nullptr) return Errc::not_found;
  return allowed_ips_.insert(prefix, id);
}

std::optional<PeerId> DeviceCore::find_peer(const PublicKey& key) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

std::optional<PeerInfo> DeviceCore::peer_info(PeerId id) const {
  auto it = peers_.find(id);
  if (it == peers_.end()) return std::nullopt;
  const Peer& p = *it->second;
  PeerInfo info;
  info.public_key = p.remote.public_key;
  info.endpoint = p.endpoint;
  info.allowed_ips = allowed_ips_.list(id);
  info.stats = p.stats;
  info.preshared_key = p.remote.psk;
  info.persistent_keepalive = p.persistent_keepalive;
  info.has_session = p.keypairs.current != nullptr;
  info.staged = p.staged.size();
  return info;
}

std::uint32_t DeviceCore::new_index(PeerId peer, bool handshake) {
  for (;;) {
    const std::uint32_t idx = rng_.next_u32();
    if (idx == 0 || indices_.count(idx) != 0) continue;
    indices_.emplace(idx, IndexEntry{peer, handshake});
    return idx;
  }
}

void DeviceCore::discard(std::unique_ptr<Keypair>& kp) {
  if (!kp) return;
  indices_.erase(kp->local_index);
  kp.reset();
}

void DeviceCore::clear_handshake(Peer& peer) {
  if (peer.handshake_index) {
    auto it = indices_.find(*peer.handshake_index);
    if (it != indices_.end() && it->second.handshake) indices_.erase(it);
    peer.handshake_index.reset();
  }
  peer.handshake.clear();
}

std::chrono::nanoseconds DeviceCore::next_timestamp(TimePoint now, Peer& peer) {
  auto t = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()) +
           config_.unix_time_offset;
  // Whiten: drop the low 24 bits of the nanoseconds (about 16.8 ms) so the timestamp does not
  // expose fine timing; strictly increasing per peer all the same.
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t);
  t = secs + std::chrono::nanoseconds((t - secs).count() & ~std::int64_t{0xffffff});
  if (t <= peer.last_timestamp_sent) t = peer.last_timestamp_sent + std::chrono::nanoseconds(1);
  peer.last_timestamp_sent = t;
  return t;
}

Duration DeviceCore::jitter() {
  const auto max_ns = std::chrono::duration_cast<Duration>(kRekeyTimeoutJitterMax).count();
  return Duration(
      static_cast<Duration::rep>(rng_.next_u32() % static_cast<std::uint32_t>(max_ns + 1)));
}

std::optional<Transmit> DeviceCore::poll_transmit() {
  if (transmits_.empty()) return std::nullopt;
  Transmit t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<std::vector<std::uint8_t>> DeviceCore::poll_tun_write() {
  if (tun_writes_.empty()) return std::nullopt;
  auto p = std::move(tun_writes_.front());
  tun_writes_.pop_front();
  return p;
}

std::optional<DeviceEvent> DeviceCore::poll_event() {
  if (events_.empty()) return std::nullopt;
  DeviceEvent e = events_.front();
  events_.pop_front();
  return e;
}

std::optional<TimePoint> DeviceCore::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

void DeviceCore::handle_timeout(TimePoint now) {
  std::vector<PeerId> due;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it)
    due.push_back(it->second);
  for (PeerId id : due) {
    if (Peer* peer = peer_by_id(id)) {
      peer_timeouts(now, *peer);
      touch(*peer);
    }
  }
  flush_touched();
}

void DeviceCore::reschedule(Peer& peer) {
  if (peer.scheduled_at) deadlines_.erase({*peer.scheduled_at, peer.id});
  peer.scheduled_at = peer.next_deadline();
  if (peer.scheduled_at) deadlines_.emplace(*peer.scheduled_at, peer.id);
}

void DeviceCore::flush_touched() {
  for (PeerId id : touched_) {
    if (Peer* peer = peer_by_id(id)) reschedule(*peer);
  }
  touched_.clear();
}

bool DeviceCore::check_invariants() const {
  std::size_t scheduled = 0;
  for (const auto& [id, peer] : peers_) {
    if (peer->next_deadline() != peer->scheduled_at) return false;
    if (peer->scheduled_at) {
      ++scheduled;
      if (deadlines_.count({*peer->scheduled_at, id}) == 0) return false;
    }
    for (const auto* kp : {peer->keypairs.previous.get(), peer->keypairs.current.get(),
                           peer->keypairs.next.get()}) {
      if (kp == nullptr) continue;
      auto it = indices_.find(kp->local_index);
      if (it == indices_.end() || it->second.peer != id || it->second.handshake) return false;
    }
    if (peer->handshake_index) {
      auto it = indices_.find(*peer->handshake_index);
      if (it == indices_.end() || it->second.peer != id || !it->second.handshake) return false;
    }
  }
  // Every index names a live handshake or keypair of its peer (no leaked indices).
  for (const auto& [idx, entry] : indices_) {
    auto it = peers_.find(entry.peer);
    if (it == peers_.end()) return false;
    const Peer& p = *it->second;
    if (entry.handshake) {
      if (p.handshake_index != idx) return false;
      continue;
    }
    bool found = false;
    for (const auto* kp : {p.keypairs.previous.get(), p.keypairs.current.get(),
                           p.keypairs.next.get()}) {
      found = found || (kp != nullptr && kp->local_index == idx);
    }
    if (!found) return false;
  }
  return scheduled == deadlines_.size();
}

}  // namespace gquic::wireguard
