#pragma once
// What the UDP layer needs to know of a QUIC packet to route it: its header form, version and
// connection IDs. Only the version-independent layout (RFC 8999) is read, so routing works for
// QUIC v1 (RFC 9000), v2 (RFC 9369) and versions gquic does not speak yet.
//
// Long header (first bit 1):
//   byte 0      1FTTxxxx   form=1, F = fixed bit (1 in v1/v2), TT = packet type
//   bytes 1-4   version    0 = Version Negotiation
//   byte 5      DCID length (0..20 in v1/v2; up to 255 in other versions)
//   ...         DCID, then 1 byte SCID length, SCID
// Short header (first bit 0):
//   byte 0      01xxxxxx   fixed bit set
//   ...         DCID of a length only the receiver knows (the length of the IDs it issues)
//
// A datagram whose first two bits are 00 is not QUIC: WireGuard (message types 1-4), STUN
// (RFC 8489) and DERP-over-UDP disco packets all start that way, which is how the mux tells
// QUIC from other flows sharing a socket.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "gquic/core/error.h"

namespace gquic::udp {

inline constexpr std::size_t kMaxConnectionIdLength = 20;  // RFC 9000 §17.2
inline constexpr std::uint32_t kQuicVersion1 = 0x00000001;
inline constexpr std::uint32_t kQuicVersion2 = 0x6b3343cf;

// A connection ID of at most 20 bytes, stored inline so it can key a hash map.
class ConnectionId {
 public:
  ConnectionId() noexcept = default;
  // Fails with Errc::invalid_argument beyond 20 bytes.
  static Result<ConnectionId> from(std::span<const std::uint8_t> bytes);

  std::span<const std::uint8_t> bytes() const noexcept { return {data_.data(), len_}; }
  std::size_t size() const noexcept { return len_; }
  bool empty() const noexcept { return len_ == 0; }
  std::string to_hex() const;
  std::size_t hash() const noexcept;

  friend bool operator==(const ConnectionId& a, const ConnectionId& b) noexcept {
    return a.len_ == b.len_ && a.data_ == b.data_;
  }

 private:
  std::array<std::uint8_t, kMaxConnectionIdLength> data_{};
  std::uint8_t len_ = 0;
};

enum class HeaderForm : std::uint8_t { long_header, short_header };

// Packet types of QUIC v1 and v2 long headers (the two encode them differently).
enum class LongPacketType : std::uint8_t { initial, zero_rtt, handshake, retry, unknown };

struct QuicHeaderInfo {
  HeaderForm form = HeaderForm::short_header;
  std::uint32_t version = 0;  // long header only; 0 with a long header is Version Negotiation
  LongPacketType type = LongPacketType::unknown;
  std::span<const std::uint8_t> dcid;
  std::span<const std::uint8_t> scid;  // empty for short headers
  bool fixed_bit = false;
  bool is_version_negotiation() const noexcept {
    return form == HeaderForm::long_header && version == 0;
  }
};

// True when the datagram can be QUIC: a long header, or a short header with the fixed bit.
bool looks_like_quic(std::span<const std::uint8_t> datagram) noexcept;

// Parses the invariant header fields. `short_dcid_length` is the length of the connection IDs
// this endpoint issues (0..20). Errors: Errc::truncated (the datagram ends inside the header),
// Errc::malformed (not QUIC, or a CID longer than v1/v2 allow), Errc::invalid_argument
// (short_dcid_length > 20). The spans point into `datagram`.
Result<QuicHeaderInfo> parse_quic_header(std::span<const std::uint8_t> datagram,
                                         std::size_t short_dcid_length) noexcept;

}  // namespace gquic::udp

template <>
struct std::hash<gquic::udp::ConnectionId> {
  std::size_t operator()(const gquic::udp::ConnectionId& c) const noexcept { return c.hash(); }
};
