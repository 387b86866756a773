// The gquic side of the gquic <-> quiche interop test (driven by quiche_interop_test.sh):
//
//   quiche_interop_gquic server <port-file> <cert-out.pem>
//       echo server on 127.0.0.1 (self-signed certificate written to cert-out.pem for the peer
//       to verify); streams and DATAGRAM frames are echoed; exits after its first connection
//       closed, 0 when the peer closed it with application code 0.
//   quiche_interop_gquic client <port> <ca.pem>
//       connects to an echo server, checks stream echoes of 1 KB, 1 MB and three of 64 KB all
//       at once, byte for byte, then datagram echoes; exit 0 when every check passed.
//
// ALPN "gquic-echo". A 45 s hang guard stops the io_context; a hang is exit code 2.

#include "gquic/quic/quic_driver.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>

namespace {

namespace net = boost::asio;
using gquic::Result;
using gquic::asio::awaitable;
using namespace gquic::quic;
using namespace std::chrono_literals;

constexpr const char* kAlpn = "gquic-echo";

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

ConnectionConfig connection_config() {
  ConnectionConfig c;
  c.idle_timeout = 20s;
  c.max_udp_payload = 1350;
  c.max_datagram_frame_size = 1200;
  c.stream_receive_window = 1 << 20;
  c.connection_receive_window = 4 << 20;
  return c;
}

// ---- server ----------------------------------------------------------------------------

struct ServerTally {
  int streams = 0;
  int datagrams = 0;
  std::uint64_t bytes = 0;
};

awaitable<void> echo_stream(QuicConnection c, std::int64_t id, ServerTally* tally) {
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    auto r = co_await c.read(id, buf);
    if (!r) co_return;
    tally->bytes += r->size;
    if (!(co_await c.write(id, std::span(buf).first(r->size), r->fin))) co_return;
    if (r->fin) co_return;
  }
}

awaitable<void> echo_datagrams(QuicConnection c, ServerTally* tally) {
  for (;;) {
    auto d = co_await c.recv_datagram();
    if (!d) co_return;
    ++tally->datagrams;
    (void)co_await c.send_datagram(*d);
  }
}

awaitable<void> echo_streams(QuicConnection c, ServerTally* tally) {
  auto ex = co_await net::this_coro::executor;
  for (;;) {
    auto id = co_await c.accept_stream();
    if (!id) co_return;
    ++tally->streams;
    net::co_spawn(ex, echo_stream(c, *id, tally), net::detached);
  }
}

awaitable<void> serve_one(EndpointDriver& server, net::io_context& io, int* rc) {
  ServerTally tally;
  auto c = co_await server.accept();
  if (!c) {
    std::fprintf(stderr, "gquic server: accept failed: %s\n", c.error().message().c_str());
    io.stop();
    co_return;
  }
  std::printf("gquic server: accepted a connection, ALPN %s, QUIC version 0x%08x\n",
              std::string(c->core()->alpn()).c_str(), c->core()->version());
  auto ex = co_await net::this_coro::executor;
  net::co_spawn(ex, echo_datagrams(*c, &tally), net::detached);
  net::co_spawn(ex, echo_streams(*c, &tally), net::detached);
  auto why = co_await c->wait_closed();
  std::printf("gquic server: connection closed (%s) after %d streams (%llu bytes) and %d "
              "datagrams echoed\n",
              why.message().c_str(), tally.streams, static_cast<unsigned long long>(tally.bytes),
              tally.datagrams);
  *rc = tally.streams > 0 ? 0 : 1;
  io.stop();
}

