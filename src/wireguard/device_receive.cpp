// DeviceCore's receive path: handshake messages, cookie replies and transport data.
#include <cstring>

#include "gquic/wireguard/device_core.h"

namespace gquic::wireguard {
namespace {

// The source address of a decrypted IP packet and its true length (without padding).
struct InnerPacket {
  IpAddress source;
  std::size_t length;
};

std::optional<InnerPacket> parse_inner(std::span<const std::uint8_t> p) {
  if (p.empty()) return std::nullopt;
  const int version = p[0] >> 4;
  if (version == 4) {
    if (p.size() < 20) return std::nullopt;
    const std::size_t total = std::size_t(p[2]) << 8 | p[3];
    if (total < 20 || total > p.size()) return std::nullopt;
    const std::uint32_t src =
        std::uint32_t(p[12]) << 24 | std::uint32_t(p[13]) << 16 | std::uint32_t(p[14]) << 8 | p[15];
    return InnerPacket{IpAddress::v4(src), total};
  }
  if (version == 6) {
    if (p.size() < 40) return std::nullopt;
    const std::size_t total = 40 + (std::size_t(p[4]) << 8 | p[5]);
    if (total > p.size()) return std::nullopt;
    in6_addr a{};
    std::memcpy(&a, p.data() + 8, 16);
    return InnerPacket{IpAddress::v6(a), total};
  }
  return std::nullopt;
}

}  // namespace

void DeviceCore::handle_datagram(TimePoint now, const SocketAddress& from,
                                 std::span<const std::uint8_t> datagram) {
  auto type = peek_message_type(datagram);
  if (!type) {
    drop(DropReason::malformed);
    return;
  }
  if (!has_private_key_ && (*type == MessageType::handshake_initiation ||
                            *type == MessageType::handshake_response)) {
    drop(DropReason::handshake_failed);  // keyless: no handshakes until a key is set
    return;
  }
  switch (*type) {
    case MessageType::handshake_initiation:
      handle_initiation(now, from, datagram);
      break;
    case MessageType::handshake_response:
      handle_response(now, from, datagram);
      break;
    case MessageType::cookie_reply:
      handle_cookie_reply(now, datagram);
      break;
    case MessageType::transport_data:
      handle_transport(now, from, datagram);
      break;
  }
  flush_touched();
}

bool DeviceCore::check_handshake_macs(TimePoint now, const SocketAddress& from,
                                      std::span<const std::uint8_t> datagram,
                                      std::uint32_t sender_index) {
  if (!cookie_checker_.check_mac1(datagram)) {
    drop(DropReason::bad_mac1);
    return false;
  }
  if (under_load_ && !cookie_checker_.check_mac2(now, datagram, from, rng_)) {
    const CookieReply reply = cookie_checker_.make_reply(now, datagram, sender_index, from, rng_);
    const auto wire = serialize(reply);
    transmits_.push_back(Transmit{from, {wire.begin(), wire.end()}});
    ++stats_.cookie_replies_sent;
    drop(DropReason::cookie_needed);
    return false;
  }
  return true;
}

void DeviceCore::update_endpoint(Peer& peer, const SocketAddress& from) {
  if (peer.endpoint && *peer.endpoint == from) return;
  const bool had = peer.endpoint.has_value();
  peer.endpoint = from;
  if (had) events_.push_back({DeviceEvent::Kind::peer_roamed, peer.id, from});
}

void DeviceCore::handle_initiation(TimePoint now, const SocketAddress& from,
                                   std::span<const std::uint8_t> datagram) {
  auto msg = parse_initiation(datagram);
  if (!msg) {
    drop(DropReason::malformed);
    return;
  }
  if (!check_handshake_macs(now, from, datagram, msg->sender_index)) return;

  auto consumed = consume_initiation(local_, *msg, [this](const PublicKey& key) {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : &peers_.at(it->second)->remote;
  });
  if (!consumed) {
    drop(consumed.error() == make_error_code(NoiseErrc::unknown_peer)
             ? DropReason::unknown_peer
             : DropReason::handshake_failed);
    return;
  }
  Peer& peer = *peers_.at(by_key_.at(consumed->initiator_static));
  touch(peer);
  if (peer.last_timestamp_received && consumed->timestamp <= *peer.last_timestamp_received) {
    drop(DropReason::handshake_replay);
    return;
  }
  if (peer.last_initiation_consumed &&
      now - *peer.last_initiation_consumed < kHandshakeInitiationRate) {
    drop(DropReason::handshake_flood);
    return;
  }
  peer.last_timestamp_received = consumed->timestamp;
  peer.last_initiation_consumed = now;

  clear_handshake(peer);
  peer.handshake = consumed->state;
  update_endpoint(peer, from);
  authenticated_received(now, peer);

  const std::uint32_t idx = new_index(peer.id, true);
  peer.handshake_index = idx;
  auto resp = create_response(local_, peer.remote, peer.handshake, idx, rng_);
  if (!resp) {
    clear_handshake(peer);
    drop(DropReason::handshake_failed);
    return;
  }
  auto keys = derive_transport_keys(peer.handshake);
  if (!keys) {
    clear_handshake(peer);
    drop(DropReason::handshake_failed);
    return;
  }
  // The index now names the keypair; the handshake state is spent.
  indices_[idx].handshake = false;
  peer.handshake_index.reset();
  // Responder: the new keypair waits in `next` until the initiator uses it.
  discard(peer.keypairs.next);
  discard(peer.keypairs.previous);
  peer.keypairs.next = Keypair::from(*keys, now);

  auto wire = serialize(*resp);
  peer.cookies.add_macs(now, wire);
  transmits_.push_back(Transmit{from, {wire.begin(), wire.end()}});
  ++stats_.responses_sent;
  peer.last_handshake_sent = now;
  authenticated_sent(now, peer);
}

void DeviceCore::handle_response(TimePoint now, const SocketAddress& from,
                                 std::span<const std::uint8_t> datagram) {
  auto msg = parse_response(datagram);
  if (!msg) {
    drop(DropReason::malformed);
    return;
  }
  if (!check_handshake_macs(now, from, datagram, msg->sender_index)) return;
  auto it = indices_.find(msg->receiver_index);
  if (it == indices_.end() || !it->second.handshake) {
    drop(DropReason::unknown_receiver_index);
    return;
  }
  Peer& peer = *peers_.at(it->second.peer);
  touch(peer);
  if (!consume_response(local_, peer.remote, peer.handshake, *msg)) {
    drop(DropReason::handshake_failed);
    return;
  }
  auto keys = derive_transport_keys(peer.handshake);
  if (!keys) {
    clear_handshake(peer);
    drop(DropReason::handshake_failed);
    return;
  }
  it->second.handshake = false;
  peer.handshake_index.reset();
  // Initiator: the new keypair is current at once; the old current (or an unconfirmed next)
  // becomes previous.
  KeypairSet& ks = peer.keypairs;
  if (ks.next) {
    discard(ks.previous);
    ks.previous = std::move(ks.next);
    discard(ks.current);
  } else {
    discard(ks.previous);
    ks.previous = std::move(ks.current);
  }
  ks.current = Keypair::from(*keys, now);

  update_endpoint(peer, from);
  authenticated_received(now, peer);
  handshake_complete(now, peer);
  send_keepalive(now, peer);  // confirms the session (or sends the staged packets)
}

void DeviceCore::handle_cookie_reply(TimePoint now, std::span<const std::uint8_t> datagram) {
  auto msg = parse_cookie_reply(datagram);
  if (!msg) {
    drop(DropReason::malformed);
    return;
  }
  auto it = indices_.find(msg->receiver_index);
  if (it == indices_.end()) {
    drop(DropReason::unknown_receiver_index);
    return;
  }
  Peer& peer = *peers_.at(it->second.peer);
  if (!peer.cookies.consume_reply(now, *msg)) drop(DropReason::bad_cookie_reply);
}

void DeviceCore::handle_transport(TimePoint now, const SocketAddress& from,
                                  std::span<const std::uint8_t> datagram) {
  auto msg = parse_transport(datagram);
  if (!msg) {
    drop(DropReason::malformed);
    return;
  }
  auto it = indices_.find(msg->header.receiver_index);
  if (it == indices_.end() || it->second.handshake) {
    drop(DropReason::unknown_receiver_index);
    return;
  }
  Peer& peer = *peers_.at(it->second.peer);
  touch(peer);
  KeypairSet& ks = peer.keypairs;
  std::unique_ptr<Keypair>* slot = nullptr;
  for (auto* s : {&ks.current, &ks.previous, &ks.next}) {
    if (*s && (*s)->local_index == msg->header.receiver_index) slot = s;
  }
  if (slot == nullptr) {
    drop(DropReason::unknown_receiver_index);
    return;
  }
  Keypair& kp = **slot;
  if (!kp.can_receive(now)) {
    drop(DropReason::expired_session);
    return;
  }
  if (msg->header.counter >= config_.reject_after_messages) {
    drop(DropReason::replay);  // no counter this high is ever valid
    return;
  }
  switch (open_transport(kp, *msg, scratch_)) {
    case OpenStatus::ok:
      break;
    case OpenStatus::decrypt_failed:
      drop(DropReason::decrypt_failed);
      return;
    case OpenStatus::replay:
      drop(DropReason::replay);
      return;
  }

  if (slot == &ks.next) {
    // The initiator used the responder's new keypair: it is confirmed.
    discard(ks.previous);
    ks.previous = std::move(ks.current);
    ks.current = std::move(ks.next);
    handshake_complete(now, peer);
    update_endpoint(peer, from);
    authenticated_received(now, peer);
    send_staged(now, peer);
  } else {
    update_endpoint(peer, from);
    authenticated_received(now, peer);
  }

  // Initiator, receiving on a session close to expiry: rekey now rather than stall.
  const Keypair* cur = ks.current.get();
  if (cur != nullptr && cur->initiator && !peer.timers.sent_last_minute_handshake &&
      now - cur->created >= kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout) {
    peer.timers.sent_last_minute_handshake = true;
    initiate_handshake(now, peer, false);
  }

  if (scratch_.empty()) {
    ++stats_.keepalives_received;
    return;
  }
  if (!peer.timers.send_keepalive) peer.timers.send_keepalive = now + kKeepaliveTimeout;

  auto inner = parse_inner(scratch_);
  if (!inner) {
    drop(DropReason::malformed);
    return;
  }
  auto owner = allowed_ips_.lookup(inner->source);
  if (!owner || *owner != peer.id) {
    drop(DropReason::not_allowed_ip);
    return;
  }
  scratch_.resize(inner->length);
  if (filter_ != nullptr && filter_->filter(PacketDirection::from_peer, peer.remote.public_key,
                                            scratch_) == FilterVerdict::drop) {
    drop(DropReason::filtered);
    return;
  }
  ++stats_.rx_packets;
  stats_.rx_bytes += scratch_.size();
  peer.stats.rx_bytes += scratch_.size();
  tun_writes_.push_back(std::move(scratch_));
  scratch_ = {};
}

}  // namespace gquic::wireguard
