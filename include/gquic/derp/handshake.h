#pragma once
// The DERP handshake after the HTTP upgrade:
//   1. server → ServerKey frame (magic, server public key);
//   2. client → ClientInfo frame: client public key, nonce, and
//      crypto_box(JSON, nonce, server public key, client private key), where the JSON is
//      {"version":2,"meshKey":"<64 hex>"(only for meshed servers),"CanAckPings":true,...};
//   3. server → ServerInfo frame: nonce and crypto_box({"version":2}, ..., server private key,
//      client public key); it may also carry a token bucket the client honours.
// Keys are Curve25519 (NaCl box from libsodium, Curve25519 + XSalsa20-Poly1305).
//
// Sans-IO helpers: they build and open the two sealed frames. Opening is for untrusted input:
// every failure is an error value (Errc::malformed for a box that fails to open or JSON that is
// not an object with a sane version).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/derp/frames.h"

namespace gquic::derp {

struct KeyPair {
  Key public_key;
  std::array<std::uint8_t, 32> private_key;
};
// A new Curve25519 key pair (libsodium crypto_box_keypair).
KeyPair generate_key_pair();
// Derives the public key from a private key.
Key public_key_of(const std::array<std::uint8_t, 32>& private_key);

struct ClientInfo {
  int version = kProtocolVersion;
  std::optional<std::array<std::uint8_t, 32>> mesh_key;  // set by meshed servers only
  bool can_ack_pings = true;
  bool is_prober = false;
  std::string app_name;
};

struct ServerInfo {
  int version = kProtocolVersion;
  std::uint64_t token_bucket_bytes_per_second = 0;  // 0: no limit announced
  std::uint64_t token_bucket_bytes_burst = 0;
};

// The payload of a ClientInfo frame (client key ‖ nonce ‖ box). Sealing fails
// (Errc::invalid_argument) only for a peer key libsodium rejects (a small-order point).
Result<std::vector<std::uint8_t>> seal_client_info(const KeyPair& client, const Key& server_public,
                                           const ClientInfo& info);
struct OpenedClientInfo {
  Key client_key;
  ClientInfo info;
};
Result<OpenedClientInfo> open_client_info(const KeyPair& server,
                                          std::span<const std::uint8_t> payload);

// The payload of a ServerInfo frame (nonce ‖ box).
Result<std::vector<std::uint8_t>> seal_server_info(const KeyPair& server, const Key& client_public,
                                           const ServerInfo& info);
Result<ServerInfo> open_server_info(const KeyPair& client, const Key& server_public,
                                    std::span<const std::uint8_t> payload);

// nonce ‖ crypto_box(plaintext): the sealed part of ClientInfo and ServerInfo frames.
Result<std::vector<std::uint8_t>> seal_box(std::string_view plaintext, const Key& to_public,
                                   const std::array<std::uint8_t, 32>& from_private);

// Constant-time comparison of mesh keys.
bool mesh_keys_equal(const std::array<std::uint8_t, 32>& a,
                     const std::array<std::uint8_t, 32>& b) noexcept;
// "<64 hex>" ↔ key; errors for anything else.
Result<std::array<std::uint8_t, 32>> parse_mesh_key(std::string_view hex);

}  // namespace gquic::derp
