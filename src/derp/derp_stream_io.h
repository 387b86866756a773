#pragma once
// Private to the DERP drivers: a TCP byte stream with optional TLS (OpenSSL through asio::ssl),
// awaited as values, and the conversions between gquic and Asio addresses and errors.

#include <cstring>
#include <optional>
#include <system_error>
#include <tuple>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/socket_address.h"

namespace gquic::derp::detail {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using udp = net::ip::udp;
using gquic::asio::awaitable;
using gquic::asio::nothrow;
using boost::system::error_code;

inline std::error_code to_std(const error_code& ec) {
  if (ec.category() == boost::system::system_category() ||
      ec.category() == boost::system::generic_category()) {
    return {ec.value(), std::system_category()};
  }
  return ec;
}

inline net::ip::address to_address(const IpAddress& ip) {
  const auto& b = ip.bytes();
  if (ip.is_v4()) return net::ip::address_v4(net::ip::address_v4::bytes_type{b[0], b[1], b[2], b[3]});
  net::ip::address_v6::bytes_type v6;
  std::memcpy(v6.data(), b.data(), v6.size());
  return net::ip::address_v6(v6);
}

template <typename Endpoint>
Endpoint to_endpoint(const SocketAddress& a) {
  return Endpoint(to_address(a.ip()), a.port());
}

template <typename Endpoint>
SocketAddress from_endpoint(const Endpoint& e) {
  if (e.address().is_v4()) {
    return SocketAddress(IpAddress::v4(e.address().to_v4().to_uint()), e.port());
  }
  const auto b = e.address().to_v6().to_bytes();
  in6_addr a;
  std::memcpy(&a, b.data(), sizeof a);
  return SocketAddress(IpAddress::v6(a), e.port());
}

// A TCP connection, plain or TLS. One read and one write may be outstanding at a time.
class Stream {
 public:
  explicit Stream(tcp::socket s) : plain_(std::move(s)) {}
  Stream(tcp::socket s, ssl::context& ctx) : tls_(std::in_place, std::move(s), ctx) {}

  bool is_tls() const noexcept { return tls_.has_value(); }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  ssl::stream<tcp::socket>& tls() { return *tls_; }

  awaitable<std::tuple<error_code, std::size_t>> read_some(net::mutable_buffer b) {
    if (tls_) co_return co_await tls_->async_read_some(b, nothrow);
    co_return co_await plain_->async_read_some(b, nothrow);
  }
  awaitable<std::tuple<error_code, std::size_t>> write_all(net::const_buffer b) {
    if (tls_) co_return co_await net::async_write(*tls_, b, nothrow);
    co_return co_await net::async_write(*plain_, b, nothrow);
  }
  void close() {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  std::optional<tcp::socket> plain_;
  std::optional<ssl::stream<tcp::socket>> tls_;
};

}  // namespace gquic::derp::detail
