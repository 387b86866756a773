#pragma once
// The four WireGuard messages on the wire, parsed and serialized over std::span with strict
// sizes. Integers are little-endian. Every message starts with a 4-byte header: the type
// (1-4) then three zero bytes; a datagram whose header is anything else is malformed.
//
// Protocol flow (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, whitepaper section 5):
//   initiator ----- handshake initiation (1) ----> responder
//   initiator <---- handshake response   (2) ----- responder     (both now derive keys)
//   initiator ----- transport data       (4) ----> responder     (confirms the session)
//   a responder under load answers (1)/(2) lacking a valid mac2 with a cookie reply (3); the
//   initiator then repeats with mac2 = MAC(cookie, message up to mac2).
//
// Handshake initiation, 148 bytes:
//   0  type=1 | 0 0 0
//   4  sender index            u32
//   8  unencrypted ephemeral   32
//  40  encrypted static        32 + 16 tag
//  88  encrypted timestamp     12 (TAI64N) + 16 tag
// 116  mac1                    16   MAC(HASH("mac1----" || Spub_responder), bytes 0..115)
// 132  mac2                    16   MAC(cookie, bytes 0..131) or zeros
//
// Handshake response, 92 bytes:
//   0  type=2 | 0 0 0
//   4  sender index            u32
//   8  receiver index          u32  (the initiator's sender index)
//  12  unencrypted ephemeral   32
//  44  encrypted nothing       0 + 16 tag
//  60  mac1                    16   over bytes 0..59
//  76  mac2                    16   over bytes 0..75
//
// Cookie reply, 64 bytes:
//   0  type=3 | 0 0 0
//   4  receiver index          u32  (the sender index of the message answered)
//   8  nonce                   24   (XChaCha20-Poly1305)
//  32  encrypted cookie        16 + 16 tag; AD = mac1 of the message answered
//
// Transport data, 32 bytes or more:
//   0  type=4 | 0 0 0
//   4  receiver index          u32
//   8  counter                 u64  (the AEAD nonce: 4 zero bytes || counter LE)
//  16  encrypted packet        IP packet zero-padded to a multiple of 16 (never beyond the
//                              MTU) + 16 tag; an empty packet is a keepalive

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/wireguard/constants.h"

namespace gquic::wireguard {

using Mac = std::array<std::uint8_t, kMacSize>;

struct HandshakeInitiation {
  std::uint32_t sender_index = 0;
  std::array<std::uint8_t, kKeySize> ephemeral{};
  std::array<std::uint8_t, kKeySize + kAeadTagSize> encrypted_static{};
  std::array<std::uint8_t, kTimestampSize + kAeadTagSize> encrypted_timestamp{};
  Mac mac1{};
  Mac mac2{};
  static constexpr std::size_t kMac1Offset = 116;
  static constexpr std::size_t kMac2Offset = 132;
};

struct HandshakeResponse {
  std::uint32_t sender_index = 0;
  std::uint32_t receiver_index = 0;
  std::array<std::uint8_t, kKeySize> ephemeral{};
  std::array<std::uint8_t, kAeadTagSize> encrypted_nothing{};
  Mac mac1{};
  Mac mac2{};
  static constexpr std::size_t kMac1Offset = 60;
  static constexpr std::size_t kMac2Offset = 76;
};

struct CookieReply {
  std::uint32_t receiver_index = 0;
  std::array<std::uint8_t, kCookieNonceSize> nonce{};
  std::array<std::uint8_t, kCookieSize + kAeadTagSize> encrypted_cookie{};
};

// A view of a transport message: the ciphertext points into the parsed datagram.
struct TransportHeader {
  std::uint32_t receiver_index = 0;
  std::uint64_t counter = 0;
};
struct TransportView {
  TransportHeader header;
  std::span<const std::uint8_t> ciphertext;  // padded packet + tag, >= 16 bytes
};

// The type of a datagram, or malformed/truncated if its 4-byte header is not a known one.
Result<MessageType> peek_message_type(std::span<const std::uint8_t> datagram);

Result<HandshakeInitiation> parse_initiation(std::span<const std::uint8_t> datagram);
Result<HandshakeResponse> parse_response(std::span<const std::uint8_t> datagram);
Result<CookieReply> parse_cookie_reply(std::span<const std::uint8_t> datagram);
Result<TransportView> parse_transport(std::span<const std::uint8_t> datagram);

std::array<std::uint8_t, kInitiationSize> serialize(const HandshakeInitiation& m);
std::array<std::uint8_t, kResponseSize> serialize(const HandshakeResponse& m);
std::array<std::uint8_t, kCookieReplySize> serialize(const CookieReply& m);
// Writes the 16-byte transport header into `out` (which must hold 16 bytes).
void serialize_transport_header(const TransportHeader& h, std::span<std::uint8_t> out) noexcept;

}  // namespace gquic::wireguard
