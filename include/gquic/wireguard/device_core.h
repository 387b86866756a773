#pragma once
// DeviceCore: a sans-IO WireGuard interface. It owns the private key, the peers, cryptokey
// routing and every timer, and never touches a socket, a TUN device or a clock. A driver
//   * feeds UDP datagrams:        handle_datagram(now, from, bytes)
//   * feeds packets read from TUN: handle_tun_packet(now, ip_packet)
//   * drains datagrams to send:    poll_transmit()  -> {destination, bytes}
//   * drains packets for TUN:      poll_tun_write() -> decrypted IP packet
//   * re-arms one timer:           next_deadline(), then handle_timeout(now) (both O(log peers))
//   * reads events:                poll_event() (handshake completed, peer roamed, gave up)
//
// Behaviour follows the whitepaper (section 6) and the reference implementations:
//   - the first packet for a peer without a session is staged (bounded queue) and starts a
//     handshake; initiations are resent every REKEY_TIMEOUT + jitter (0-333 ms from the
//     injected RandomSource) and abandoned after REKEY_ATTEMPT_TIME, dropping staged packets;
//   - at most one initiation per REKEY_TIMEOUT unless retrying;
//   - the initiator rekeys after REKEY_AFTER_TIME, either side after REKEY_AFTER_MESSAGES,
//     and the initiator also when receiving on a session close to REJECT_AFTER_TIME;
//   - keypairs older than REJECT_AFTER_TIME are erased; previous/current/next rotation keeps
//     packets in flight under an old key decryptable;
//   - a keepalive follows KEEPALIVE_TIMEOUT after data was received and nothing sent; data
//     sent without any answer for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT starts a new handshake;
//     persistent keepalive sends every interval after the last authenticated packet;
//   - a peer's endpoint follows its latest authenticated packet (roaming);
//   - decrypted packets are delivered only if their source address routes back to the
//     sending peer in the allowed IPs;
//   - handshake messages need a valid mac1; with set_under_load(true) also a valid mac2, and
//     messages without one are answered with a cookie reply;
//   - every dropped datagram or packet is counted by DropReason.
// Initiation timestamps are TAI64N of `now + unix_time_offset` (set the offset from the wall
// clock in the driver), kept strictly increasing per peer.

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/wireguard/allowed_ips.h"
#include "gquic/wireguard/cookie.h"
#include "gquic/wireguard/keys.h"
#include "gquic/wireguard/noise.h"
#include "gquic/wireguard/peer.h"
#include "gquic/wireguard/random.h"

