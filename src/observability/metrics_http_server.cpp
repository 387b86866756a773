// The only Beast translation unit of the observability module (see metrics_http_server.h).

#include "gquic/observability/metrics_http_server.h"

#include <array>
#include <atomic>
#include <cstring>
#include <exception>
#include <map>
#include <string>
#include <unordered_set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "gquic/observability/exposition.h"

namespace gquic::observability {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using gquic::asio::awaitable;
using gquic::asio::nothrow;

std::error_code to_std(const boost::system::error_code& ec) {
  if (ec.category() == boost::system::system_category() ||
      ec.category() == boost::system::generic_category()) {
    return {ec.value(), std::system_category()};
  }
  return ec;  // Boost converts other categories itself
}

tcp::endpoint to_endpoint(const SocketAddress& a) {
  const auto& b = a.ip().bytes();
  if (a.is_v4()) {
    net::ip::address_v4::bytes_type v4{b[0], b[1], b[2], b[3]};
    return {net::ip::address_v4(v4), a.port()};
  }
  net::ip::address_v6::bytes_type v6;
  std::memcpy(v6.data(), b.data(), v6.size());
  return {net::ip::address_v6(v6), a.port()};
}

// Logs a coroutine that ended with an exception (none is expected: OS errors are values).
auto log_on_exception(std::shared_ptr<spdlog::logger> log, const char* what) {
  return [log = std::move(log), what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log->error("metrics http {} failed: {}", what, ex.what());
    } catch (...) {
      log->error("metrics http {} failed", what);
    }
  };
}

}  // namespace

struct MetricsHttpServer::State {
  State(net::io_context& io_ctx, MetricsCollector& c, SocketAddress addr,
        MetricsHttpServerOptions opts)
      : io(io_ctx),
        collector(c),
        listen(addr),
        options(std::move(opts)),
        acceptor(io_ctx),
        log(log::get("observability")) {
    if (auto fam = collector.counter("gquic_metrics_http_requests_total",
                                     "HTTP responses of the metrics endpoint, by status code",
                                     {"code"})) {
      requests = &fam->get();
    } else {
      log->warn("metrics http: cannot register request counter: {}", fam.error().message());
    }
    if (auto fam = collector.counter("gquic_metrics_http_connections_dropped_total",
                                     "Connections the metrics endpoint closed, by reason",
                                     {"reason"})) {
      dropped = &fam->get();
    } else {
      log->warn("metrics http: cannot register drop counter: {}", fam.error().message());
    }
  }

  // io thread only.
  void count_response(unsigned code) {
    if (requests == nullptr) return;
    auto it = by_code.find(code);
    if (it == by_code.end()) {
      auto c = requests->with({std::to_string(code)});
      if (!c) return;
      it = by_code.emplace(code, &c->get()).first;
    }
    it->second->inc();
  }
  void count_drop(std::string_view reason) {
    if (dropped == nullptr) return;
    if (auto c = dropped->with({reason})) c->get().inc();
  }

  // io thread only: closes the listener and every connection.
  void shutdown() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (beast::tcp_stream* s : sessions) s->socket().close(ignored);
  }

  // Coroutines take the state by shared_ptr so it lives as long as their frames, from the
  // moment they are created (not first resumed).
  static awaitable<void> accept_loop(std::shared_ptr<State> self);
  static awaitable<void> serve(std::shared_ptr<State> self, tcp::socket socket);
  awaitable<bool> respond(beast::tcp_stream& stream, const http::request<http::string_body>& req);
  awaitable<void> reject(beast::tcp_stream& stream, http::status status);

  net::io_context& io;
  MetricsCollector& collector;
  SocketAddress listen;
  MetricsHttpServerOptions options;
  tcp::acceptor acceptor;
  std::shared_ptr<spdlog::logger> log;
  CounterFamily* requests = nullptr;
  CounterFamily* dropped = nullptr;
  std::map<unsigned, Counter*> by_code;

  std::atomic<bool> stopped{false};
  bool started = false;
  SocketAddress bound;
  std::unordered_set<beast::tcp_stream*> sessions;  // live connections, for shutdown()
};

