#pragma once
// Conversions between gquic addresses/errors and Asio's, shared by the discovery drivers.
#include <cstring>
#include <system_error>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "gquic/core/socket_address.h"

namespace gquic::discovery::detail {

inline std::error_code to_std(const boost::system::error_code& ec) {
  if (ec.category() == boost::system::system_category() ||
      ec.category() == boost::system::generic_category()) {
    return {ec.value(), std::system_category()};
  }
  return ec;
}

inline boost::asio::ip::address to_asio(const IpAddress& ip) {
  const auto& b = ip.bytes();
  if (ip.is_v4()) {
    return boost::asio::ip::address_v4(boost::asio::ip::address_v4::bytes_type{b[0], b[1], b[2], b[3]});
  }
  boost::asio::ip::address_v6::bytes_type v6;
  std::memcpy(v6.data(), b.data(), v6.size());
  return boost::asio::ip::address_v6(v6);
}

template <typename Endpoint>
Endpoint to_endpoint(const SocketAddress& a) {
  return Endpoint(to_asio(a.ip()), a.port());
}

template <typename Endpoint>
SocketAddress from_endpoint(const Endpoint& ep) {
  auto r = SocketAddress::from_sockaddr(ep.data(), static_cast<socklen_t>(ep.size()));
  return r ? *r : SocketAddress{};
}

}  // namespace gquic::discovery::detail
