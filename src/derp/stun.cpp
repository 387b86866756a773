#include "gquic/derp/stun.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace gquic::derp::stun {
namespace {

constexpr std::uint16_t kBindingRequest = 0x0001;
constexpr std::uint16_t kBindingSuccess = 0x0101;
constexpr std::uint16_t kAttrMappedAddress = 0x0001;
constexpr std::uint16_t kAttrXorMappedAddress = 0x0020;
constexpr std::uint16_t kAttrXorMappedAddressOld = 0x8020;
constexpr std::uint16_t kAttrSoftware = 0x8022;
constexpr std::uint16_t kAttrFingerprint = 0x8028;
constexpr std::uint32_t kFingerprintXor = 0x5354554e;
constexpr std::size_t kHeaderLen = 20;

std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
void put16(std::vector<std::uint8_t>& o, std::uint16_t v) {
  o.push_back(static_cast<std::uint8_t>(v >> 8));
  o.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& o, std::uint32_t v) {
  put16(o, static_cast<std::uint16_t>(v >> 16));
  put16(o, static_cast<std::uint16_t>(v));
}

std::vector<std::uint8_t> header(std::uint16_t type, const TransactionId& txid) {
  std::vector<std::uint8_t> o;
  put16(o, type);
  put16(o, 0);  // length, patched by finish()
  put32(o, kMagicCookie);
  o.insert(o.end(), txid.begin(), txid.end());
  return o;
}

void set_length(std::vector<std::uint8_t>& o) {
  const std::size_t len = o.size() - kHeaderLen;
  o[2] = static_cast<std::uint8_t>(len >> 8);
  o[3] = static_cast<std::uint8_t>(len);
}

void put_attr(std::vector<std::uint8_t>& o, std::uint16_t type, std::span<const std::uint8_t> v) {
  put16(o, type);
  put16(o, static_cast<std::uint16_t>(v.size()));
  o.insert(o.end(), v.begin(), v.end());
  while (o.size() % 4 != 0) o.push_back(0);
}

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint32_t>(
      ::crc32(::crc32(0L, Z_NULL, 0), bytes.data(), static_cast<uInt>(bytes.size())));
}

struct Attr {
  std::uint16_t type;
  std::span<const std::uint8_t> value;
  std::size_t offset;  // of the attribute header in the message
};

// Walks the attributes; fails on a length past the end.
Result<std::vector<Attr>> attributes(std::span<const std::uint8_t> m) {
  std::vector<Attr> out;
  std::size_t pos = kHeaderLen;
  while (pos < m.size()) {
    if (m.size() - pos < 4) return Errc::truncated;
    const std::uint16_t type = u16(&m[pos]);
    const std::size_t len = u16(&m[pos + 2]);
    const std::size_t padded = (len + 3) & ~std::size_t{3};
    if (m.size() - pos - 4 < len) return Errc::truncated;
    out.push_back(Attr{type, m.subspan(pos + 4, len), pos});
    if (out.size() > 64) return Errc::malformed;
    pos += 4 + std::min(padded, m.size() - pos - 4);
  }
  return out;
}

Result<std::span<const std::uint8_t>> check_header(std::span<const std::uint8_t> m,
                                                   std::uint16_t want_type) {
  if (m.size() < kHeaderLen) return Errc::truncated;
  if (u16(m.data()) != want_type) return Errc::malformed;
  const std::size_t len = u16(m.data() + 2);
  if (len % 4 != 0 || u32(m.data() + 4) != kMagicCookie) return Errc::malformed;
  if (m.size() < kHeaderLen + len) return Errc::truncated;
  return m.first(kHeaderLen + len);
}