namespace gquic::wireguard {

enum class DropReason : std::uint8_t {
  malformed,  // not a WireGuard message, bad size, or a bad inner IP packet
  bad_mac1,
  cookie_needed,  // under load and mac2 missing or wrong: cookie reply sent
  bad_cookie_reply,
  unknown_peer,      // initiation from a static key that is not configured
  handshake_failed,  // a handshake message did not authenticate or fit the state
  handshake_replay,  // initiation timestamp not newer than the last one
  handshake_flood,   // initiations from one peer faster than 50 per second
  unknown_receiver_index,
  expired_session,  // keypair older than REJECT_AFTER_TIME
  decrypt_failed,
  replay,
  not_allowed_ip,     // inner source address does not route back to the sender
  no_route,           // outgoing packet's destination matches no peer
  no_endpoint,        // a packet to send but no endpoint known for the peer
  queue_full,         // staged queue full while a handshake is pending: oldest dropped
  handshake_timeout,  // staged packets dropped after REKEY_ATTEMPT_TIME
  filtered,           // the packet filter said drop
  count_,
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);
std::string_view to_string(DropReason r) noexcept;

// A policy hook on the data path: every IP packet going to a peer (after cryptokey routing
// picked it) and every packet coming from one (after decryption and the allowed-IP check) is
// shown to the filter, which passes or drops it. It must not call back into the DeviceCore.
enum class FilterVerdict : std::uint8_t { pass, drop };
enum class PacketDirection : std::uint8_t { to_peer, from_peer };
class PacketFilter {
 public:
  virtual ~PacketFilter() = default;
  virtual FilterVerdict filter(PacketDirection direction, const PublicKey& peer,
                               std::span<const std::uint8_t> ip_packet) = 0;
};

struct DeviceStats {
  std::array<std::uint64_t, kDropReasonCount> drops{};
  std::uint64_t rx_packets = 0;  // delivered to TUN
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_packets = 0;  // transport data sent (keepalives included)
  std::uint64_t tx_bytes = 0;
  std::uint64_t keepalives_sent = 0;
  std::uint64_t keepalives_received = 0;
  std::uint64_t initiations_sent = 0;
  std::uint64_t responses_sent = 0;
  std::uint64_t cookie_replies_sent = 0;
  std::uint64_t handshakes_completed = 0;
  std::uint64_t dropped(DropReason r) const noexcept { return drops[static_cast<std::size_t>(r)]; }
  std::uint64_t total_dropped() const noexcept;
};

struct DeviceConfig {
  PrivateKey private_key;
  std::size_t mtu = 1420;                        // of the tunnel: bounds padding
  std::size_t max_staged_packets = 128;          // per peer, while a handshake is pending
  std::chrono::nanoseconds unix_time_offset{0};  // wall time = now + offset (timestamps)
  // Overrides for tests; the defaults are the protocol's.
  std::uint64_t rekey_after_messages = kRekeyAfterMessages;
  std::uint64_t reject_after_messages = kRejectAfterMessages;
};

struct Transmit {
  SocketAddress destination;
  std::vector<std::uint8_t> bytes;
};

struct DeviceEvent {
  enum class Kind : std::uint8_t { handshake_completed, peer_roamed, handshake_gave_up };
  Kind kind;
  PeerId peer;
  SocketAddress endpoint;  // the new endpoint for peer_roamed
};

struct PeerInfo {
  PublicKey public_key;
  std::optional<SocketAddress> endpoint;
  std::vector<IpPrefix> allowed_ips;
  PeerStats stats;
  PresharedKey preshared_key;  // zeros when none
  std::optional<Duration> persistent_keepalive;
  bool has_session = false;
  std::size_t staged = 0;
};

class DeviceCore {
 public:
  DeviceCore(const DeviceConfig& config, RandomSource& rng);
  DeviceCore(const DeviceCore&) = delete;
  DeviceCore& operator=(const DeviceCore&) = delete;

  const PublicKey& public_key() const noexcept { return local_.public_key; }

  // Peers. add_peer fails with already_exists for a duplicate key and invalid_argument for
  // this device's own key.
  Result<PeerId> add_peer(const PeerConfig& config);
  Result<void> remove_peer(PeerId peer);
  Result<void> set_endpoint(PeerId peer, const SocketAddress& endpoint);
  Result<void> add_allowed_ip(PeerId peer, const IpPrefix& prefix);
  std::optional<PeerId> find_peer(const PublicKey& key) const;
  std::optional<PeerInfo> peer_info(PeerId peer) const;
  std::size_t peer_count() const noexcept { return peers_.size(); }
  // Every peer, in the order they were added.
  std::vector<PeerId> peer_ids() const;

  // Live reconfiguration (the UAPI `set`, WireGuardManager); device_config.cpp.
  // A zero private key leaves the device keyless: it neither sends nor answers handshakes.
  bool has_private_key() const noexcept { return has_private_key_; }
  const PrivateKey& private_key() const noexcept { return local_.private_key; }
  // Replaces the static key. Handshakes in progress are abandoned; established sessions keep
  // carrying traffic until they expire or rekey, and every new handshake uses the new key.
  // A configured peer whose public key equals the new one is removed. Same key: no change.
  void set_private_key(const PrivateKey& key);
  Result<void> set_preshared_key(PeerId peer, const std::optional<PresharedKey>& psk);
  // nullopt or zero turns it off; turning it on sends a keepalive at once (endpoint known).
  Result<void> set_persistent_keepalive(PeerId peer, std::optional<Duration> interval);
  Result<void> clear_allowed_ips(PeerId peer);
  // Removes the exact prefix if `peer` owns it; not_found otherwise.
  Result<void> remove_allowed_ip(PeerId peer, const IpPrefix& prefix);
  std::chrono::nanoseconds unix_time_offset() const noexcept { return config_.unix_time_offset; }
  void set_unix_time_offset(std::chrono::nanoseconds offset) noexcept {
    config_.unix_time_offset = offset;
  }
  std::size_t mtu() const noexcept { return config_.mtu; }

