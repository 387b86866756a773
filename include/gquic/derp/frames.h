#pragma once
// DERP, the relay protocol of Tailscale, as gquic speaks it on the wire (protocol version 2).
//
// After an HTTP/1.1 upgrade (`GET /derp`, `Upgrade: DERP`, answered `101 Switching Protocols`)
// client and server exchange frames over the byte stream:
//
//   frame   = type:u8 | length:u32 big-endian | payload[length]   (length excludes the header)
//
//   01 ServerKey      S→C  magic "DERP🔑" (8) | server public key (32) | ignored extra bytes
//   02 ClientInfo     C→S  client public key (32) | nonce (24) | box(JSON)
//   03 ServerInfo     S→C  nonce (24) | box(JSON {"version":2})
//   04 SendPacket     C→S  destination key (32) | packet (≤ 64 KiB)
//   05 RecvPacket     S→C  source key (32) | packet
//   06 KeepAlive      S→C  empty
//   07 NotePreferred  C→S  1 byte: 1 = this is the client's home relay
//   08 PeerGone       S→C  key (32) | reason (1; 0 disconnected, 1 not here; absent = 0)
//   09 PeerPresent    S→M  key (32) | IPv6 or v4-mapped address (16) | port u16 | flags (1)
//   0a ForwardPacket  M→S  source key (32) | destination key (32) | packet
//   10 WatchConns     M→S  empty
//   11 ClosePeer      M→S  key (32)
//   12 Ping           C↔S  8 bytes
//   13 Pong           C↔S  the 8 bytes of the ping
//   14 Health         S→C  UTF-8 text; empty clears the problem
//   15 Restarting     S→C  reconnect-in ms u32 | try-for ms u32
// (S server, C client, M a meshed server.) "box" is NaCl crypto_box (Curve25519,
// XSalsa20-Poly1305) between the two Curve25519 keys.
//
// This file is the codec only: a streaming frame reader with per-type size limits, writers, and
// typed parsers for each payload. Everything is bounds-checked; bad input is an error value.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::derp {

inline constexpr std::array<std::uint8_t, 8> kMagic = {0x44, 0x45, 0x52, 0x50,
                                                       0xf0, 0x9f, 0x94, 0x91};  // "DERP🔑"
inline constexpr std::uint8_t kProtocolVersion = 2;
inline constexpr std::size_t kKeyLen = 32;
inline constexpr std::size_t kNonceLen = 24;
inline constexpr std::size_t kFrameHeaderLen = 5;
inline constexpr std::size_t kMaxPacketSize = 64 * 1024;
inline constexpr std::size_t kMaxClientInfoLen = 256 * 1024;
inline constexpr std::size_t kMaxInfoLen = 1024 * 1024;

enum class FrameType : std::uint8_t {
  server_key = 0x01,
  client_info = 0x02,
  server_info = 0x03,
  send_packet = 0x04,
  recv_packet = 0x05,
  keep_alive = 0x06,
  note_preferred = 0x07,
  peer_gone = 0x08,
  peer_present = 0x09,
  forward_packet = 0x0a,
  watch_conns = 0x10,
  close_peer = 0x11,
  ping = 0x12,
  pong = 0x13,
  health = 0x14,
  restarting = 0x15,
};

std::string_view to_string(FrameType t) noexcept;
bool is_known(std::uint8_t type) noexcept;
// The largest payload gquic accepts for a frame type (unknown types: kMaxInfoLen, skipped).
std::size_t max_payload(std::uint8_t type) noexcept;

using Key = std::array<std::uint8_t, kKeyLen>;
std::string key_hex(const Key& k);

struct Frame {
  std::uint8_t type = 0;  // raw, so unknown types can be skipped
  std::vector<std::uint8_t> payload;
};

// Splits a byte stream into frames. feed() appends bytes; next() returns a complete frame, an
// empty optional when more bytes are needed, or an error (Errc::message_too_large for a
// length beyond the type's limit: the stream cannot be trusted after that and the connection
// must close). Buffered bytes never exceed one maximal frame plus what was fed at once.
class FrameReader {
 public:
  void feed(std::span<const std::uint8_t> bytes);
  Result<std::optional<Frame>> next();
  std::size_t buffered() const noexcept { return buffer_.size() - consumed_; }

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t consumed_ = 0;
};

// Appends one frame (header and payload) to `out`.
void write_frame(std::vector<std::uint8_t>& out, FrameType type,
                 std::span<const std::uint8_t> payload);
void write_frame(std::vector<std::uint8_t>& out, FrameType type,
                 std::initializer_list<std::span<const std::uint8_t>> parts);

// Typed payloads. parse_* take a frame's payload; errors are Errc::truncated / malformed.
struct ServerKey {
  Key server_key;
};
Result<ServerKey> parse_server_key(std::span<const std::uint8_t> p);

struct SealedInfo {  // ClientInfo without the key, and ServerInfo
  std::array<std::uint8_t, kNonceLen> nonce;
  std::vector<std::uint8_t> box;
};
struct ClientInfoFrame {
  Key client_key;
  SealedInfo sealed;
};
Result<ClientInfoFrame> parse_client_info(std::span<const std::uint8_t> p);
Result<SealedInfo> parse_server_info(std::span<const std::uint8_t> p);

struct KeyedPacket {  // SendPacket (key = destination) and RecvPacket (key = source)
  Key key;
  std::span<const std::uint8_t> packet;  // into the payload
};
Result<KeyedPacket> parse_keyed_packet(std::span<const std::uint8_t> p);

struct ForwardPacket {
  Key source;
  Key destination;
  std::span<const std::uint8_t> packet;
};
Result<ForwardPacket> parse_forward_packet(std::span<const std::uint8_t> p);

enum class PeerGoneReason : std::uint8_t { disconnected = 0x00, not_here = 0x01 };
struct PeerGone {
  Key key;
  PeerGoneReason reason = PeerGoneReason::disconnected;
};
Result<PeerGone> parse_peer_gone(std::span<const std::uint8_t> p);

enum PeerPresentFlags : std::uint8_t { regular = 1, mesh_peer = 2, prober = 4, not_ideal = 8 };
struct PeerPresent {
  Key key;
  std::optional<SocketAddress> address;  // absent in the short (32-byte) form
  std::uint8_t flags = 0;
};
Result<PeerPresent> parse_peer_present(std::span<const std::uint8_t> p);
std::vector<std::uint8_t> encode_peer_present(const PeerPresent& pp);

Result<Key> parse_key_only(std::span<const std::uint8_t> p);  // ClosePeer
Result<bool> parse_note_preferred(std::span<const std::uint8_t> p);
// Ping: 8..1000 bytes accepted, the first 8 are the data echoed in the Pong.
Result<std::array<std::uint8_t, 8>> parse_ping(std::span<const std::uint8_t> p);

struct Restarting {
  std::uint32_t reconnect_in_ms = 0;
  std::uint32_t try_for_ms = 0;
};
Result<Restarting> parse_restarting(std::span<const std::uint8_t> p);

}  // namespace gquic::derp
