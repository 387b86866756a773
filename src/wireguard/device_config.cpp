// DeviceCore: live reconfiguration (keys, PSKs, keepalives, allowed IPs), used by the UAPI
// `set` operation and WireGuardManager. See device_core.h.
#include <algorithm>

#include "gquic/wireguard/device_core.h"

namespace gquic::wireguard {

std::vector<PeerId> DeviceCore::peer_ids() const {
  std::vector<PeerId> ids;
  ids.reserve(peers_.size());
  for (const auto& [id, peer] : peers_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // ids grow with each add_peer
  return ids;
}

void DeviceCore::set_private_key(const PrivateKey& key) {
  LocalStatic next;
  if (!key.is_zero()) {
    auto local = LocalStatic::from_private(key);
    if (!local) return;  // X25519 of a clamped scalar cannot fail
    next = *local;
  }
  if (has_private_key_ == !key.is_zero() && next.private_key == local_.private_key) return;
  local_ = next;
  has_private_key_ = !key.is_zero();
  cookie_checker_ = CookieChecker(local_.public_key);
  if (has_private_key_) {
    if (auto self = find_peer(local_.public_key)) (void)remove_peer(*self);
  }
  for (auto& [id, peer] : peers_) {
    const PresharedKey psk = peer->remote.psk;
    peer->remote = RemoteStatic::make(local_, peer->remote.public_key, psk);
    clear_handshake(*peer);
    touch(*peer);
  }
  flush_touched();
}

Result<void> DeviceCore::set_preshared_key(PeerId id, const std::optional<PresharedKey>& psk) {
  Peer* peer = peer_by_id(id);
  if (peer == nullptr) return Errc::not_found;
  peer->remote.psk = psk.value_or(PresharedKey{});
  return {};
}

Result<void> DeviceCore::set_persistent_keepalive(PeerId id, std::optional<Duration> interval) {
  Peer* peer = peer_by_id(id);
  if (peer == nullptr) return Errc::not_found;
  if (interval && interval->count() <= 0) interval.reset();
  const bool was_on = peer->persistent_keepalive.has_value();
  peer->persistent_keepalive = interval;
  if (!interval) {
    peer->timers.persistent_keepalive.reset();
  } else if (!was_on && peer->endpoint) {
    peer->timers.persistent_keepalive = TimePoint{};  // due at once: first keepalive
  }
  touch(*peer);
  flush_touched();
  return {};
}

Result<void> DeviceCore::clear_allowed_ips(PeerId id) {
  if (peer_by_id(id) == nullptr) return Errc::not_found;
  allowed_ips_.remove_by_peer(id);
  return {};
}

Result<void> DeviceCore::remove_allowed_ip(PeerId id, const IpPrefix& prefix) {
  if (peer_by_id(id) == nullptr) return Errc::not_found;
  auto p = IpPrefix::make(prefix.address, prefix.length);
  if (!p) return p.error();
  const auto owned = allowed_ips_.list(id);
  if (std::find(owned.begin(), owned.end(), *p) == owned.end()) return Errc::not_found;
  return allowed_ips_.remove(*p);
}

}  // namespace gquic::wireguard
