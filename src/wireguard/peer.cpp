// Peer state; see peer.h.
#include "gquic/wireguard/peer.h"

namespace gquic::wireguard {

Peer::Peer(PeerId peer_id, const LocalStatic& local, const PeerConfig& config)
    : id(peer_id),
      remote(RemoteStatic::make(local, config.public_key, config.preshared_key)),
      cookies(config.public_key),
      endpoint(config.endpoint) {
  if (config.persistent_keepalive && config.persistent_keepalive->count() > 0)
    persistent_keepalive = config.persistent_keepalive;
}

std::optional<TimePoint> Peer::next_deadline() const noexcept {
  std::optional<TimePoint> best;
  auto consider = [&](const std::optional<TimePoint>& t) {
    if (t && (!best || *t < *best)) best = t;
  };
  consider(timers.retransmit_handshake);
  consider(timers.send_keepalive);
  consider(timers.new_handshake);
  consider(timers.persistent_keepalive);
  for (const auto* kp : {keypairs.previous.get(), keypairs.current.get(), keypairs.next.get()}) {
    if (kp != nullptr) consider(kp->created + kRejectAfterTime);
  }
  return best;
}

}  // namespace gquic::wireguard