awaitable<void> MetricsHttpServer::State::accept_loop(std::shared_ptr<State> self) {
  State& st = *self;
  for (;;) {
    auto [ec, socket] = co_await st.acceptor.async_accept(nothrow);
    if (st.stopped.load() || ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or buffers: wait a little instead of spinning on the error.
      st.log->warn("metrics http: accept failed: {}", ec.message());
      net::steady_timer backoff(co_await net::this_coro::executor, std::chrono::milliseconds(100));
      co_await backoff.async_wait(nothrow);
      if (st.stopped.load()) co_return;
      continue;
    }
    if (st.sessions.size() >= st.options.max_connections) {
      st.count_drop("connection_limit");
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    net::co_spawn(st.io, serve(self, std::move(socket)), log_on_exception(st.log, "connection"));
  }
}

awaitable<void> MetricsHttpServer::State::serve(std::shared_ptr<State> self, tcp::socket socket) {
  State& st = *self;
  beast::tcp_stream stream(std::move(socket));
  st.sessions.insert(&stream);
  struct Unregister {
    State& state;
    beast::tcp_stream* s;
    ~Unregister() { state.sessions.erase(s); }
  } unregister{st, &stream};

  // Room for one maximal request plus some of a pipelined next one.
  const MetricsHttpServerOptions& options = st.options;
  beast::flat_buffer buffer(options.max_header_bytes + options.max_body_bytes + 4096);
  for (;;) {
    if (st.stopped.load()) break;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    stream.expires_after(options.io_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow);
    (void)n;
    if (ec == beast::error::timeout) {
      st.count_drop("timeout");
      break;
    }
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof || st.stopped.load()) {
      break;
    }
    if (ec == http::error::partial_message) {  // the client closed mid-request
      st.count_drop("malformed");
      break;
    }
    if (ec) {
      st.count_drop("malformed");
      http::status status = http::status::bad_request;
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        status = http::status::request_header_fields_too_large;
      } else if (ec == http::error::body_limit) {
        status = http::status::payload_too_large;
      }
      co_await st.reject(stream, status);
      break;
    }
    if (!co_await st.respond(stream, parser.get())) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

// Sends the answer to a parsed request; false when the connection should be closed.
awaitable<bool> MetricsHttpServer::State::respond(beast::tcp_stream& stream,
                                                  const http::request<http::string_body>& req) {
  std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const bool head = req.method() == http::verb::head;
  const bool keep_alive = req.keep_alive();

  http::status status = http::status::ok;
  if (path != options.path) {
    status = http::status::not_found;
  } else if (!head && req.method() != http::verb::get) {
    status = http::status::method_not_allowed;
  }
  count_response(static_cast<unsigned>(status));

  std::string body;
  std::string_view content_type = "text/plain; charset=utf-8";
  if (status == http::status::ok) {
    body = collector.export_prometheus_metrics();
    content_type = kPrometheusContentType;
  } else if (status == http::status::not_found) {
    body = "not found; metrics are at " + options.path + "\n";
  } else {
    body = "method not allowed; use GET or HEAD\n";
  }

  boost::system::error_code ec;
  stream.expires_after(options.io_timeout);
  if (head) {
    http::response<http::empty_body> res{status, req.version()};
    res.set(http::field::server, "gquic");
    res.set(http::field::content_type, content_type);
    if (status == http::status::method_not_allowed) res.set(http::field::allow, "GET, HEAD");
    res.content_length(body.size());
    res.keep_alive(keep_alive);
    std::tie(ec, std::ignore) = co_await http::async_write(stream, res, nothrow);
  } else {
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::server, "gquic");
    res.set(http::field::content_type, content_type);
    if (status == http::status::method_not_allowed) res.set(http::field::allow, "GET, HEAD");
    res.body() = std::move(body);
    res.prepare_payload();
    res.keep_alive(keep_alive);
    std::tie(ec, std::ignore) = co_await http::async_write(stream, res, nothrow);
  }
  if (ec == beast::error::timeout) count_drop("timeout");
  co_return !ec && keep_alive;
}

awaitable<void> MetricsHttpServer::State::reject(beast::tcp_stream& stream, http::status status) {
  count_response(static_cast<unsigned>(status));
  http::response<http::string_body> res{status, 11};
  res.set(http::field::server, "gquic");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::string(http::obsolete_reason(status)) + "\n";
  res.prepare_payload();
  res.keep_alive(false);
  stream.expires_after(options.io_timeout);
  co_await http::async_write(stream, res, nothrow);
}

MetricsHttpServer::MetricsHttpServer(boost::asio::io_context& io, MetricsCollector& collector,
                                     SocketAddress listen, MetricsHttpServerOptions options)
    : state_(std::make_shared<State>(io, collector, listen, std::move(options))) {}

MetricsHttpServer::~MetricsHttpServer() { stop(); }

Result<void> MetricsHttpServer::start() {
  State& st = *state_;
  if (st.stopped.load()) return Errc::closed;
  if (st.started) return Errc::already_exists;
  const tcp::endpoint ep = to_endpoint(st.listen);
  boost::system::error_code ec;
  st.acceptor.open(ep.protocol(), ec);
  if (ec) return to_std(ec);
  st.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) st.acceptor.bind(ep, ec);
  if (!ec) st.acceptor.listen(net::socket_base::max_listen_connections, ec);
  tcp::endpoint local;
  if (!ec) local = st.acceptor.local_endpoint(ec);
  if (ec) {
    boost::system::error_code ignored;
    st.acceptor.close(ignored);
    return to_std(ec);
  }
  auto bound = SocketAddress::from_sockaddr(local.data(), static_cast<socklen_t>(local.size()));
  if (!bound) {
    boost::system::error_code ignored;
    st.acceptor.close(ignored);
    return bound.error();
  }
  st.bound = *bound;
  st.started = true;
  st.log->info("metrics http: serving {} on {}", st.options.path, st.bound.to_string());
  net::co_spawn(st.io, State::accept_loop(state_), log_on_exception(st.log, "acceptor"));
  return {};
}

SocketAddress MetricsHttpServer::local_address() const { return state_->bound; }

void MetricsHttpServer::stop() {
  if (state_->stopped.exchange(true)) return;
  net::dispatch(state_->io, [st = state_] { st->shutdown(); });
}

}  // namespace gquic::observability
