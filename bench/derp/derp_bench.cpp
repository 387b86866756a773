// DERP relay throughput and latency against a raw TCP echo on the same loopback, in one run.
//
//   derp:  client A → relay → client B (SendPacket/RecvPacket frames), B counts; for latency
//          B sends each packet straight back through the relay to A (two relay hops per sample).
//   tcp:   client → echo server → client over one TCP connection with the same 5-byte framing;
//          the echo is the physical bound of "one hop in, one hop out" on this host.
// Both servers run on one thread, both clients on another. Throughput keeps `window` packets in
// flight (below the relay's queue bound, so nothing is dropped); latency sends one at a time.
// Output: packets/s, bytes/s, p50/p99 RTT for each, and derp/tcp ratios.
//
//   gquic_bench_derp [packets=200000] [size=1024] [window=64] [samples=5000]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "gquic/core/asio.h"
#include "gquic/derp/derp_server.h"
#include "gquic/derp/relay_client.h"

namespace net = boost::asio;
using gquic::asio::awaitable;
using gquic::asio::nothrow;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace gquic::derp;

namespace {

struct Params {
  std::size_t packets = 200'000;
  std::size_t size = 1024;
  std::size_t window = 64;
  std::size_t samples = 5'000;
};

struct Result {
  double pps = 0, bps = 0, p50_us = 0, p99_us = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// ---- raw TCP echo --------------------------------------------------------------------------

awaitable<void> echo_session(tcp::socket s) {
  std::vector<std::uint8_t> buf(256 * 1024);
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(net::buffer(buf), nothrow);
    if (ec) co_return;
    auto [wec, w] = co_await net::async_write(s, net::buffer(buf.data(), n), nothrow);
    if (wec) co_return;
  }
}

awaitable<void> echo_accept(tcp::acceptor& a) {
  for (;;) {
    auto [ec, s] = co_await a.async_accept(nothrow);
    if (ec) co_return;
    s.set_option(tcp::no_delay(true));
    net::co_spawn(a.get_executor(), echo_session(std::move(s)), net::detached);
  }
}

// Reads whole frames (5-byte header + payload) from the socket; returns how many arrived.
struct FrameCounter {
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(256 * 1024);
  std::size_t have = 0;
  std::size_t frame_len;
  explicit FrameCounter(std::size_t payload) : frame_len(payload + 5) {}
  awaitable<std::size_t> read(tcp::socket& s) {
    auto [ec, n] = co_await s.async_read_some(net::buffer(buf.data() + have, buf.size() - have), nothrow);
    if (ec) co_return 0;
    have += n;
    const std::size_t frames = have / frame_len;
    const std::size_t rest = have % frame_len;
    std::memmove(buf.data(), buf.data() + frames * frame_len, rest);
    have = rest;
    co_return frames;
  }
};

awaitable<Result> tcp_run(tcp::endpoint server, const Params& p) {
  auto ex = co_await net::this_coro::executor;
  tcp::socket s(ex);
  co_await s.async_connect(server, nothrow);
  s.set_option(tcp::no_delay(true));
  std::vector<std::uint8_t> frame;
  write_frame(frame, FrameType::send_packet, std::vector<std::uint8_t>(p.size, 0xcd));
  Result r;
  // Latency: one frame at a time.
  std::vector<double> rtts;
  FrameCounter counter(p.size);
  for (std::size_t i = 0; i < p.samples; ++i) {
    const auto t0 = Clock::now();
    co_await net::async_write(s, net::buffer(frame), nothrow);
    std::size_t got = 0;
    while (got < 1) got += co_await counter.read(s);
    rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  r.p50_us = percentile(rtts, 0.5);
  r.p99_us = percentile(rtts, 0.99);
  // Throughput: `window` frames in flight.
  std::vector<std::uint8_t> burst;
  for (std::size_t i = 0; i < p.window; ++i) burst.insert(burst.end(), frame.begin(), frame.end());
  const auto t0 = Clock::now();
  std::size_t sent = 0, received = 0;
  co_await net::async_write(s, net::buffer(burst), nothrow);
  sent = p.window;
  while (received < p.packets) {
    const std::size_t got = co_await counter.read(s);
    if (got == 0 && counter.have == 0) break;
    received += got;
    // Refill the window by what came back.
    const std::size_t more = std::min(got, p.packets > sent ? p.packets - sent : 0);
    if (more > 0) {
      co_await net::async_write(s, net::buffer(burst.data(), more * frame.size()), nothrow);
      sent += more;
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  r.pps = static_cast<double>(received) / secs;
  r.bps = r.pps * static_cast<double>(p.size);
  co_return r;
}

// ---- DERP ----------------------------------------------------------------------------------

awaitable<Result> derp_run(gquic::derp::http::RelayUrl url, const Params& p) {
  auto ex = co_await net::this_coro::executor;
  RelayConnectOptions o;
  auto ka = generate_key_pair(), kb = generate_key_pair();
  auto a = *co_await RelayConnection::connect(ex, url, ka, o);
  auto b = *co_await RelayConnection::connect(ex, url, kb, o);
  const std::vector<std::uint8_t> payload(p.size, 0xcd);
  Result r;
  auto next_packet = [](RelayConnection& c) -> awaitable<bool> {
    for (;;) {
      auto f = co_await c.read_frame();
      if (!f) co_return false;
      if (f->type == static_cast<std::uint8_t>(FrameType::recv_packet)) co_return true;
    }
  };
  // Latency: A → relay → B → relay → A, one at a time.
  std::vector<double> rtts;
  for (std::size_t i = 0; i < p.samples; ++i) {
    const auto t0 = Clock::now();
    co_await a->send_packet(kb.public_key, payload);
    co_await next_packet(*b);
    co_await b->send_packet(ka.public_key, payload);
    co_await next_packet(*a);
    rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  r.p50_us = percentile(rtts, 0.5);
  r.p99_us = percentile(rtts, 0.99);
  // Throughput: A sends with `window` in flight, B counts.
  std::size_t received = 0, sent = 0;
  net::steady_timer wake(ex, net::steady_timer::time_point::max());
  bool done = false;
  const auto t0 = Clock::now();
  net::co_spawn(ex, [&]() -> awaitable<void> {
    while (received < p.packets) {
      if (!co_await next_packet(*b)) break;
      ++received;
      wake.cancel();
    }
    done = true;
    wake.cancel();
  }, net::detached);
  while (sent < p.packets) {
    if (sent - received >= p.window) {
      co_await wake.async_wait(nothrow);
      continue;
    }
    ++sent;
    if (!co_await a->send_packet(kb.public_key, payload)) break;
  }
  while (!done) co_await wake.async_wait(nothrow);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  r.pps = static_cast<double>(received) / secs;
  r.bps = r.pps * static_cast<double>(p.size);
  a->close();
  b->close();
  co_return r;
}

}  // namespace

int main(int argc, char** argv) {
  Params p;
  if (argc > 1) p.packets = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) p.size = std::strtoull(argv[2], nullptr, 10);
  if (argc > 3) p.window = std::strtoull(argv[3], nullptr, 10);
  if (argc > 4) p.samples = std::strtoull(argv[4], nullptr, 10);
  if (p.size == 0 || p.size > kMaxPacketSize || p.window == 0) {
    std::fprintf(stderr, "usage: %s [packets] [size 1..65536] [window>0] [samples]\n", argv[0]);
    return 2;
  }

  // Servers: the relay and the echo, on one thread.
  net::io_context server_io;
  DerpServerConfig cfg;
  cfg.listen_addr = *gquic::SocketAddress::parse("127.0.0.1:0");
  cfg.dev = true;
  cfg.enable_persistence = false;
  cfg.queue_packets = std::max<std::size_t>(32, p.window * 2);
  auto relay = DerpServer::create(server_io, cfg);
  if (!relay || !(*relay)->start()) {
    std::fprintf(stderr, "cannot start the relay\n");
    return 1;
  }
  tcp::acceptor echo(server_io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  net::co_spawn(server_io, echo_accept(echo), net::detached);
  auto work = net::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });

  gquic::derp::http::RelayUrl url;
  url.tls = false;
  url.host = "127.0.0.1";
  url.port = (*relay)->local_address().port();

  net::io_context client_io;
  auto tcp_f = net::co_spawn(client_io, tcp_run(echo.local_endpoint(), p), net::use_future);
  client_io.run();
  const Result tcp_r = tcp_f.get();
  client_io.restart();
  auto derp_f = net::co_spawn(client_io, derp_run(url, p), net::use_future);
  client_io.run();
  const Result derp_r = derp_f.get();

  std::promise<DerpServerStats> stats;
  net::post(server_io, [&] {
    stats.set_value((*relay)->stats());
    (*relay)->stop();
    echo.close();
  });
  const auto s = stats.get_future().get();
  work.reset();
  server_thread.join();

  std::printf("derp relay vs raw TCP echo on 127.0.0.1: %zu packets of %zu bytes, window %zu, "
              "%zu latency samples\n", p.packets, p.size, p.window, p.samples);
  std::printf("%-6s %14s %14s %10s %10s\n", "", "packets/s", "MB/s", "p50 us", "p99 us");
  std::printf("%-6s %14.0f %14.1f %10.1f %10.1f\n", "tcp", tcp_r.pps, tcp_r.bps / 1e6, tcp_r.p50_us,
              tcp_r.p99_us);
  std::printf("%-6s %14.0f %14.1f %10.1f %10.1f\n", "derp", derp_r.pps, derp_r.bps / 1e6,
              derp_r.p50_us, derp_r.p99_us);
  std::printf("ratio derp/tcp: throughput %.2f (target >= 0.5), p50 latency %.2f\n",
              derp_r.pps / tcp_r.pps, derp_r.p50_us / tcp_r.p50_us);
  std::uint64_t drops = 0;
  for (auto d : s.core.drops) drops += d;
  std::printf("relay: %llu packets relayed, %llu dropped\n",
              static_cast<unsigned long long>(s.core.packets_relayed),
              static_cast<unsigned long long>(drops));
  return 0;
}
