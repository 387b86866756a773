#include "gquic/quic/perf_driver.h"

#include <algorithm>
#include <array>
#include <vector>

#include <boost/asio/post.hpp>

#include "gquic/core/clock.h"

namespace gquic::quic {

namespace net = boost::asio;
using asio::awaitable;

namespace {

constexpr std::size_t kChunk = 64 * 1024;

const std::vector<std::uint8_t>& payload() {
  static const std::vector<std::uint8_t> zeros(kChunk, 0x5a);
  return zeros;
}

// Sends `n` bytes of filler, then FIN.
awaitable<Result<void>> send_bytes(const QuicConnection& c, std::int64_t id, std::uint64_t n) {
  const auto& p = payload();
  while (n > 0) {
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, p.size()));
    n -= take;
    auto w = co_await c.write(id, std::span(p).first(take), n == 0);
    if (!w) co_return w;
    if (n == 0) co_return w;
  }
  co_return co_await c.write(id, {}, true);  // nothing to send: FIN alone
}

// Reads until FIN; returns the byte count.
awaitable<Result<std::uint64_t>> drain(const QuicConnection& c, std::int64_t id,
                                       std::vector<std::uint8_t>& buf) {
  std::uint64_t total = 0;
  for (;;) {
    auto r = co_await c.read(id, buf);
    if (!r) co_return r.error();
    total += r->size;
    if (r->fin) co_return total;
  }
}

// Spawned tasks are named coroutines taking their state by value (it lives in the frame),
// never capturing lambdas.
awaitable<void> upload_task(QuicConnection c, std::int64_t id, std::uint64_t n) {
  (void)co_await send_bytes(c, id, n);
}

awaitable<void> discard_task(QuicConnection c, std::int64_t id) {
  std::vector<std::uint8_t> sink(kChunk);
  (void)co_await drain(c, id, sink);
}

awaitable<void> serve_stream(QuicConnection c, std::int64_t id) {
  std::vector<std::uint8_t> buf(kChunk);
  std::array<std::uint8_t, 8> header{};
  std::size_t have = 0;
  bool fin = false;
  while (have < header.size()) {
    auto r = co_await c.read(id, std::span(header).subspan(have));
    if (!r) co_return;
    have += r->size;
    if (r->fin) {
      fin = true;
      break;
    }
  }
  if (have < header.size()) {
    c.core()->reset_stream(id, 1).has_value();  // truncated request
    co_return;
  }
  std::uint64_t want = 0;
  for (auto b : header) want = (want << 8) | b;
  // Discard the upload while sending the answer.
  if (!fin) {
    net::co_spawn(co_await net::this_coro::executor, discard_task(c, id), net::detached);
  }
  (void)co_await send_bytes(c, id, want);
}

awaitable<void> serve_connection(QuicConnection c) {
  auto ex = co_await net::this_coro::executor;
  for (;;) {
    auto id = co_await c.accept_stream();
    if (!id) co_return;
    net::co_spawn(ex, serve_stream(c, *id), net::detached);
  }
}

struct Request {
  std::uint64_t download = 0;
  std::uint64_t upload = 0;
  Result<std::uint64_t> received = Errc::closed;
  bool done = false;
};

awaitable<void> run_request(QuicConnection c, Request& rq, std::function<void()> on_done) {  // co_spawned
  auto id = co_await c.open_bidi_stream();
  if (!id) {
    rq.received = id.error();
  } else {
    std::array<std::uint8_t, 8> header{};
    for (int i = 0; i < 8; ++i) header[7 - i] = static_cast<std::uint8_t>(rq.download >> (8 * i));
    auto w = co_await c.write(*id, header, rq.upload == 0);
    if (!w) {
      rq.received = w.error();
    } else {
      if (rq.upload > 0) {
        net::co_spawn(co_await net::this_coro::executor, upload_task(c, *id, rq.upload),
                      net::detached);
      }
      std::vector<std::uint8_t> buf(kChunk);
      rq.received = co_await drain(c, *id, buf);
    }
  }
  rq.done = true;
  on_done();
}

}  // namespace

awaitable<void> perf_serve(EndpointDriver& server) {
  auto ex = co_await net::this_coro::executor;
  for (;;) {
    auto c = co_await server.accept();
    if (!c) co_return;
    net::co_spawn(ex, serve_connection(*c), net::detached);
  }
}

awaitable<Result<PerfResult>> perf_run(EndpointDriver& client,
                                       const std::shared_ptr<TlsContext>& tls,
                                       const ConnectionConfig& config, SocketAddress server,
                                       PerfRequest request) {
  auto c = co_await client.connect(tls, config, server);
  if (!c) co_return c.error();
  PerfResult result;
  result.handshake = c->handshake_time();
  const unsigned k = std::max(1u, request.streams);
  std::vector<Request> rqs(k);
  for (unsigned i = 0; i < k; ++i) {
    rqs[i].download = request.download / k + (i < request.download % k ? 1 : 0);
    rqs[i].upload = request.upload / k + (i < request.upload % k ? 1 : 0);
  }
  auto ex = co_await net::this_coro::executor;
  net::steady_timer all_done(ex, net::steady_timer::time_point::max());
  unsigned left = k;
  const auto start = SteadyClock::instance().now();
  for (auto& rq : rqs) {
    net::co_spawn(ex, run_request(*c, rq, [&] {
                    if (--left == 0) all_done.cancel();
                  }),
                  net::detached);
  }
  co_await all_done.async_wait(asio::nothrow);
  result.transfer = SteadyClock::instance().now() - start;
  std::error_code failure;
  for (const auto& rq : rqs) {
    if (!rq.received) {
      failure = rq.received.error();
      continue;
    }
    if (*rq.received != rq.download) failure = make_error_code(Errc::malformed);
    result.downloaded += *rq.received;
    result.uploaded += rq.upload;
  }
  if (auto* core = c->core()) result.stats = core->stats();
  c->close(0, "perf done");
  // Let the driver loop send the CONNECTION_CLOSE before the caller tears it down.
  for (int i = 0; i < 2; ++i) co_await net::post(ex, net::use_awaitable);
  if (failure) co_return failure;
  co_return result;
}

}  // namespace gquic::quic