int run_server(const std::string& port_file, const std::string& cert_out) {
  SelfSignedConfig cfg;
  cfg.dns_names = {"localhost"};
  cfg.ips = {gquic::IpAddress::v4_loopback()};
  cfg.alpn = {kAlpn};
  std::string why;
  auto tls = TlsContext::server_self_signed(cfg, &why);
  if (!tls) {
    std::fprintf(stderr, "gquic server: TLS setup failed: %s\n", why.c_str());
    return 1;
  }
  std::ofstream(cert_out) << (*tls)->certificate_pem();
  net::io_context io;
  EndpointConfig ec;
  ec.connection = connection_config();
  auto server = EndpointDriver::server(io, *tls, ec,
                                       {.bind = gquic::SocketAddress(gquic::IpAddress::v4_loopback(), 0)});
  if (!server) {
    std::fprintf(stderr, "gquic server: %s\n", server.error().message().c_str());
    return 1;
  }
  {
    std::ofstream(port_file + ".tmp") << (*server)->local_address().port() << "\n";
  }
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  std::printf("gquic server: listening on 127.0.0.1:%u\n", (*server)->local_address().port());
  std::fflush(stdout);
  int rc = 2;
  net::co_spawn(io, serve_one(**server, io, &rc), net::detached);
  io.run_for(45s);  // hang guard
  if (rc == 2) std::fprintf(stderr, "gquic server: hang guard (45 s) expired\n");
  (*server)->stop();
  return rc;
}

// ---- client ----------------------------------------------------------------------------

struct ClientState {
  int pending = 0;
  int failures = 0;
  net::steady_timer* done = nullptr;
};

awaitable<void> write_all(QuicConnection c, std::int64_t id, const std::vector<std::uint8_t>* data) {
  auto w = co_await c.write(id, *data, true);
  if (!w) std::fprintf(stderr, "gquic client: write failed: %s\n", w.error().message().c_str());
}

// One stream: writes `size` bytes with fin while reading the echo (the peer echoes as it
// reads, so writing everything first could stall on flow control), then compares.
awaitable<void> echo_check(QuicConnection c, std::size_t size, std::uint32_t seed, ClientState* st) {
  auto data = pattern(size, seed);
  bool ok = false;
  auto id = co_await c.open_bidi_stream();
  if (id) {
    net::co_spawn(co_await net::this_coro::executor, write_all(c, *id, &data), net::detached);
    std::vector<std::uint8_t> got;
    std::vector<std::uint8_t> buf(64 * 1024);
    for (;;) {
      auto r = co_await c.read(*id, buf);
      if (!r) {
        std::fprintf(stderr, "gquic client: read failed: %s\n", r.error().message().c_str());
        break;
      }
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->size));
      if (r->fin) {
        ok = got == data;
        if (!ok) std::fprintf(stderr, "gquic client: stream %lld: echo of %zu bytes differs (got %zu)\n",
                              static_cast<long long>(*id), size, got.size());
        break;
      }
    }
  }
  if (!ok) ++st->failures;
  if (--st->pending == 0) st->done->cancel();
}

using DatagramSet = std::set<std::vector<std::uint8_t>>;

// Receives datagram echoes until the connection closes, striking each off `want`.
awaitable<void> collect_datagrams(QuicConnection c, std::shared_ptr<DatagramSet> want) {
  for (;;) {
    auto got = co_await c.recv_datagram();
    if (!got) co_return;
    want->erase(*got);
  }
}

awaitable<bool> datagram_checks(const QuicConnection& c) {
  auto ex = co_await net::this_coro::executor;
  auto want = std::make_shared<DatagramSet>();
  constexpr std::size_t kCount = 8;
  for (std::size_t i = 0; i < kCount; ++i) {
    want->insert(pattern(100 + 50 * i, 500 + static_cast<std::uint32_t>(i)));
  }
  net::co_spawn(ex, collect_datagrams(c, want), net::detached);
  // Resend what is missing every 200 ms (datagrams are unreliable).
  net::steady_timer tick(ex);
  for (int round = 0; round < 50 && !want->empty(); ++round) {
    const DatagramSet missing = *want;
    for (const auto& d : missing) {
      auto s = co_await c.send_datagram(d);
      if (!s) {
        std::fprintf(stderr, "gquic client: send_datagram: %s\n", s.error().message().c_str());
        co_return false;
      }
    }
    tick.expires_after(200ms);
    co_await tick.async_wait(gquic::asio::nothrow);
  }
  std::printf("gquic client: %zu of %zu datagram echoes verified\n", kCount - want->size(), kCount);
  co_return want->empty();
}

