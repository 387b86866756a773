// The QUIC driver on real UDP sockets on 127.0.0.1: handshake, streams verified byte for
// byte, datagrams, close codes. Each test runs one io_context with a hang guard.

#include "gquic/quic/quic_driver.h"

#include "gquic/observability/metrics.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace gquic::quic {
namespace {

namespace net = boost::asio;
using asio::awaitable;
using namespace std::chrono_literals;

std::shared_ptr<TlsContext> server_tls() {
  static auto ctx = [] {
    SelfSignedConfig cfg;
    cfg.dns_names = {"localhost"};
    cfg.ips = {IpAddress::v4_loopback()};
    cfg.alpn = {"gquic-test"};
    return *TlsContext::server_self_signed(cfg);
  }();
  return ctx;
}

std::shared_ptr<TlsContext> client_tls() {
  ClientTlsConfig cfg;
  cfg.ca_pem = server_tls()->certificate_pem();  // verify against the generated certificate
  cfg.alpn = {"gquic-test"};
  return *TlsContext::client(cfg);
}

ConnectionConfig client_config() {
  ConnectionConfig c;
  c.server_name = "localhost";
  c.max_udp_payload = 1452;
  return c;
}

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

awaitable<Result<std::vector<std::uint8_t>>> read_all(const QuicConnection& c, std::int64_t id) {
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    auto r = co_await c.read(id, buf);
    if (!r) co_return r.error();
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->size));
    if (r->fin) co_return out;
  }
}

// Echo server: every stream the client opens is echoed back and finished.
awaitable<void> echo_stream(QuicConnection c, std::int64_t id) {
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    auto r = co_await c.read(id, buf);
    if (!r) co_return;
    if (!(co_await c.write(id, std::span(buf).first(r->size), r->fin))) co_return;
    if (r->fin) co_return;
  }
}

// Spawned tasks are named coroutines with by-value parameters: GCC 12 destroys a co_spawned
// lambda twice, so lambdas with non-trivial captures must not be spawned.
awaitable<void> echo_datagrams(QuicConnection c) {
  for (;;) {
    auto d = co_await c.recv_datagram();
    if (!d) co_return;
    (void)co_await c.send_datagram(*d);
  }
}

awaitable<void> echo_connection(QuicConnection c) {
  auto ex = co_await net::this_coro::executor;
  net::co_spawn(ex, echo_datagrams(c), net::detached);
  for (;;) {
    auto id = co_await c.accept_stream();
    if (!id) co_return;
    net::co_spawn(ex, echo_stream(c, *id), net::detached);
  }
}

awaitable<void> echo_server(EndpointDriver& server) {
  for (;;) {
    auto c = co_await server.accept();
    if (!c) co_return;
    net::co_spawn(co_await net::this_coro::executor, echo_connection(*c), net::detached);
  }
}

class QuicDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = EndpointDriver::server(io_, server_tls(), {},
                                    {.bind = SocketAddress(IpAddress::v4_loopback(), 0)});
    ASSERT_TRUE(s) << s.error().message();
    server_ = std::move(*s);
    net::co_spawn(io_, echo_server(*server_), net::detached);
  }

  // Runs `body` against a fresh client; fails on a hang.
  void run(std::function<awaitable<void>(const QuicConnection&)> body) {
    bool done = false;
    auto client = EndpointDriver::client(io_, {.bind = SocketAddress(IpAddress::v4_loopback(), 0)});
    ASSERT_TRUE(client);
    net::co_spawn(io_, [&]() -> awaitable<void> {
      const auto tls = client_tls();
      const auto cfg = client_config();
      auto c = co_await (*client)->connect(tls, cfg, server_->local_address());
      EXPECT_TRUE(c) << c.error().message();
      if (c) {
        EXPECT_EQ(c->core()->alpn(), "gquic-test");
        co_await body(*c);
        c->close(0, "bye");
      }
      done = true;
      io_.stop();
    }, net::detached);
    io_.run_for(60s);  // hang guard
    EXPECT_TRUE(done) << "the test body did not finish";
    (*client)->stop();
  }

  net::io_context io_;
  std::unique_ptr<EndpointDriver> server_;
};

awaitable<void> write_all(QuicConnection c, std::int64_t id, const std::vector<std::uint8_t>* data) {
  auto w = co_await c.write(id, *data, true);
  EXPECT_TRUE(w) << w.error().message();
}

awaitable<void> echo_check(const QuicConnection& c, std::size_t size, std::uint32_t seed) {
  auto data = pattern(size, seed);
  auto id = co_await c.open_bidi_stream();
  EXPECT_TRUE(id);
  if (!id) co_return;
  auto ex = co_await net::this_coro::executor;
  // Write concurrently with reading: the echo cannot finish before we read.
  net::co_spawn(ex, write_all(c, *id, &data), net::detached);
  auto got = co_await read_all(c, *id);
  EXPECT_TRUE(got) << got.error().message();
  if (got) {
    EXPECT_EQ(got->size(), data.size());
    EXPECT_TRUE(*got == data) << "echo differs";
  }
}

TEST_F(QuicDriverTest, HandshakeAndNoStreams) {
  run([](const QuicConnection& c) -> awaitable<void> {
    EXPECT_TRUE(c.core()->handshake_completed());
    EXPECT_GT(c.handshake_time().count(), 0);
    co_return;
  });
}

