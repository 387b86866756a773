#pragma once
// MAC1, MAC2 and cookies (whitepaper section 5.4.7), DoS mitigation for handshakes.
//
// Every handshake message carries mac1 = MAC(HASH("mac1----" || Spub_receiver), msg up to
// mac1): anyone knowing the receiver's public key can make it, so the receiver can drop junk
// before any Curve25519 work. A responder under load also demands mac2 = MAC(cookie, msg up
// to mac2), where cookie = MAC(secret, source IP || port) and the secret changes every two
// minutes. A message without a valid mac2 then gets a cookie reply: the cookie encrypted with
// XChaCha20-Poly1305 under HASH("cookie--" || Spub_responder), the mac1 of the message as AD.
// The initiator keeps the cookie for two minutes and adds mac2 to its next messages.
//
// CookieChecker is the receiving side (one per device); CookieGenerator the sending side (one
// per peer). Both are plain state; time is a parameter.

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "gquic/core/clock.h"
#include "gquic/core/socket_address.h"
#include "gquic/wireguard/keys.h"
#include "gquic/wireguard/messages.h"
#include "gquic/wireguard/random.h"

namespace gquic::wireguard {

// Offsets of mac1 and mac2 in a serialized handshake message of `size` bytes.
struct MacOffsets {
  std::size_t mac1;
  std::size_t mac2;
};
std::optional<MacOffsets> mac_offsets(std::size_t message_size) noexcept;

// The bytes a cookie is computed over: IP bytes (4 or 16) then the port, big-endian.
std::array<std::uint8_t, 18> cookie_source_bytes(const SocketAddress& from, std::size_t& len);

class CookieChecker {
 public:
  // `local_public` is this device's static public key.
  explicit CookieChecker(const PublicKey& local_public);

  // mac1 of a serialized initiation or response is right.
  bool check_mac1(std::span<const std::uint8_t> message) const;
  // mac2 of the message is right for a cookie of `from` under the current secret.
  bool check_mac2(TimePoint now, std::span<const std::uint8_t> message, const SocketAddress& from,
                  RandomSource& rng);
  // A cookie reply to `message` (an initiation or response) from `from`.
  CookieReply make_reply(TimePoint now, std::span<const std::uint8_t> message,
                         std::uint32_t receiver_index, const SocketAddress& from,
                         RandomSource& rng);

 private:
  std::array<std::uint8_t, kMacSize> cookie_for(TimePoint now, const SocketAddress& from,
                                                RandomSource& rng);
  SecretKey mac1_key_;
  SecretKey cookie_key_;
  SecretKey secret_;
  std::optional<TimePoint> secret_set_;
};

class CookieGenerator {
 public:
  // `remote_public` is the static public key of the peer messages go to.
  explicit CookieGenerator(const PublicKey& remote_public);

  // Fills mac1 (and mac2 if a cookie younger than two minutes is held) of a serialized
  // handshake message in place, and remembers mac1 for a cookie reply.
  void add_macs(TimePoint now, std::span<std::uint8_t> message);
  // Decrypts a cookie reply to the last message sent; false if it does not authenticate.
  bool consume_reply(TimePoint now, const CookieReply& reply);
  bool has_fresh_cookie(TimePoint now) const noexcept;

 private:
  SecretKey mac1_key_;
  SecretKey cookie_key_;
  std::array<std::uint8_t, kMacSize> last_mac1_{};
  bool last_mac1_valid_ = false;
  std::array<std::uint8_t, kCookieSize> cookie_{};
  std::optional<TimePoint> cookie_time_;
};

}  // namespace gquic::wireguard
