// Health checks against real TCP and HTTP servers on 127.0.0.1, with thresholds and flapping.
#include <chrono>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "gquic/quic/quic_driver.h"
#include "gquic/quic/tls_context.h"

namespace gquic::discovery {
namespace {

using namespace std::chrono_literals;
using test::AgentFixture;
using tcp = boost::asio::ip::tcp;

class HealthCheckTest : public AgentFixture {
 protected:
  Health health_of(const ServiceId& id, const std::string& address) {
    return on_agent([&] {
      const ServiceInfo* s = manager->registry().find(id);
      if (s == nullptr) return Health::unknown;
      for (const auto& e : s->endpoints) {
        if (e.address == address) return e.health;
      }
      return Health::unknown;
    });
  }
  // Waits (hang guard 20 s, no timing assertion) until the endpoint has health `want`.
  bool wait_for(const ServiceId& id, const std::string& address, Health want) {
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < give_up) {
      if (health_of(id, address) == want) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  ServiceInfo checked(const std::string& name, const std::string& address, HealthCheckKind kind,
                      Health initial) {
    ServiceInfo s;
    s.id = {name, "default", "v1"};
    s.endpoints = {Endpoint{.address = address, .health = initial}};
    s.health_check.kind = kind;
    s.health_check.interval = 50ms;
    s.health_check.timeout = 2s;
    s.health_check.healthy_threshold = 2;
    s.health_check.unhealthy_threshold = 2;
    return s;
  }
};

TEST_F(HealthCheckTest, TcpConnectUpAndDown) {
  boost::asio::io_context server_io;
  auto acceptor = std::make_unique<tcp::acceptor>(
      server_io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const std::string address = "127.0.0.1:" + std::to_string(acceptor->local_endpoint().port());
  const ServiceId id{"tcp-svc", "default", "v1"};
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(checked("tcp-svc", address, HealthCheckKind::tcp, Health::unknown))); }));
  EXPECT_TRUE(wait_for(id, address, Health::healthy));
  acceptor.reset();  // nothing listens any more: connection refused
  EXPECT_TRUE(wait_for(id, address, Health::unhealthy));
  // DNS stops serving it and watchers saw the transitions.
  EXPECT_GE(on_agent([this] { return manager->stats().registry.health_transitions_total; }), 2u);
}

TEST_F(HealthCheckTest, HttpPathAndExpectedStatus) {
  // The agent's own HTTP API is a real HTTP server: /v1/stats answers 200, /nope 404.
  const std::string address = http_addr.to_string();
  auto good = checked("http-good", address, HealthCheckKind::http, Health::unknown);
  good.health_check.path = "/v1/stats";
  auto bad = checked("http-bad", address, HealthCheckKind::http, Health::healthy);
  bad.health_check.path = "/nope";
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(good)); }));
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(bad)); }));
  EXPECT_TRUE(wait_for(good.id, address, Health::healthy));
  EXPECT_TRUE(wait_for(bad.id, address, Health::unhealthy));
  ServiceQuery q;
  q.name_pattern = "http-*";
  q.require_healthy = true;
  auto found = on_agent([&] { return manager->discover_services(q); });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id.name, "http-good");
}

TEST_F(HealthCheckTest, FlappingServerRespectsThresholds) {
  // A server that accepts every other connection and resets the rest; with thresholds of 2
  // the endpoint, healthy at start, must never be marked unhealthy by alternating results.
  boost::asio::io_context server_io;
  tcp::acceptor acceptor(server_io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const std::string address = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  const ServiceId id{"flappy", "default", "v1"};
  auto s = checked("flappy", address, HealthCheckKind::http, Health::healthy);
  s.health_check.path = "/";
  s.health_check.timeout = 15s;  // this thread answers each probe; a slow answer is no failure
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(s)); }));
  for (int i = 0; i < 12; ++i) {
    tcp::socket sock(server_io);
    boost::system::error_code ec;
    acceptor.accept(sock, ec);
    ASSERT_FALSE(ec);
    if (i % 2 == 0) {
      boost::asio::streambuf req;
      boost::asio::read_until(sock, req, "\r\n\r\n", ec);
      const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      boost::asio::write(sock, boost::asio::buffer(ok), ec);
    } else {
      const std::string err = "HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      boost::asio::streambuf req;
      boost::asio::read_until(sock, req, "\r\n\r\n", ec);
      boost::asio::write(sock, boost::asio::buffer(err), ec);
    }
    sock.close(ec);
    EXPECT_EQ(health_of(id, address), Health::healthy) << "probe " << i;
  }
  // Two failures in a row do turn it unhealthy.
  for (int i = 0; i < 2; ++i) {
    tcp::socket sock(server_io);
    boost::system::error_code ec;
    acceptor.accept(sock, ec);
    boost::asio::streambuf req;
    boost::asio::read_until(sock, req, "\r\n\r\n", ec);
    const std::string err = "HTTP/1.1 500 Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    boost::asio::write(sock, boost::asio::buffer(err), ec);
  }
  EXPECT_TRUE(wait_for(id, address, Health::unhealthy));
}

// A real QUIC server (gquic's driver, self-signed certificate, ALPN "h3") on its own thread:
// the QUIC check turns healthy; a check offering another ALPN fails its handshake and stays
// unhealthy; once the server is gone the first turns unhealthy too.
TEST_F(HealthCheckTest, QuicHandshakeWithAlpn) {
  boost::asio::io_context server_io;
  quic::SelfSignedConfig cert;
  cert.ips = {IpAddress::v4(0x7f000001)};
  cert.alpn = {"h3"};
  auto tls = quic::TlsContext::server_self_signed(cert);
  ASSERT_TRUE(tls);
  quic::DriverConfig dc;
  dc.bind = *SocketAddress::parse("127.0.0.1:0");
  auto server = quic::EndpointDriver::server(server_io, *tls, {}, dc);
  ASSERT_TRUE(server);
  const std::string address = (*server)->local_address().to_string();
  auto accepted = std::make_shared<std::atomic<int>>(0);
  boost::asio::co_spawn(
      server_io,
      [](quic::EndpointDriver* srv, std::shared_ptr<std::atomic<int>> n) -> asio::awaitable<void> {
        for (;;) {
          auto c = co_await srv->accept();
          if (!c) co_return;
          ++*n;
        }
      }(server->get(), accepted),
      boost::asio::detached);
  auto guard = boost::asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });

  auto good = checked("quic-good", address, HealthCheckKind::quic, Health::unknown);
  auto wrong = checked("quic-wrong-alpn", address, HealthCheckKind::quic, Health::unknown);
  wrong.health_check.alpn = "hq-interop";
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(good)); }));
  ASSERT_TRUE(on_agent([&] { return bool(manager->register_service(wrong)); }));
  EXPECT_TRUE(wait_for(good.id, address, Health::healthy));
  EXPECT_TRUE(wait_for(wrong.id, address, Health::unhealthy));
  EXPECT_GE(accepted->load(), 2);  // the healthy turn took two completed handshakes

  boost::asio::post(server_io, [&] {
    (*server)->stop();
    guard.reset();
  });
  server_thread.join();
  server->reset();
  EXPECT_TRUE(wait_for(good.id, address, Health::unhealthy));
}

}  // namespace
}  // namespace gquic::discovery
