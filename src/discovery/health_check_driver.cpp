#include "health_check_driver.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "gquic/core/socket_address.h"
#include "net_util_io.h"

namespace gquic::discovery::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using gquic::asio::awaitable;
using gquic::asio::nothrow;

awaitable<bool> run_probe(net::io_context& io, HealthProbe probe) {
  auto addr = SocketAddress::parse(probe.address);
  if (!addr) co_return false;
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
