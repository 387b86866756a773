// DeviceCore's send path and timers (whitepaper section 6).
#include <algorithm>
#include <cstring>

#include "gquic/core/log.h"
#include "gquic/wireguard/device_core.h"

namespace gquic::wireguard {
namespace {

std::optional<IpAddress> destination_of(std::span<const std::uint8_t> p) {
  if (p.empty()) return std::nullopt;
  const int version = p[0] >> 4;
  if (version == 4 && p.size() >= 20) {
    return IpAddress::v4(std::uint32_t(p[16]) << 24 | std::uint32_t(p[17]) << 16 |
                         std::uint32_t(p[18]) << 8 | p[19]);
  }
  if (version == 6 && p.size() >= 40) {
    in6_addr a{};
    std::memcpy(&a, p.data() + 24, 16);
    return IpAddress::v6(a);
  }
  return std::nullopt;
}

}  // namespace

void DeviceCore::handle_tun_packet(TimePoint now, std::span<const std::uint8_t> ip_packet) {
  auto dst = destination_of(ip_packet);
  if (!dst) {
    drop(DropReason::malformed);
    return;
  }
  auto owner = allowed_ips_.lookup(*dst);
  Peer* peer = owner ? peer_by_id(*owner) : nullptr;
  if (peer == nullptr) {
    drop(DropReason::no_route);
    return;
  }
  if (filter_ != nullptr && filter_->filter(PacketDirection::to_peer, peer->remote.public_key,
                                            ip_packet) == FilterVerdict::drop) {
    drop(DropReason::filtered);
    return;
  }
  touch(*peer);
  stage(*peer, ip_packet);
  send_staged(now, *peer);
  flush_touched();
}

void DeviceCore::stage(Peer& peer, std::span<const std::uint8_t> packet) {
  if (peer.staged.size() >= std::max<std::size_t>(config_.max_staged_packets, 1)) {
    peer.staged.pop_front();
    drop(DropReason::queue_full);
  }
  peer.staged.emplace_back(packet.begin(), packet.end());
}

void DeviceCore::send_staged(TimePoint now, Peer& peer) {
  if (peer.staged.empty()) return;
  Keypair* kp = peer.keypairs.current.get();
  if (kp == nullptr || !kp->can_send(now, config_.reject_after_messages)) {
    initiate_handshake(now, peer, false);
    return;
  }
  if (!peer.endpoint) {
    drop(DropReason::no_endpoint, peer.staged.size());
    peer.staged.clear();
    return;
  }
  // Keep the key fresh: the initiator after REKEY_AFTER_TIME, either side after
  // REKEY_AFTER_MESSAGES. The current keypair goes on sending meanwhile.
  if (kp->send_counter >= config_.rekey_after_messages ||
      (kp->initiator && now - kp->created >= kRekeyAfterTime)) {
    initiate_handshake(now, peer, false);
  }
  while (!peer.staged.empty()) {
    std::vector<std::uint8_t> packet = std::move(peer.staged.front());
    peer.staged.pop_front();
    Transmit t{*peer.endpoint, {}};
    if (!seal_transport(*kp, packet, config_.mtu, t.bytes, config_.reject_after_messages)) {
      // Counter exhausted: keep the packet for the next session.
      peer.staged.push_front(std::move(packet));
      initiate_handshake(now, peer, false);
      return;
    }
    ++stats_.tx_packets;
    stats_.tx_bytes += packet.size();
    peer.stats.tx_bytes += packet.size();
    if (packet.empty()) {
      ++stats_.keepalives_sent;
    } else if (!peer.timers.new_handshake) {
      // Data sent: expect an answer within KEEPALIVE_TIMEOUT + REKEY_TIMEOUT.
      peer.timers.new_handshake = now + kKeepaliveTimeout + kRekeyTimeout + jitter();
    }
    transmits_.push_back(std::move(t));
    authenticated_sent(now, peer);
  }
}

void DeviceCore::send_keepalive(TimePoint now, Peer& peer) {
  if (peer.staged.empty()) peer.staged.emplace_back();
  send_staged(now, peer);
}

void DeviceCore::initiate_handshake(TimePoint now, Peer& peer, bool retry) {
  if (!retry) {
    if (peer.last_handshake_sent && now - *peer.last_handshake_sent < kRekeyTimeout) return;
    peer.timers.handshake_attempts = 0;
  }
  if (!peer.endpoint || !has_private_key_) return;  // wait for the peer, or for a key
  clear_handshake(peer);
  const std::uint32_t idx = new_index(peer.id, true);
  peer.handshake_index = idx;
  const Tai64n ts = Tai64n::from_unix(next_timestamp(now, peer));
  auto init = create_initiation(local_, peer.remote, peer.handshake, idx, ts, rng_);
  if (!init) {
    clear_handshake(peer);
    return;
  }
  auto wire = serialize(*init);
  peer.cookies.add_macs(now, wire);
  transmits_.push_back(Transmit{*peer.endpoint, {wire.begin(), wire.end()}});
  ++stats_.initiations_sent;
  peer.last_handshake_sent = now;
  authenticated_sent(now, peer);
  peer.timers.retransmit_handshake = now + kRekeyTimeout + jitter();
}

void DeviceCore::handshake_complete(TimePoint now, Peer& peer) {
  peer.timers.retransmit_handshake.reset();
  peer.timers.handshake_attempts = 0;
  peer.timers.sent_last_minute_handshake = false;
  peer.stats.last_handshake = now;
  ++peer.stats.handshakes_completed;
  ++stats_.handshakes_completed;
  log::get("wireguard")->debug("peer {}: handshake completed", peer.id);
  events_.push_back(
      {DeviceEvent::Kind::handshake_completed, peer.id, peer.endpoint.value_or(SocketAddress{})});
}

void DeviceCore::authenticated_sent(TimePoint now, Peer& peer) {
  peer.timers.send_keepalive.reset();
  if (peer.persistent_keepalive)
    peer.timers.persistent_keepalive = now + *peer.persistent_keepalive;
}

void DeviceCore::authenticated_received(TimePoint now, Peer& peer) {
  peer.timers.new_handshake.reset();
  if (peer.persistent_keepalive)
    peer.timers.persistent_keepalive = now + *peer.persistent_keepalive;
}

void DeviceCore::peer_timeouts(TimePoint now, Peer& peer) {
  auto due = [now](std::optional<TimePoint>& t) {
    if (!t || *t > now) return false;
    t.reset();
    return true;
  };
  // Sessions past REJECT_AFTER_TIME are gone.
  for (auto* s : {&peer.keypairs.previous, &peer.keypairs.current, &peer.keypairs.next}) {
    if (*s && now - (*s)->created >= kRejectAfterTime) discard(*s);
  }
  if (due(peer.timers.retransmit_handshake)) {
    if (peer.timers.handshake_attempts >= kMaxHandshakeAttempts) {
      // Gave up after REKEY_ATTEMPT_TIME.
      log::get("wireguard")
          ->debug("peer {}: no handshake after {} attempts, giving up", peer.id,
                  peer.timers.handshake_attempts + 1);
      clear_handshake(peer);
      drop(DropReason::handshake_timeout, peer.staged.size());
      peer.staged.clear();
      peer.timers.new_handshake.reset();
      events_.push_back(
          {DeviceEvent::Kind::handshake_gave_up, peer.id, peer.endpoint.value_or(SocketAddress{})});
    } else {
      ++peer.timers.handshake_attempts;
      initiate_handshake(now, peer, true);
    }
  }
  if (due(peer.timers.new_handshake)) initiate_handshake(now, peer, false);
  if (due(peer.timers.send_keepalive)) {
    if (peer.keypairs.current &&
        peer.keypairs.current->can_send(now, config_.reject_after_messages))
      send_keepalive(now, peer);
  }
  if (due(peer.timers.persistent_keepalive) && peer.persistent_keepalive) send_keepalive(now, peer);
}

}  // namespace gquic::wireguard
