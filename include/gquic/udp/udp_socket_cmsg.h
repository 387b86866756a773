#pragma once
// Control messages (cmsg) of the UDP socket, as pure functions over bytes so they can be unit
// tested with hand-built buffers and fuzzed without a socket.
//
// A control buffer is a sequence of records, each aligned to sizeof(std::size_t):
//   struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; }  then the payload;
//   cmsg_len counts the header and the payload, not the padding after it.
// The records gquic reads and writes:
//   level       type          payload                    direction
//   SOL_UDP     UDP_SEGMENT   uint16 segment size        send (GSO)
//   SOL_UDP     UDP_GRO       int segment size           receive (GRO stride)
//   IPPROTO_IP  IP_TOS        int (send) / 1 byte (recv) both; the low two bits are the ECN
//   IPPROTO_IPV6 IPV6_TCLASS  int                        both
//   IPPROTO_IP  IP_PKTINFO    struct in_pktinfo          send: ipi_spec_dst is the source;
//                                                        receive: ipi_addr is the destination
//   IPPROTO_IPV6 IPV6_PKTINFO struct in6_pktinfo         ipi6_addr: source / destination
// When the kernel runs out of control space it sets MSG_CTRUNC and cuts the last record short;
// the decoder then keeps what it could read and reports `malformed`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <netinet/in.h>
#include <sys/socket.h>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/udp/udp_socket.h"

namespace gquic::udp {

// Bytes of control space one sent datagram needs (segment size, ECN, source address).
inline constexpr std::size_t kSendControlSpace =
    CMSG_SPACE(sizeof(std::uint16_t)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo));
// Bytes of control space offered per received datagram: GRO, both ECN records and both
// pktinfo records (a dual-stack socket may see IPv4 and IPv6 ones), with room to spare.
inline constexpr std::size_t kRecvControlSpace =
    CMSG_SPACE(sizeof(int)) * 3 + CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo));

enum class ControlDirection : std::uint8_t { send, receive };

// What a control buffer says about one datagram.
struct ControlData {
  // UDP_SEGMENT (send) or UDP_GRO (receive); 0 when absent.
  std::size_t segment_size = 0;
  Ecn ecn = Ecn::not_ect;
  // send: the source address to use; receive: the local address the datagram was sent to.
  std::optional<IpAddress> address;

  friend bool operator==(const ControlData&, const ControlData&) noexcept = default;
};

struct DecodedControl {
  ControlData data;
  std::size_t records = 0;   // records walked, known or not
  std::size_t unknown = 0;   // records of another level/type, skipped
  bool malformed = false;    // a record was cut short or its length is impossible
};

// Walks a control buffer of any alignment and content. Never reads outside `control`.
DecodedControl decode_control(std::span<const std::uint8_t> control,
                              ControlDirection direction) noexcept;

// Writes the send-side records for `data` into `out` (which must be aligned for cmsghdr, as
// kernel control buffers are). `ipv4_path` picks IP_TOS/IP_PKTINFO (an IPv4 or v4-mapped
// destination) over IPV6_TCLASS/IPV6_PKTINFO. Writes nothing for default fields.
// Returns the bytes written; Errc::exhausted when `out` is too small, Errc::invalid_argument
// when the address cannot travel on that path or the segment size does not fit 16 bits.
Result<std::size_t> encode_send_control(const ControlData& data, bool ipv4_path,
                                        std::span<std::uint8_t> out) noexcept;

// Turns an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into the IPv4 address; others unchanged.
IpAddress unmap_v4(const IpAddress& ip) noexcept;
// Turns an IPv4 address into its IPv4-mapped IPv6 form; IPv6 addresses unchanged.
IpAddress map_v4(const IpAddress& ip) noexcept;
bool is_v4_mapped(const IpAddress& ip) noexcept;

}  // namespace gquic::udp
