#include "gquic/policy/packet.h"

#include <cstring>

#include "gquic/policy/model.h"

namespace gquic::policy {

namespace {

std::uint16_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

IpAddress v6_from(const std::uint8_t* p) noexcept {
  in6_addr a;
  std::memcpy(a.s6_addr, p, 16);
  return IpAddress::v6(a);
}

// Parses the L4 header at `l4` (length `len`) into `out`.
Result<void> parse_l4(const std::uint8_t* l4, std::size_t len, PacketInfo& out) noexcept {
  switch (out.protocol) {
    case proto::tcp:
      if (len < 20) return Errc::truncated;
      if ((l4[12] >> 4) < 5 || static_cast<std::size_t>(l4[12] >> 4) * 4 > len) return Errc::malformed;
      out.src_port = be16(l4);
      out.dst_port = be16(l4 + 2);
      out.tcp_flags = l4[13];
      break;
    case proto::udp:
    case proto::sctp:
      if (len < 8) return Errc::truncated;
      out.src_port = be16(l4);
      out.dst_port = be16(l4 + 2);
      break;
    case proto::icmp:
    case proto::icmpv6:
      if (len < 4) return Errc::truncated;
      out.icmp_type = l4[0];
      out.icmp_code = l4[1];
      if (icmp_is_echo_request(out.protocol, out.icmp_type) ||
          icmp_is_echo_reply(out.protocol, out.icmp_type)) {
        if (len < 8) return Errc::truncated;
        out.icmp_id = be16(l4 + 4);
      }
      break;
    default:
      break;  // no ports
  }
  out.has_l4 = true;
  return {};
}

Result<PacketInfo> parse_v4(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < 20) return Errc::truncated;
  const std::size_t ihl = std::size_t{b[0] & 0x0fu} * 4;
  if (ihl < 20) return Errc::malformed;
  const std::size_t total = be16(&b[2]);
  if (total < ihl) return Errc::malformed;
  if (ihl > b.size() || total > b.size()) return Errc::truncated;
  PacketInfo out;
  out.src = IpAddress::v4(be32(&b[12]));
  out.dst = IpAddress::v4(be32(&b[16]));
  out.protocol = b[9];
  const std::uint16_t frag = be16(&b[6]);
  const bool more = (frag & 0x2000) != 0;
  const std::uint16_t offset = frag & 0x1fff;
  if (more || offset != 0) {
    out.is_fragment = true;
    out.first_fragment = offset == 0;
    out.fragment_id = be16(&b[4]);
    if (offset != 0) return out;  // no L4 header in a non-first fragment
  }
  if (auto r = parse_l4(b.data() + ihl, total - ihl, out); !r) return r.error();
  return out;
}

Result<PacketInfo> parse_v6(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < 40) return Errc::truncated;
  const std::size_t end = 40 + std::size_t{be16(&b[4])};
  if (end > b.size()) return Errc::truncated;
  PacketInfo out;
  out.src = v6_from(&b[8]);
  out.dst = v6_from(&b[24]);
  std::uint8_t next = b[6];
  std::size_t pos = 40;
  for (int n = 0;; ++n) {
    switch (next) {
      case 0:    // hop-by-hop
      case 43:   // routing
      case 60:   // destination options
      case 44:   // fragment
      case 51: { // authentication header
        if (n >= kMaxExtensionHeaders) return Errc::unsupported;
        if (end - pos < 8) return Errc::truncated;
        std::size_t len = 0;
        if (next == 44) {
          len = 8;
          const std::uint16_t off_flags = be16(&b[pos + 2]);
          out.is_fragment = true;
          out.first_fragment = (off_flags & 0xfff8) == 0;
          out.fragment_id = be32(&b[pos + 4]);
          if (!out.first_fragment) {
            out.protocol = b[pos];
            return out;
          }
        } else if (next == 51) {
          len = (std::size_t{b[pos + 1]} + 2) * 4;
        } else {
          len = (std::size_t{b[pos + 1]} + 1) * 8;
        }
        if (len > end - pos) return Errc::truncated;
        next = b[pos];
        pos += len;
        continue;
      }
      case 50:  // ESP: the rest is encrypted
      case 59:  // no next header
        out.protocol = next;
        return out;
      default:
        out.protocol = next;
        if (auto r = parse_l4(b.data() + pos, end - pos, out); !r) return r.error();
        return out;
    }
  }
}

}  // namespace

bool icmp_is_echo_request(std::uint8_t protocol, std::uint8_t type) noexcept {
  return (protocol == proto::icmp && type == 8) || (protocol == proto::icmpv6 && type == 128);
}

bool icmp_is_echo_reply(std::uint8_t protocol, std::uint8_t type) noexcept {
  return (protocol == proto::icmp && type == 0) || (protocol == proto::icmpv6 && type == 129);
}

Result<PacketInfo> parse_packet(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.empty()) return Errc::truncated;
  switch (bytes[0] >> 4) {
    case 4: return parse_v4(bytes);
    case 6: return parse_v6(bytes);
    default: return Errc::malformed;
  }
}

}  // namespace gquic::policy
