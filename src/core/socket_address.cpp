#include "gquic/core/socket_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace gquic {

IpAddress IpAddress::v4(std::uint32_t host_order) noexcept {
  IpAddress a;
  a.family_ = Family::v4;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v4(const in_addr& in) noexcept {
  IpAddress a;
  a.family_ = Family::v4;
  std::memcpy(a.bytes_.data(), &in, 4);
  return a;
}

IpAddress IpAddress::v6(const in6_addr& in) noexcept {
  IpAddress a;
  a.family_ = Family::v6;
  std::memcpy(a.bytes_.data(), &in, 16);
  return a;
}

IpAddress IpAddress::v6_loopback() noexcept { return v6(in6addr_loopback); }

IpAddress IpAddress::any(Family f) noexcept {
  IpAddress a;
  a.family_ = f;
  return a;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return Errc::malformed;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  in_addr a4;
  if (inet_pton(AF_INET, buf, &a4) == 1) return v4(a4);
  in6_addr a6;
  if (inet_pton(AF_INET6, buf, &a6) == 1) return v6(a6);
  return Errc::malformed;
}

bool IpAddress::is_loopback() const noexcept {
  if (is_v4()) return bytes_[0] == 127;
  return *this == v6_loopback();
}

bool IpAddress::is_unspecified() const noexcept {
  for (std::size_t i = 0; i < (is_v4() ? 4u : 16u); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

in_addr IpAddress::to_in_addr() const noexcept {
  in_addr a;
  std::memcpy(&a, bytes_.data(), 4);
  return a;
}

in6_addr IpAddress::to_in6_addr() const noexcept {
  in6_addr a;
  std::memcpy(&a, bytes_.data(), 16);
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

Result<SocketAddress> SocketAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Errc::malformed;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto ip = IpAddress::parse(host);
    if (!ip || !ip->is_v6()) return Errc::malformed;
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return Errc::malformed;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return Errc::malformed;  // v6 needs brackets
  }
  auto ip = IpAddress::parse(host);
  if (!ip) return ip.error();
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return Errc::malformed;
  }
  return SocketAddress(*ip, static_cast<std::uint16_t>(value));
}

Result<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return Errc::invalid_argument;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in;
    std::memcpy(&in, sa, sizeof in);
    return SocketAddress(IpAddress::v4(in.sin_addr), ntohs(in.sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6;
    std::memcpy(&in6, sa, sizeof in6);
    return SocketAddress(IpAddress::v6(in6.sin6_addr), ntohs(in6.sin6_port));
  }
  return Errc::unsupported;
}

socklen_t SocketAddress::to_sockaddr(sockaddr_storage& out) const noexcept {
  std::memset(&out, 0, sizeof out);
  if (is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port_);
    in.sin_addr = ip_.to_in_addr();
    std::memcpy(&out, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port_);
  in6.sin6_addr = ip_.to_in6_addr();
  std::memcpy(&out, &in6, sizeof in6);
  return sizeof in6;
}

std::string SocketAddress::to_string() const {
  if (is_v4()) return ip_.to_string() + ":" + std::to_string(port_);
  return "[" + ip_.to_string() + "]:" + std::to_string(port_);
}

std::size_t SocketAddress::hash() const noexcept {
  // FNV-1a over family, address bytes and port: stable across runs, which consistent-hash
  // load balancing relies on.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  mix(static_cast<std::uint8_t>(ip_.family()));
  for (std::size_t i = 0; i < (is_v4() ? 4u : 16u); ++i) mix(ip_.bytes()[i]);
  mix(static_cast<std::uint8_t>(port_ >> 8));
  mix(static_cast<std::uint8_t>(port_));
  return static_cast<std::size_t>(h);
}

}  // namespace gquic
