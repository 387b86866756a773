#pragma once
// STUN Binding (RFC 8489) as DERP relays use it to tell a node its public address.
//
//   header  = type:u16 | length:u16 (attributes only) | magic cookie 0x2112A442 | txid (12)
//   attr    = type:u16 | length:u16 | value | padding to 4 bytes
// gquic's Binding requests (0x0001) carry SOFTWARE and, last, FINGERPRINT (CRC-32 of the message
// up to it, XOR 0x5354554E). The success response (0x0101) carries XOR-MAPPED-ADDRESS (0x0020):
// family, port XOR the cookie's top 16 bits, address XOR the cookie (IPv4) or cookie ‖ txid
// (IPv6). Responders in the field also send MAPPED-ADDRESS (0x0001) or the pre-RFC 0x8020;
// clients accept those too.
//
// Sans-IO: bytes in, bytes or values out.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::derp::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
using TransactionId = std::array<std::uint8_t, 12>;

// A Binding request with SOFTWARE and FINGERPRINT.
std::vector<std::uint8_t> binding_request(const TransactionId& txid,
                                          std::string_view software = "gquic");
// Checks a datagram is a well-formed Binding request (a FINGERPRINT, when present, must be
// the last attribute and correct); returns its transaction ID.
Result<TransactionId> parse_binding_request(std::span<const std::uint8_t> datagram);
// The success response carrying `mapped` as XOR-MAPPED-ADDRESS.
std::vector<std::uint8_t> binding_response(const TransactionId& txid, const SocketAddress& mapped);

struct BindingResponse {
  TransactionId txid;
  SocketAddress mapped;
};
// Parses a success response (XOR-MAPPED-ADDRESS, else 0x8020, else MAPPED-ADDRESS).
Result<BindingResponse> parse_binding_response(std::span<const std::uint8_t> datagram);

// True when the first bytes look like STUN (top two bits 00 and the magic cookie).
bool looks_like_stun(std::span<const std::uint8_t> datagram) noexcept;

}  // namespace gquic::derp::stun
