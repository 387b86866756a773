#include "gquic/policy/cidr.h"

#include <charconv>

namespace gquic::policy {

IpAddress mask_address(const IpAddress& ip, unsigned prefix) noexcept {
  const unsigned width = ip.is_v4() ? 32 : 128;
  if (prefix >= width) return ip;
  auto bytes = ip.bytes();
  for (unsigned i = 0; i < width / 8; ++i) {
    const unsigned first_bit = i * 8;
    if (first_bit >= prefix) {
      bytes[i] = 0;
    } else if (prefix - first_bit < 8) {
      bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - (prefix - first_bit)));
    }
  }
  if (ip.is_v4()) {
    return IpAddress::v4((std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                         (std::uint32_t{bytes[2]} << 8) | bytes[3]);
  }
  in6_addr a{};
  for (int i = 0; i < 16; ++i) a.s6_addr[i] = bytes[i];
  return IpAddress::v6(a);
}

Result<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return Errc::malformed;
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return Errc::malformed;
  const auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [p, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || p != len_text.data() + len_text.size() || len_text.empty()) {
    return Errc::malformed;
  }
  if (len > (ip->is_v4() ? 32u : 128u)) return Errc::malformed;
  return Cidr{mask_address(*ip, len), static_cast<std::uint8_t>(len)};
}

bool Cidr::contains(const IpAddress& ip) const noexcept {
  if (ip.family() != base.family()) return false;
  return mask_address(ip, prefix) == base;
}

bool Cidr::covers(const Cidr& inner) const noexcept {
  return inner.base.family() == base.family() && inner.prefix >= prefix && contains(inner.base);
}

std::string Cidr::to_string() const { return base.to_string() + "/" + std::to_string(prefix); }

}  // namespace gquic::policy
