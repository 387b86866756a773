#pragma once
// One configured WireGuard peer inside DeviceCore: its static key and PSK, the current
// endpoint, the handshake in progress, up to three keypairs, packets staged while no session
// exists, and its timers as plain deadlines (whitepaper section 6). DeviceCore changes this
// state; the peer itself only answers questions about it.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/socket_address.h"
#include "gquic/wireguard/allowed_ips.h"
#include "gquic/wireguard/cookie.h"
#include "gquic/wireguard/noise.h"
#include "gquic/wireguard/session.h"

namespace gquic::wireguard {

struct PeerConfig {
  PublicKey public_key;
  std::optional<PresharedKey> preshared_key;
  std::optional<SocketAddress> endpoint;
  std::vector<IpPrefix> allowed_ips;
  std::optional<Duration> persistent_keepalive;  // nullopt or zero: off
};

struct PeerStats {
  std::uint64_t rx_bytes = 0;  // decrypted payload bytes
  std::uint64_t tx_bytes = 0;  // plaintext bytes sent
  std::uint64_t handshakes_completed = 0;
  std::optional<TimePoint> last_handshake;
};

struct PeerTimers {
  std::optional<TimePoint> retransmit_handshake;  // resend the initiation (REKEY_TIMEOUT)
  std::optional<TimePoint> send_keepalive;        // data received, nothing sent back
  std::optional<TimePoint> new_handshake;         // data sent, nothing received back
  std::optional<TimePoint> persistent_keepalive;
  int handshake_attempts = 0;
  bool sent_last_minute_handshake = false;
};

struct Peer {
  Peer(PeerId id, const LocalStatic& local, const PeerConfig& config);

  PeerId id;
  RemoteStatic remote;
  CookieGenerator cookies;
  std::optional<SocketAddress> endpoint;
  std::optional<Duration> persistent_keepalive;

  HandshakeState handshake;
  std::optional<std::uint32_t> handshake_index;   // registered index of `handshake`
  std::optional<TimePoint> last_handshake_sent;   // initiation or response
  std::optional<Tai64n> last_timestamp_received;  // greatest accepted initiation timestamp
  std::optional<TimePoint> last_initiation_consumed;
  std::chrono::nanoseconds last_timestamp_sent{0};

  KeypairSet keypairs;
  std::deque<std::vector<std::uint8_t>> staged;
  PeerTimers timers;
  PeerStats stats;
  std::optional<TimePoint> scheduled_at;  // this peer's entry in DeviceCore's deadline index

  // The earliest timer or keypair expiry of this peer.
  std::optional<TimePoint> next_deadline() const noexcept;
};

}  // namespace gquic::wireguard