awaitable<void> client_main(EndpointDriver& drv, std::shared_ptr<TlsContext> tls,
                            gquic::SocketAddress remote, net::io_context& io, int* rc) {
  auto cfg = connection_config();
  cfg.server_name = "localhost";
  auto c = co_await drv.connect(tls, cfg, remote);
  if (!c) {
    std::fprintf(stderr, "gquic client: connect failed: %s\n", c.error().message().c_str());
    *rc = 1;
    io.stop();
    co_return;
  }
  const auto retries = c->core()->stats().retries_received;
  std::printf("gquic client: connected, ALPN %s, QUIC version 0x%08x, %llu Retry packet(s) "
              "accepted\n",
              std::string(c->core()->alpn()).c_str(), c->core()->version(),
              static_cast<unsigned long long>(retries));
  auto ex = co_await net::this_coro::executor;
  net::steady_timer done(ex, net::steady_timer::time_point::max());
  ClientState st{.done = &done};
  const std::vector<std::size_t> sizes = {1024, 1 << 20, 65536, 65536, 65536};
  st.pending = static_cast<int>(sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    net::co_spawn(ex, echo_check(*c, sizes[i], 10 + static_cast<std::uint32_t>(i), &st), net::detached);
  }
  co_await done.async_wait(gquic::asio::nothrow);
  std::printf("gquic client: %d of %zu concurrent stream echoes verified (1024,1048576,65536x3 bytes)\n",
              static_cast<int>(sizes.size()) - st.failures, sizes.size());
  bool dg_ok = false;
  if (c->core()->max_datagram_size() == 0) {
    std::fprintf(stderr, "gquic client: the peer does not accept DATAGRAM frames\n");
  } else {
    dg_ok = co_await datagram_checks(*c);
  }
  c->close(0, "done");
  (void)co_await c->wait_closed();
  // The quiche server always validates addresses with a Retry: gquic must have followed it.
  if (retries == 0) std::fprintf(stderr, "gquic client: expected a Retry from the quiche server\n");
  *rc = (st.failures == 0 && dg_ok && retries > 0) ? 0 : 1;
  io.stop();
}

int run_client(std::uint16_t port, const std::string& ca_file) {
  ClientTlsConfig cfg;
  cfg.ca_file = ca_file;
  cfg.alpn = {kAlpn};
  std::string why;
  auto tls = TlsContext::client(cfg, &why);
  if (!tls) {
    std::fprintf(stderr, "gquic client: TLS setup failed: %s\n", why.c_str());
    return 1;
  }
  net::io_context io;
  auto drv = EndpointDriver::client(io, {.bind = gquic::SocketAddress(gquic::IpAddress::v4_loopback(), 0)});
  if (!drv) {
    std::fprintf(stderr, "gquic client: %s\n", drv.error().message().c_str());
    return 1;
  }
  int rc = 2;
  net::co_spawn(io,
                client_main(**drv, *tls, gquic::SocketAddress(gquic::IpAddress::v4_loopback(), port),
                            io, &rc),
                net::detached);
  io.run_for(45s);  // hang guard
  if (rc == 2) std::fprintf(stderr, "gquic client: hang guard (45 s) expired\n");
  (*drv)->stop();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "server" && argc == 4) return run_server(argv[2], argv[3]);
  if (mode == "client" && argc == 4) {
    return run_client(static_cast<std::uint16_t>(std::stoi(argv[2])), argv[3]);
  }
  std::fprintf(stderr, "usage: %s server <port-file> <cert-out.pem> | client <port> <ca.pem>\n",
               argv[0]);
  return 64;
}
