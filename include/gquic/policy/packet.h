#pragma once
// Bounds-checked parsing of the headers the policy engine needs from an IP packet.
//
// IPv4: version 4, IHL >= 5 and within the buffer, total length >= IHL*4 and <= buffer
//   (bytes past total length, e.g. Ethernet padding, are ignored). Flags/fragment offset:
//   a packet with offset != 0 is a non-first fragment and carries no L4 header.
// IPv6: the fixed 40-byte header, then at most kMaxExtensionHeaders extension headers
//   (Hop-by-Hop 0, Routing 43, Destination Options 60: length in 8-octet units + 8;
//   Fragment 44: 8 bytes; AH 51: (len+2)*4). ESP (50) and No Next Header (59) end the
//   walk with no ports. A payload length larger than the buffer is truncation.
// L4: TCP (ports, flags, data offset >= 5), UDP (ports), SCTP (ports), ICMP/ICMPv6 (type,
//   code, and the identifier of echo request/reply). Other protocols have no ports.
// Every failure is an error value (Errc::truncated / Errc::malformed / Errc::unsupported),
// never a crash and never a read past the span.

#include <cstdint>
#include <span>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::policy {

inline constexpr int kMaxExtensionHeaders = 8;

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

struct PacketInfo {
  IpAddress src;
  IpAddress dst;
  std::uint8_t protocol = 0;   // L4 protocol (after IPv6 extension headers)
  bool has_l4 = false;         // false for non-first fragments, ESP, no-next-header
  std::uint16_t src_port = 0;  // TCP/UDP/SCTP
  std::uint16_t dst_port = 0;
  std::uint8_t tcp_flags = 0;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  std::uint16_t icmp_id = 0;   // echo request/reply only
  bool is_fragment = false;    // part of a fragmented datagram
  bool first_fragment = false; // the fragment at offset 0 (carries the L4 header)
  std::uint32_t fragment_id = 0;
};

Result<PacketInfo> parse_packet(std::span<const std::uint8_t> bytes) noexcept;

// ICMP echo request/reply types.
bool icmp_is_echo_request(std::uint8_t protocol, std::uint8_t type) noexcept;
bool icmp_is_echo_reply(std::uint8_t protocol, std::uint8_t type) noexcept;

}  // namespace gquic::policy
