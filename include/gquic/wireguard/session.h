#pragma once
// Transport sessions (whitepaper 5.4.6): a Keypair is the pair of ChaCha20-Poly1305 keys a
// handshake derived, with the send counter and the receive replay window. A peer holds up to
// three: `current` (used to send), `previous` (still decrypts packets in flight under the
// old key after a rekey) and `next` (a responder's fresh keypair, promoted to current once the
// initiator's first transport packet proves the initiator has it).
//
// Sealing pads the IP packet with zeros to a multiple of 16 bytes (not beyond the MTU) and
// writes a complete transport message (messages.h). A keypair sends while younger than
// REJECT_AFTER_TIME and below REJECT_AFTER_MESSAGES, and receives while younger than
// REJECT_AFTER_TIME.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/wireguard/keys.h"
#include "gquic/wireguard/messages.h"
#include "gquic/wireguard/noise.h"
#include "gquic/wireguard/replay.h"

namespace gquic::wireguard {

struct Keypair {
  SecretKey send_key;
  SecretKey receive_key;
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
  bool initiator = false;
  TimePoint created{};
  std::uint64_t send_counter = 0;
  ReplayFilter replay;

  static std::unique_ptr<Keypair> from(const TransportKeys& keys, TimePoint now);
  bool can_send(TimePoint now,
                std::uint64_t reject_after_messages = kRejectAfterMessages) const noexcept {
    return now - created < kRejectAfterTime && send_counter < reject_after_messages;
  }
  bool can_receive(TimePoint now) const noexcept { return now - created < kRejectAfterTime; }
};

struct KeypairSet {
  std::unique_ptr<Keypair> previous;
  std::unique_ptr<Keypair> current;
  std::unique_ptr<Keypair> next;
};

// Bytes of padded plaintext for an IP packet of `size` bytes under `mtu`.
std::size_t padded_size(std::size_t size, std::size_t mtu) noexcept;

// Writes a transport message carrying `packet` into `out` (resized) and advances the counter.
// Fails with Errc::exhausted once the keypair may send no more.
Result<void> seal_transport(Keypair& kp, std::span<const std::uint8_t> packet, std::size_t mtu,
                            std::vector<std::uint8_t>& out,
                            std::uint64_t reject_after_messages = kRejectAfterMessages);

enum class OpenStatus : std::uint8_t { ok, decrypt_failed, replay };
// Decrypts into `out` (the padded plaintext), then checks the replay window.
OpenStatus open_transport(Keypair& kp, const TransportView& msg, std::vector<std::uint8_t>& out);

}  // namespace gquic::wireguard