  // The filter stays owned by the caller and must outlive its use; nullptr removes it.
  void set_packet_filter(PacketFilter* filter) noexcept { filter_ = filter; }

  // Set by the driver when handshake processing falls behind (cookies demanded).
  void set_under_load(bool under_load) noexcept { under_load_ = under_load; }

  void handle_datagram(TimePoint now, const SocketAddress& from,
                       std::span<const std::uint8_t> datagram);
  void handle_tun_packet(TimePoint now, std::span<const std::uint8_t> ip_packet);
  std::optional<Transmit> poll_transmit();
  std::optional<std::vector<std::uint8_t>> poll_tun_write();
  std::optional<TimePoint> next_deadline() const;
  void handle_timeout(TimePoint now);
  std::optional<DeviceEvent> poll_event();

  const DeviceStats& stats() const noexcept { return stats_; }

  // For tests and fuzzers: true if internal indices agree with the peers (O(peers)).
  bool check_invariants() const;

 private:
  struct IndexEntry {
    PeerId peer;
    bool handshake;  // else a keypair
  };

  void drop(DropReason r, std::uint64_t n = 1) noexcept {
    stats_.drops[static_cast<std::size_t>(r)] += n;
  }
  Peer* peer_by_id(PeerId id);
  std::uint32_t new_index(PeerId peer, bool handshake);
  void discard(std::unique_ptr<Keypair>& kp);
  void clear_handshake(Peer& peer);
  std::chrono::nanoseconds next_timestamp(TimePoint now, Peer& peer);
  Duration jitter();

  // Receive paths (device_receive.cpp).
  bool check_handshake_macs(TimePoint now, const SocketAddress& from,
                            std::span<const std::uint8_t> datagram, std::uint32_t sender_index);
  void handle_initiation(TimePoint now, const SocketAddress& from,
                         std::span<const std::uint8_t> datagram);
  void handle_response(TimePoint now, const SocketAddress& from,
                       std::span<const std::uint8_t> datagram);
  void handle_cookie_reply(TimePoint now, std::span<const std::uint8_t> datagram);
  void handle_transport(TimePoint now, const SocketAddress& from,
                        std::span<const std::uint8_t> datagram);
  void update_endpoint(Peer& peer, const SocketAddress& from);

  // Send paths and timers (device_send.cpp).
  void initiate_handshake(TimePoint now, Peer& peer, bool retry);
  void send_staged(TimePoint now, Peer& peer);
  void send_keepalive(TimePoint now, Peer& peer);
  void stage(Peer& peer, std::span<const std::uint8_t> packet);
  void handshake_complete(TimePoint now, Peer& peer);
  void authenticated_sent(TimePoint now, Peer& peer);
  void authenticated_received(TimePoint now, Peer& peer);
  void peer_timeouts(TimePoint now, Peer& peer);

  // Deadline index: a peer whose state may have changed is touched, and re-indexed before the
  // public call returns, so next_deadline() and handle_timeout() cost O(log peers).
  void touch(const Peer& peer) { touched_.push_back(peer.id); }
  void flush_touched();
  void reschedule(Peer& peer);

  DeviceConfig config_;
  RandomSource& rng_;
  LocalStatic local_;
  CookieChecker cookie_checker_;
  bool has_private_key_ = false;
  bool under_load_ = false;
  PacketFilter* filter_ = nullptr;

  PeerId next_peer_id_ = 1;
  std::unordered_map<PeerId, std::unique_ptr<Peer>> peers_;
  std::unordered_map<PublicKey, PeerId> by_key_;
  std::unordered_map<std::uint32_t, IndexEntry> indices_;
  AllowedIps allowed_ips_;

  std::set<std::pair<TimePoint, PeerId>> deadlines_;
  std::vector<PeerId> touched_;

  std::deque<Transmit> transmits_;
  std::deque<std::vector<std::uint8_t>> tun_writes_;
  std::deque<DeviceEvent> events_;
  std::vector<std::uint8_t> scratch_;
  DeviceStats stats_;
};

}  // namespace gquic::wireguard
