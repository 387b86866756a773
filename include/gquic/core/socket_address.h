#pragma once
// IP addresses and IP:port pairs as plain values, without Asio, so protocol cores and the UDP
// layer can name peers. Conversions to and from `sockaddr` live here and nowhere else.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

#include "gquic/core/error.h"

namespace gquic {

class IpAddress {
 public:
  enum class Family : std::uint8_t { v4, v6 };

  IpAddress() noexcept = default;  // 0.0.0.0
  static IpAddress v4(std::uint32_t host_order) noexcept;
  static IpAddress v4(const in_addr& a) noexcept;
  static IpAddress v6(const in6_addr& a) noexcept;
  static IpAddress v4_loopback() noexcept { return v4(0x7f000001u); }
  static IpAddress v6_loopback() noexcept;
  static IpAddress any(Family f) noexcept;
  // "192.0.2.1" or "2001:db8::1" (no brackets, no port).
  static Result<IpAddress> parse(std::string_view text);

  Family family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == Family::v4; }
  bool is_v6() const noexcept { return family_ == Family::v6; }
  bool is_loopback() const noexcept;
  bool is_unspecified() const noexcept;
  // Network-order bytes: 4 significant for v4, 16 for v6.
  const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
  in_addr to_in_addr() const noexcept;
  in6_addr to_in6_addr() const noexcept;
  std::string to_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) noexcept = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

class SocketAddress {
 public:
  SocketAddress() noexcept = default;  // 0.0.0.0:0
  SocketAddress(IpAddress ip, std::uint16_t port) noexcept : ip_(ip), port_(port) {}
  // "192.0.2.1:443", "[2001:db8::1]:443"; the port is required.
  static Result<SocketAddress> parse(std::string_view text);
  // From a kernel address; fails for families other than AF_INET/AF_INET6 or a short length.
  static Result<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len);

  const IpAddress& ip() const noexcept { return ip_; }
  std::uint16_t port() const noexcept { return port_; }
  bool is_v4() const noexcept { return ip_.is_v4(); }
  bool is_v6() const noexcept { return ip_.is_v6(); }
  int family() const noexcept { return ip_.is_v4() ? AF_INET : AF_INET6; }

  // Fills `out`; returns the length to pass to the kernel.
  socklen_t to_sockaddr(sockaddr_storage& out) const noexcept;
  std::string to_string() const;
  std::size_t hash() const noexcept;

  friend bool operator==(const SocketAddress&, const SocketAddress&) noexcept = default;

 private:
  IpAddress ip_;
  std::uint16_t port_ = 0;
};

}  // namespace gquic

template <>
struct std::hash<gquic::SocketAddress> {
  std::size_t operator()(const gquic::SocketAddress& a) const noexcept { return a.hash(); }
};