Result<SocketAddress> decode_address(std::span<const std::uint8_t> v, bool xored,
                                     std::span<const std::uint8_t> header_bytes) {
  if (v.size() < 4) return Errc::truncated;
  const std::uint8_t family = v[1];
  std::uint16_t port = u16(&v[2]);
  if (xored) port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  if (family == 0x01) {
    if (v.size() < 8) return Errc::truncated;
    std::array<std::uint8_t, 4> a;
    std::copy_n(v.begin() + 4, 4, a.begin());
    if (xored) {
      for (std::size_t i = 0; i < 4; ++i) a[i] ^= header_bytes[4 + i];
    }
    in_addr in;
    std::memcpy(&in, a.data(), 4);
    return SocketAddress(IpAddress::v4(in), port);
  }
  if (family == 0x02) {
    if (v.size() < 20) return Errc::truncated;
    std::array<std::uint8_t, 16> a;
    std::copy_n(v.begin() + 4, 16, a.begin());
    if (xored) {
      for (std::size_t i = 0; i < 16; ++i) a[i] ^= header_bytes[4 + i];  // cookie ‖ txid
    }
    in6_addr in6;
    std::memcpy(&in6, a.data(), 16);
    return SocketAddress(IpAddress::v6(in6), port);
  }
  return Errc::malformed;
}

}  // namespace

bool looks_like_stun(std::span<const std::uint8_t> d) noexcept {
  return d.size() >= kHeaderLen && (d[0] & 0xc0) == 0 && u32(d.data() + 4) == kMagicCookie;
}

std::vector<std::uint8_t> binding_request(const TransactionId& txid, std::string_view software) {
  auto o = header(kBindingRequest, txid);
  put_attr(o, kAttrSoftware,
           std::span(reinterpret_cast<const std::uint8_t*>(software.data()), software.size()));
  // FINGERPRINT covers the message with the length already counting the fingerprint itself.
  const std::size_t before = o.size();
  o.resize(before + 8);
  set_length(o);
  o.resize(before);
  const std::uint32_t fp = crc32_of(o) ^ kFingerprintXor;
  std::vector<std::uint8_t> v;
  put32(v, fp);
  put_attr(o, kAttrFingerprint, v);
  set_length(o);
  return o;
}

Result<TransactionId> parse_binding_request(std::span<const std::uint8_t> datagram) {
  auto m = check_header(datagram, kBindingRequest);
  if (!m) return m.error();
  auto attrs = attributes(*m);
  if (!attrs) return attrs.error();
  // FINGERPRINT is optional (RFC 8489 §14.7); when present it must be last and correct. The
  // CRC covers everything before it, with the header's length as sent.
  for (std::size_t i = 0; i < attrs->size(); ++i) {
    const Attr& a = (*attrs)[i];
    if (a.type != kAttrFingerprint) continue;
    if (i + 1 != attrs->size() || a.value.size() != 4) return Errc::malformed;
    if ((crc32_of(m->first(a.offset)) ^ kFingerprintXor) != u32(a.value.data())) {
      return Errc::malformed;
    }
  }
  TransactionId txid;
  std::copy_n(m->begin() + 8, 12, txid.begin());
  return txid;
}

std::vector<std::uint8_t> binding_response(const TransactionId& txid, const SocketAddress& mapped) {
  auto o = header(kBindingSuccess, txid);
  std::vector<std::uint8_t> v;
  v.push_back(0);
  v.push_back(mapped.is_v4() ? 0x01 : 0x02);
  put16(v, static_cast<std::uint16_t>(mapped.port() ^ (kMagicCookie >> 16)));
  const auto& ip = mapped.ip().bytes();
  const std::size_t n = mapped.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) v.push_back(static_cast<std::uint8_t>(ip[i] ^ o[4 + i]));
  put_attr(o, kAttrXorMappedAddress, v);
  set_length(o);
  return o;
}

Result<BindingResponse> parse_binding_response(std::span<const std::uint8_t> datagram) {
  auto m = check_header(datagram, kBindingSuccess);
  if (!m) return m.error();
  auto attrs = attributes(*m);
  if (!attrs) return attrs.error();
  BindingResponse r;
  std::copy_n(m->begin() + 8, 12, r.txid.begin());
  for (std::uint16_t wanted : {kAttrXorMappedAddress, kAttrXorMappedAddressOld, kAttrMappedAddress}) {
    for (const Attr& a : *attrs) {
      if (a.type != wanted) continue;
      auto addr = decode_address(a.value, wanted != kAttrMappedAddress, *m);
      if (!addr) return addr.error();
      r.mapped = *addr;
      return r;
    }
  }
  return Errc::not_found;
}

}  // namespace gquic::derp::stun
