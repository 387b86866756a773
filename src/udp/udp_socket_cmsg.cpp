// Control-message encoding and decoding for the UDP socket (see udp_socket_cmsg.h for the
// record layouts). The decoder copies every header and payload out with memcpy, so it accepts
// buffers of any alignment, and bounds every read by the buffer's size.
#include "gquic/udp/udp_socket_cmsg.h"

#include <netinet/udp.h>

#include <cstring>

namespace gquic::udp {
namespace {

constexpr std::size_t kHeaderLen = CMSG_LEN(0);  // header plus padding before the payload

bool is_v4_path_tos(int level, int type) { return level == IPPROTO_IP && type == IP_TOS; }

// Reads the int or single byte a TOS / traffic-class record carries.
std::optional<std::uint8_t> read_tos(const std::uint8_t* p, std::size_t len) {
  if (len >= sizeof(int)) {
    int v = 0;
    std::memcpy(&v, p, sizeof v);
    return static_cast<std::uint8_t>(v & 0xff);
  }
  if (len >= 1) return p[0];
  return std::nullopt;
}

// Applies one record to `out`; false when its payload is too short for its type.
bool apply_record(int level, int type, const std::uint8_t* p, std::size_t len,
                  ControlDirection direction, DecodedControl& out) {
  ControlData& d = out.data;
  if (level == SOL_UDP && type == UDP_SEGMENT) {
    if (len < sizeof(std::uint16_t)) return false;
    std::uint16_t v = 0;
    std::memcpy(&v, p, sizeof v);
    d.segment_size = v;
    return true;
  }
  if (level == SOL_UDP && type == UDP_GRO) {
    if (len < sizeof(int)) return false;
    int v = 0;
    std::memcpy(&v, p, sizeof v);
    d.segment_size = v > 0 ? static_cast<std::size_t>(v) : 0;
    return true;
  }
  if (is_v4_path_tos(level, type) || (level == IPPROTO_IPV6 && type == IPV6_TCLASS)) {
    // IPV6_TCLASS is always an int; IP_TOS is an int when sent and one byte when received.
    if (level == IPPROTO_IPV6 && len < sizeof(int)) return false;
    auto tos = read_tos(p, len);
    if (!tos) return false;
    d.ecn = static_cast<Ecn>(*tos & 0b11);
    return true;
  }
  if (level == IPPROTO_IP && type == IP_PKTINFO) {
    if (len < sizeof(in_pktinfo)) return false;
    in_pktinfo info;
    std::memcpy(&info, p, sizeof info);
    d.address = IpAddress::v4(direction == ControlDirection::send ? info.ipi_spec_dst
                                                                    : info.ipi_addr);
    return true;
  }
  if (level == IPPROTO_IPV6 && type == IPV6_PKTINFO) {
    if (len < sizeof(in6_pktinfo)) return false;
    in6_pktinfo info;
    std::memcpy(&info, p, sizeof info);
    d.address = IpAddress::v6(info.ipi6_addr);
    return true;
  }
  ++out.unknown;
  return true;
}

// Appends one record at `offset`; returns the offset after it, or nullopt if it does not fit.
std::optional<std::size_t> put_record(std::span<std::uint8_t> out, std::size_t offset, int level,
                                      int type, const void* payload, std::size_t len) {
  const std::size_t space = CMSG_SPACE(len);
  if (offset > out.size() || out.size() - offset < space) return std::nullopt;
  cmsghdr hdr{};
  hdr.cmsg_len = CMSG_LEN(len);
  hdr.cmsg_level = level;
  hdr.cmsg_type = type;
  std::memset(out.data() + offset, 0, space);
  std::memcpy(out.data() + offset, &hdr, sizeof hdr);
  std::memcpy(out.data() + offset + kHeaderLen, payload, len);
  return offset + space;
}

}  // namespace

bool is_v4_mapped(const IpAddress& ip) noexcept {
  if (!ip.is_v6()) return false;
  const auto& b = ip.bytes();
  for (std::size_t i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

IpAddress unmap_v4(const IpAddress& ip) noexcept {
  if (!is_v4_mapped(ip)) return ip;
  const auto& b = ip.bytes();
  return IpAddress::v4((std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                       (std::uint32_t{b[14]} << 8) | std::uint32_t{b[15]});
}

IpAddress map_v4(const IpAddress& ip) noexcept {
  if (!ip.is_v4()) return ip;
  in6_addr a{};
  a.s6_addr[10] = 0xff;
  a.s6_addr[11] = 0xff;
  std::memcpy(&a.s6_addr[12], ip.bytes().data(), 4);
  return IpAddress::v6(a);
}

DecodedControl decode_control(std::span<const std::uint8_t> control,
                              ControlDirection direction) noexcept {
  DecodedControl out;
  std::size_t offset = 0;
  while (control.size() - offset >= sizeof(cmsghdr)) {
    cmsghdr hdr;
    std::memcpy(&hdr, control.data() + offset, sizeof hdr);
    const std::size_t len = hdr.cmsg_len;
    if (len < kHeaderLen || len > control.size() - offset) {
      out.malformed = true;
      break;
    }
    ++out.records;
    if (!apply_record(hdr.cmsg_level, hdr.cmsg_type, control.data() + offset + kHeaderLen,
                      len - kHeaderLen, direction, out)) {
      out.malformed = true;
    }
    const std::size_t advance = CMSG_ALIGN(len);
    if (advance > control.size() - offset) break;  // the last record, without its padding
    offset += advance;
  }
  return out;
}

Result<std::size_t> encode_send_control(const ControlData& data, bool ipv4_path,
                                        std::span<std::uint8_t> out) noexcept {
  std::size_t offset = 0;
  if (data.segment_size > 0) {
    if (data.segment_size > 0xffff) return Errc::invalid_argument;
    const auto seg = static_cast<std::uint16_t>(data.segment_size);
    auto next = put_record(out, offset, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg);
    if (!next) return Errc::exhausted;
    offset = *next;
  }
  if (data.ecn != Ecn::not_ect) {
    const int tos = static_cast<int>(data.ecn);
    auto next = ipv4_path ? put_record(out, offset, IPPROTO_IP, IP_TOS, &tos, sizeof tos)
                          : put_record(out, offset, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    if (!next) return Errc::exhausted;
    offset = *next;
  }
  if (data.address) {
    std::optional<std::size_t> next;
    if (ipv4_path) {
      const IpAddress src = unmap_v4(*data.address);
      if (!src.is_v4()) return Errc::invalid_argument;
      in_pktinfo info{};
      info.ipi_spec_dst = src.to_in_addr();
      next = put_record(out, offset, IPPROTO_IP, IP_PKTINFO, &info, sizeof info);
    } else {
      if (!data.address->is_v6()) return Errc::invalid_argument;
      in6_pktinfo info{};
      info.ipi6_addr = data.address->to_in6_addr();
      next = put_record(out, offset, IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof info);
    }
    if (!next) return Errc::exhausted;
    offset = *next;
  }
  return offset;
}

}  // namespace gquic::udp
