#include "gquic/discovery/dns_server.h"

#include <array>
#include <atomic>
#include <exception>
#include <unordered_set>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "net_util_io.h"

namespace gquic::discovery {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using gquic::asio::awaitable;
using gquic::asio::nothrow;
using udp = net::ip::udp;
using tcp = net::ip::tcp;

auto log_on_exception(std::shared_ptr<spdlog::logger> log, const char* what) {
  return [log = std::move(log), what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log->error("dns server {} failed: {}", what, ex.what());
    } catch (...) {
      log->error("dns server {} failed", what);
    }
  };
}

}  // namespace

struct DnsServer::State {
  State(net::io_context& io_ctx, DnsResponder& r, SocketAddress addr, const Clock& c,
        DnsServerOptions opts)
      : io(io_ctx), responder(r), listen(addr), clock(c), options(opts), udp_socket(io_ctx),
        acceptor(io_ctx), log(log::get("discovery")) {}

  void shutdown() {
    boost::system::error_code ignored;
    udp_socket.close(ignored);
    acceptor.close(ignored);
    for (beast::tcp_stream* s : sessions) s->socket().close(ignored);
  }

  static awaitable<void> udp_loop(std::shared_ptr<State> self);
  static awaitable<void> accept_loop(std::shared_ptr<State> self);
  static awaitable<void> serve_tcp(std::shared_ptr<State> self, tcp::socket socket);

  net::io_context& io;
  DnsResponder& responder;
  SocketAddress listen;
  const Clock& clock;
  DnsServerOptions options;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<bool> stopped{false};
  bool started = false;
  SocketAddress bound;
  std::unordered_set<beast::tcp_stream*> sessions;
};

awaitable<void> DnsServer::State::udp_loop(std::shared_ptr<State> self) {
  State& st = *self;
  std::vector<std::uint8_t> buf(65535);
  for (;;) {
    udp::endpoint from;
    auto [ec, n] = co_await st.udp_socket.async_receive_from(net::buffer(buf), from, nothrow);
    if (st.stopped.load() || ec == net::error::operation_aborted) co_return;
    if (ec) continue;  // ICMP errors of earlier sends and the like
    auto answer = st.responder.answer(std::span(buf).first(n), DnsTransport::udp, st.clock.now());
    if (!answer) continue;  // dropped and counted by the responder
    auto [sec, sent] = co_await st.udp_socket.async_send_to(net::buffer(*answer), from, nothrow);
    (void)sec;
    (void)sent;
  }
}

awaitable<void> DnsServer::State::accept_loop(std::shared_ptr<State> self) {
  State& st = *self;
  for (;;) {
    auto [ec, socket] = co_await st.acceptor.async_accept(nothrow);
    if (st.stopped.load() || ec == net::error::operation_aborted) co_return;
    if (ec) {
      net::steady_timer backoff(st.io, std::chrono::milliseconds(100));
      co_await backoff.async_wait(nothrow);
      if (st.stopped.load()) co_return;
      continue;
    }
    if (st.sessions.size() >= st.options.max_tcp_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    net::co_spawn(st.io, serve_tcp(self, std::move(socket)), log_on_exception(st.log, "tcp"));
  }
}

awaitable<void> DnsServer::State::serve_tcp(std::shared_ptr<State> self, tcp::socket socket) {
  State& st = *self;
  beast::tcp_stream stream(std::move(socket));
  st.sessions.insert(&stream);
  struct Unregister {
    State& state;
    beast::tcp_stream* s;
    ~Unregister() { state.sessions.erase(s); }
  } unregister{st, &stream};
  std::vector<std::uint8_t> msg;
  for (;;) {
    if (st.stopped.load()) break;
    std::array<std::uint8_t, 2> len{};
    stream.expires_after(st.options.tcp_timeout);
    auto [ec, n] = co_await net::async_read(stream, net::buffer(len), nothrow);
    if (ec) break;
    const std::size_t size = static_cast<std::size_t>(len[0]) << 8 | len[1];
    msg.resize(size);
    std::tie(ec, n) = co_await net::async_read(stream, net::buffer(msg), nothrow);
    if (ec) break;
    auto answer = st.responder.answer(msg, DnsTransport::tcp, st.clock.now());
    if (!answer) break;  // not a query: close
    const std::array<std::uint8_t, 2> out_len{static_cast<std::uint8_t>(answer->size() >> 8),
                                              static_cast<std::uint8_t>(answer->size())};
    std::array<net::const_buffer, 2> bufs{net::buffer(out_len), net::buffer(*answer)};
    std::tie(ec, n) = co_await net::async_write(stream, bufs, nothrow);
    if (ec) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

DnsServer::DnsServer(boost::asio::io_context& io, DnsResponder& responder, SocketAddress listen,
                     const Clock& clock, DnsServerOptions options)
    : state_(std::make_shared<State>(io, responder, listen, clock, options)) {}

DnsServer::~DnsServer() { stop(); }

Result<void> DnsServer::start() {
  State& st = *state_;
  if (st.stopped.load()) return Errc::closed;
  if (st.started) return Errc::already_exists;
  boost::system::error_code ec;
  // With port 0 the UDP port the kernel picks may be taken for TCP: try a few.
  for (int attempt = 0; attempt < 20; ++attempt) {
    boost::system::error_code ignored;
    st.udp_socket.close(ignored);
    st.acceptor.close(ignored);
    const auto uep = detail::to_endpoint<udp::endpoint>(st.listen);
    st.udp_socket.open(uep.protocol(), ec);
    if (!ec) st.udp_socket.bind(uep, ec);
    if (ec) return detail::to_std(ec);
    const auto port = st.udp_socket.local_endpoint(ec).port();
    if (ec) return detail::to_std(ec);
    const tcp::endpoint tep(uep.address(), port);
    st.acceptor.open(tep.protocol(), ec);
    if (!ec) st.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) st.acceptor.bind(tep, ec);
    if (!ec) st.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (!ec) {
      st.bound = SocketAddress(st.listen.ip(), port);
      break;
    }
    if (st.listen.port() != 0 || ec != net::error::address_in_use) break;
  }
  if (ec) {
    boost::system::error_code ignored;
    st.udp_socket.close(ignored);
    st.acceptor.close(ignored);
    return detail::to_std(ec);
  }
  st.started = true;
  st.log->info("dns: serving svc.{} on {} (udp+tcp)", st.responder.options().domain,
               st.bound.to_string());
  net::co_spawn(st.io, State::udp_loop(state_), log_on_exception(st.log, "udp"));
  net::co_spawn(st.io, State::accept_loop(state_), log_on_exception(st.log, "acceptor"));
  return {};
}

SocketAddress DnsServer::local_address() const { return state_->bound; }

void DnsServer::stop() {
  if (state_->stopped.exchange(true)) return;
  net::dispatch(state_->io, [st = state_] { st->shutdown(); });
}

}  // namespace gquic::discovery
