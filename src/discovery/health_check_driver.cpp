#include "health_check_driver.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "gquic/core/socket_address.h"
#include "gquic/quic/quic_driver.h"
#include "gquic/quic/tls_context.h"
#include "net_util_io.h"

namespace gquic::discovery::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using gquic::asio::awaitable;
using gquic::asio::nothrow;

namespace {

// QUIC: a handshake offering spec.alpn from a fresh client socket, bounded by the check's
// timeout (as the connection's idle timeout, which ngtcp2 applies to the handshake too).
// The check proves a QUIC endpoint completes a handshake for that protocol; it does not
// verify the certificate (liveness, not identity).
awaitable<bool> run_quic_probe(net::io_context& io, const HealthProbe& probe,
                               const SocketAddress& addr) {
  quic::ClientTlsConfig tls_config;
  tls_config.insecure_skip_verify = true;
  tls_config.alpn = {probe.spec.alpn};
  auto tls = quic::TlsContext::client(tls_config);
  if (!tls) co_return false;
  quic::DriverConfig driver_config;
  driver_config.bind = SocketAddress(addr.ip().is_v6() ? *IpAddress::parse("::") : IpAddress::v4(0), 0);
  auto driver = quic::EndpointDriver::client(io, driver_config);
  if (!driver) co_return false;
  quic::ConnectionConfig config;
  config.idle_timeout = probe.spec.timeout;
  const std::shared_ptr<quic::TlsContext> context = *tls;
  auto conn = co_await (*driver)->connect(context, config, addr);
  if (!conn) {
    (*driver)->stop();
    co_return false;
  }
  conn->close(0, "health check");
  co_await conn->wait_closed();
  (*driver)->stop();
  co_return true;
}

}  // namespace

awaitable<bool> run_probe(net::io_context& io, HealthProbe probe) {
  auto addr = SocketAddress::parse(probe.address);
  if (!addr) co_return false;
  if (probe.spec.kind == HealthCheckKind::quic) {
    const bool ok = co_await run_quic_probe(io, probe, *addr);
    co_return ok;
  }
  if (probe.spec.kind != HealthCheckKind::tcp && probe.spec.kind != HealthCheckKind::http) {
    co_return false;
  }
  beast::tcp_stream stream(io);
  // One deadline for the whole probe: connect, request and answer.
  stream.expires_after(probe.spec.timeout);
  auto [ec] = co_await stream.async_connect(to_endpoint<net::ip::tcp::endpoint>(*addr), nothrow);
  if (ec) co_return false;
  if (probe.spec.kind == HealthCheckKind::tcp) {
    boost::system::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    co_return true;
  }
  http::request<http::empty_body> req{http::verb::get, probe.spec.path, 11};
  req.set(http::field::host, probe.address);
  req.set(http::field::user_agent, "gquic-health");
  req.keep_alive(false);
  std::size_t n = 0;
  std::tie(ec, n) = co_await http::async_write(stream, req, nothrow);
  if (ec) co_return false;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  std::tie(ec, n) = co_await http::async_read(stream, buf, parser, nothrow);
  if (ec && ec != http::error::body_limit) co_return false;
  if (!parser.is_header_done()) co_return false;
  co_return parser.get().result_int() == probe.spec.expected_status;
}

}  // namespace gquic::discovery::detail
