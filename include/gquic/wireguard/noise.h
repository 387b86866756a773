#pragma once
// The WireGuard handshake: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s (whitepaper section 5.4).
// Pure functions over a per-peer HandshakeState; no timers, no I/O, no MACs (cookie.h adds
// mac1/mac2 to the serialized message). The driver of the state is DeviceCore.
//
//   initiator                                             responder
//   create_initiation(ts)      --- initiation --->        consume_initiation -> (peer, ts)
//                                                         [caller: ts > last ts of that peer]
//   consume_response           <--- response ---         create_response (mixes in the PSK)
//   derive_transport_keys                                 derive_transport_keys
//
// Chaining key C and hash H start as C = HASH(construction), H = HASH(C || identifier),
// H = HASH(H || Spub_responder); every message mixes its ephemeral key, DH results and
// ciphertexts into them. A missing PSK is 32 zero bytes. Failed consumption leaves the state
// untouched, so a forged message cannot disturb a handshake in progress.

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <system_error>

#include "gquic/core/error.h"
#include "gquic/wireguard/keys.h"
#include "gquic/wireguard/messages.h"
#include "gquic/wireguard/random.h"

namespace gquic::wireguard {

// Errors of the handshake, in their own category.
enum class NoiseErrc {
  authentication_failed = 1,  // an AEAD tag did not verify (wrong keys or PSK, or forgery)
  unknown_peer,               // the initiator's static key is not a configured peer
  wrong_state,                // the message does not fit the handshake's stage
  weak_key,                   // a DH result was all zeros (small-order point)
};
const std::error_category& noise_category() noexcept;
inline std::error_code make_error_code(NoiseErrc e) noexcept {
  return {static_cast<int>(e), noise_category()};
}

using Hash32 = std::array<std::uint8_t, 32>;

// HASH(construction) and HASH(HASH(construction) || identifier): the starting C and H.
const Hash32& initial_chaining_key() noexcept;
const Hash32& initial_hash() noexcept;

// TAI64N: 8-byte big-endian seconds (2^62 + 10 + Unix seconds) then 4-byte big-endian
// nanoseconds.
// Big-endian, so byte order is time order.
struct Tai64n {
  std::array<std::uint8_t, kTimestampSize> bytes{};
  static Tai64n from_unix(std::chrono::nanoseconds since_epoch) noexcept;
  friend auto operator<=>(const Tai64n&, const Tai64n&) noexcept = default;
  friend bool operator==(const Tai64n&, const Tai64n&) noexcept = default;
};

// This device's static identity.
struct LocalStatic {
  PrivateKey private_key;
  PublicKey public_key;
  static Result<LocalStatic> from_private(const PrivateKey& priv);
};

// What the handshake needs about a peer: its static key, the PSK (zeros when none) and the
// precomputed DH(local static, remote static).
struct RemoteStatic {
  PublicKey public_key;
  PresharedKey psk;
  SecretKey static_static;
  bool static_static_ok = false;  // false if the DH was all zeros: handshakes then fail
  static RemoteStatic make(const LocalStatic& local, const PublicKey& remote,
                           const std::optional<PresharedKey>& psk);
};

struct HandshakeState {
  enum class Stage : std::uint8_t {
    zeroed,
    initiation_created,
    initiation_consumed,
    response_created,
    response_consumed,
  };
  Stage stage = Stage::zeroed;
  Hash32 hash{};
  SecretKey chaining_key;
  PrivateKey local_ephemeral;
  PublicKey remote_ephemeral;
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
  void clear() noexcept { *this = HandshakeState{}; }
};

// Initiator, message 1. mac1/mac2 are left zero.
Result<HandshakeInitiation> create_initiation(const LocalStatic& local, const RemoteStatic& peer,
                                              HandshakeState& state, std::uint32_t local_index,
                                              const Tai64n& timestamp, RandomSource& rng);

// Responder, message 1. `lookup` maps the decrypted initiator static key to its RemoteStatic
// (nullptr: unknown peer). On success `state` is the new handshake state of that peer
// (stage initiation_consumed); the caller checks the timestamp before adopting it.
struct ConsumedInitiation {
  PublicKey initiator_static;
  Tai64n timestamp;
  HandshakeState state;
};
using PeerLookup = std::function<const RemoteStatic*(const PublicKey&)>;
Result<ConsumedInitiation> consume_initiation(const LocalStatic& local,
                                              const HandshakeInitiation& msg,
                                              const PeerLookup& lookup);

// Responder, message 2; `state` must be initiation_consumed. mac1/mac2 left zero.
Result<HandshakeResponse> create_response(const LocalStatic& local, const RemoteStatic& peer,
                                          HandshakeState& state, std::uint32_t local_index,
                                          RandomSource& rng);

// Initiator, message 2; `state` must be initiation_created with local_index equal to the
// response's receiver index. On success stage becomes response_consumed.
Result<void> consume_response(const LocalStatic& local, const RemoteStatic& peer,
                              HandshakeState& state, const HandshakeResponse& msg);

// The transport keys of a finished handshake; clears `state`.
struct TransportKeys {
  SecretKey send;
  SecretKey receive;
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
  bool initiator = false;
};
Result<TransportKeys> derive_transport_keys(HandshakeState& state);

}  // namespace gquic::wireguard

template <>
struct std::is_error_code_enum<gquic::wireguard::NoiseErrc> : std::true_type {};
