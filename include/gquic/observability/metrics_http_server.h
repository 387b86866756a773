#pragma once
// The Prometheus scrape endpoint: a small HTTP/1.1 server on Boost.Beast that serves
// `GET /metrics` (and `HEAD /metrics`) from a MetricsCollector.
//
// Design:
//   * one accept coroutine plus one coroutine per connection, all on the given io_context
//     (C++20 coroutines, OS errors awaited as values — core/asio.h); Beast lives only in
//     metrics_http_server.cpp, so this header stays light (pimpl, no Beast includes);
//   * each scrape calls MetricsCollector::export_prometheus_metrics() on the io_context thread,
//     so collect hooks run there; the collector must outlive the server;
//   * keep-alive as the client asks; responses: 200 (metrics), 404 (other paths),
//     405 with `Allow: GET, HEAD` (other methods on /metrics); a request Beast cannot parse
//     gets 400 (431/413 when the header/body is over its limit) and the connection is closed;
//   * a hostile or slow client cannot pin the server: the request header and body sizes are
//     bounded (Beast parser limits), every read and write has a deadline (a client that has not
//     sent a whole request within `io_timeout` is disconnected, idle keep-alive too), and at
//     most `max_connections` connections are served at once (more are closed on accept);
//   * the server counts its responses in `gquic_metrics_http_requests_total{code="..."}` and
//     the connections it drops in `gquic_metrics_http_connections_dropped_total{reason="..."}`
//     (connection_limit, timeout, malformed).
//
// Threading: construct, start() and local_address() on the io_context's thread or before it
// runs. stop() may be called from any thread: it hands the shutdown to the io_context, which
// closes the listener and every connection. The destructor calls stop(); pending coroutines
// keep the server's state alive until they finish, and they stop touching the collector once
// stop() was called. So the collector must outlive the server, and if the server is stopped
// from another thread while the io_context runs, the collector must also outlive that run.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/observability/metrics.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gquic::observability {

struct MetricsHttpServerOptions {
  std::size_t max_header_bytes = 8 * 1024;  // request line + headers
  std::size_t max_body_bytes = 4 * 1024;    // scrapes have no body; allow a small one
  std::chrono::milliseconds io_timeout{10'000};
  std::size_t max_connections = 64;
  std::string path = "/metrics";
};

class MetricsHttpServer {
 public:
  MetricsHttpServer(boost::asio::io_context& io, MetricsCollector& collector,
                    SocketAddress listen, MetricsHttpServerOptions options = {});
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Opens, binds and listens, then starts accepting. OS errors (EADDRINUSE, EACCES, ...) come
  // back as system-category error codes; calling start() twice is Errc::already_exists, after
  // stop() Errc::closed.
  Result<void> start();
  // The bound address (the actual port when started with port 0); 0.0.0.0:0 before start().
  SocketAddress local_address() const;
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gquic::observability