TEST_F(QuicDriverTest, OneStreamEcho4MiB) {
  run([](const QuicConnection& c) -> awaitable<void> { co_await echo_check(c, 4 << 20, 1); });
}

TEST_F(QuicDriverTest, ManyStreamsEcho) {
  run([](const QuicConnection& c) -> awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    int left = 16;
    net::steady_timer done(ex, net::steady_timer::time_point::max());
    for (int i = 0; i < 16; ++i) {
      net::co_spawn(ex, [&, i]() -> awaitable<void> {
        co_await echo_check(c, 200'000 + 1000 * i, 100 + i);
        if (--left == 0) done.cancel();
      }, net::detached);
    }
    co_await done.async_wait(asio::nothrow);
    EXPECT_EQ(left, 0);
  });
}

TEST_F(QuicDriverTest, EmptyStreamWithFin) {
  run([](const QuicConnection& c) -> awaitable<void> { co_await echo_check(c, 0, 7); });
}

TEST_F(QuicDriverTest, Datagrams) {
  run([](const QuicConnection& c) -> awaitable<void> {
    EXPECT_GT(c.core()->max_datagram_size(), 100u);
    for (int i = 0; i < 10; ++i) {
      auto d = pattern(100 + i, 50 + i);
      auto s = co_await c.send_datagram(d);
      EXPECT_TRUE(s) << s.error().message();
      // Loopback with idle sockets does not drop; a lost datagram would trip the hang guard.
      auto got = co_await c.recv_datagram();
      EXPECT_TRUE(got);
      if (got) {
        EXPECT_EQ(*got, d);
      }
    }
    std::vector<std::uint8_t> big(c.core()->max_datagram_size() + 1);
    auto r = co_await c.send_datagram(big);
    EXPECT_EQ(r.error(), Errc::message_too_large);
  });
}

TEST_F(QuicDriverTest, SeveralClientsAtOnce) {
  std::vector<std::unique_ptr<EndpointDriver>> clients;
  int done = 0;
  constexpr int kClients = 8;
  for (int i = 0; i < kClients; ++i) {
    auto cl = EndpointDriver::client(io_, {.bind = SocketAddress(IpAddress::v4_loopback(), 0)});
    ASSERT_TRUE(cl);
    clients.push_back(std::move(*cl));
    net::co_spawn(io_, [&, i, drv = clients.back().get()]() -> awaitable<void> {
      const auto tls = client_tls();
      const auto cfg = client_config();
      auto c = co_await drv->connect(tls, cfg, server_->local_address());
      EXPECT_TRUE(c);
      if (c) {
        co_await echo_check(*c, 100'000, 900 + i);
        c->close(0);
      }
      if (++done == kClients) io_.stop();
    }, net::detached);
  }
  io_.run_for(60s);
  EXPECT_EQ(done, kClients);
}

TEST_F(QuicDriverTest, LocalCloseEndsTheConnection) {
  std::error_code seen;
  run([&](const QuicConnection& c) -> awaitable<void> {
    c.close(42, "done");
    seen = co_await c.wait_closed();
    auto r = co_await c.open_bidi_stream();
    EXPECT_FALSE(r);
  });
  EXPECT_TRUE(seen);
}

TEST_F(QuicDriverTest, PrometheusMetricsPerConnection) {
  observability::MetricsCollector metrics;
  server_->register_metrics(metrics, "srv", Duration{0});
  std::string text;
  run([&](const QuicConnection& c) -> awaitable<void> {
    co_await echo_check(c, 300'000, 77);
    text = metrics.export_prometheus_metrics();  // while the connection is open
  });
  for (const char* want :
       {"gquic_quic_connections{endpoint=\"srv\"} 1",
        "gquic_quic_connection_smoothed_rtt_seconds{endpoint=\"srv\",connection=",
        "gquic_quic_connection_rtt_variance_seconds{endpoint=\"srv\",connection=",
        "gquic_quic_connection_cwnd_bytes{endpoint=\"srv\",connection=",
        "gquic_quic_connection_bytes_in_flight{endpoint=\"srv\",connection=",
        "gquic_quic_connection_packets_sent_total{endpoint=\"srv\",connection=",
        "gquic_quic_drops_total{endpoint=\"srv\",reason=\"malformed\"} 0"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

TEST(QuicDriverErrors, UntrustedCertificateFails) {
  net::io_context io;
  auto server = EndpointDriver::server(io, server_tls(), {},
                                       {.bind = SocketAddress(IpAddress::v4_loopback(), 0)});
  ASSERT_TRUE(server);
  auto client = EndpointDriver::client(io, {.bind = SocketAddress(IpAddress::v4_loopback(), 0)});
  ASSERT_TRUE(client);
  bool done = false;
  net::co_spawn(io, [&]() -> awaitable<void> {
    ClientTlsConfig cfg;  // system trust: the self-signed certificate is not in it
    cfg.alpn = {"gquic-test"};
    const auto tls = *TlsContext::client(cfg);
    const auto cc = client_config();
    auto c = co_await (*client)->connect(tls, cc, (*server)->local_address());
    EXPECT_FALSE(c);
    done = true;
    io.stop();
  }, net::detached);
  io.run_for(30s);
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace gquic::quic
