// The DERP relay over real loopback sockets: gquic's RelayConnection as the client, plain (dev)
// and TLS, STUN, key persistence, health endpoints and the slow or malformed clients it refuses.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <boost/asio/post.hpp>

#include <boost/asio/ip/udp.hpp>

#include "derp_test_util.h"
#include "gquic/derp/key_file.h"
#include "gquic/derp/stun.h"
#include "gquic/observability/metrics.h"

namespace gquic::derp::testing {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::unique_ptr<DerpServer> start(net::io_context& io, DerpServerConfig cfg,
                                  observability::MetricsCollector* m = nullptr) {
  auto s = DerpServer::create(io, std::move(cfg), m);
  EXPECT_TRUE(s) << s.error().message();
  if (!s) return nullptr;
  auto r = (*s)->start();
  EXPECT_TRUE(r) << r.error().message();
  return std::move(*s);
}

awaitable<std::shared_ptr<RelayConnection>> dial(const http::RelayUrl& url, const KeyPair& key,
                                                 const RelayConnectOptions& o) {
  auto ex = co_await net::this_coro::executor;
  auto c = co_await RelayConnection::connect(ex, url, key, o);
  EXPECT_TRUE(c) << c.error().message();
  co_return c ? *c : nullptr;
}

// Receives RecvPacket frames until one arrives; returns (source, packet).
awaitable<std::optional<std::pair<Key, Bytes>>> recv_packet(RelayConnection& c) {
  auto f = co_await read_until(c, FrameType::recv_packet);
  if (!f) co_return std::nullopt;
  auto p = parse_keyed_packet(f->payload);
  if (!p) co_return std::nullopt;
  co_return std::make_pair(p->key, Bytes(p->packet.begin(), p->packet.end()));
}

TEST(DerpServerIntegration, ThreeClientsExchangePackets) {
  net::io_context io;
  observability::MetricsCollector metrics;
  auto server = start(io, dev_config(), &metrics);
  ASSERT_TRUE(server);
  run(io, [&]() -> awaitable<void> {
    const auto url = url_of(*server);
    auto a = co_await dial(url, generate_key_pair(), RelayConnectOptions());
    auto b = co_await dial(url, generate_key_pair(), RelayConnectOptions());
    auto c = co_await dial(url, generate_key_pair(), RelayConnectOptions());
    CO_ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->server_key(), server->public_key());
    const Bytes p1 = {1, 2, 3}, p2 = {4, 5}, p3 = {6};
    CO_ASSERT_TRUE(co_await a->send_packet(b->public_key(), p1));
    CO_ASSERT_TRUE(co_await b->send_packet(c->public_key(), p2));
    CO_ASSERT_TRUE(co_await c->send_packet(a->public_key(), p3));
    auto at_b = co_await recv_packet(*b);
    auto at_c = co_await recv_packet(*c);
    auto at_a = co_await recv_packet(*a);
    CO_ASSERT_TRUE(at_a && at_b && at_c);
    EXPECT_EQ(at_b->first, a->public_key());
    EXPECT_EQ(at_b->second, p1);
    EXPECT_EQ(at_c->first, b->public_key());
    EXPECT_EQ(at_c->second, p2);
    EXPECT_EQ(at_a->first, c->public_key());
    EXPECT_EQ(at_a->second, p3);
    // Ping is answered with the same 8 bytes.
    const Bytes ping(8, 0x5a);
    CO_ASSERT_TRUE(co_await a->send_frame(FrameType::ping, ping));
    auto pong = co_await read_until(*a, FrameType::pong);
    CO_ASSERT_TRUE(pong);
    EXPECT_EQ(pong->payload, ping);
    EXPECT_EQ(server->stats().core.clients, 3u);
    EXPECT_EQ(server->stats().core.packets_relayed, 3u);
  }, [&] { server->stop(); });
  // Metrics are published by the tick loop; the export carries the relay's families.
  const std::string text = metrics.export_prometheus_metrics();
  EXPECT_NE(text.find("gquic_derp_packets_relayed_total"), std::string::npos);
  EXPECT_NE(text.find("gquic_derp_drops_total{reason=\"queue_full\"}"), std::string::npos);
}

TEST(DerpServerIntegration, PeerGoneOnDisconnect) {
  net::io_context io;
  auto server = start(io, dev_config());
  ASSERT_TRUE(server);
  run(io, [&]() -> awaitable<void> {
    const auto url = url_of(*server);
    auto a = co_await dial(url, generate_key_pair(), RelayConnectOptions());
    auto b = co_await dial(url, generate_key_pair(), RelayConnectOptions());
    CO_ASSERT_TRUE(a && b);
    const Bytes p1(1, 9);
    CO_ASSERT_TRUE(co_await a->send_packet(b->public_key(), p1));
    CO_ASSERT_TRUE(co_await recv_packet(*b));
    const Key gone = a->public_key();
    a->close();
    auto f = co_await read_until(*b, FrameType::peer_gone);
    CO_ASSERT_TRUE(f);
    auto pg = parse_peer_gone(f->payload);
    CO_ASSERT_TRUE(pg);
    EXPECT_EQ(pg->key, gone);
    EXPECT_EQ(pg->reason, PeerGoneReason::disconnected);
  }, [&] { server->stop(); });
}

TEST(DerpServerIntegration, RestartKeepsTheKey) {
  TempDir dir;
  auto cfg = dev_config();
  cfg.enable_persistence = true;
  cfg.state_dir = dir.path;
  Key first{};
  {
    net::io_context io;
    auto server = start(io, cfg);
    ASSERT_TRUE(server);
    first = server->public_key();
    run(io, [&]() -> awaitable<void> {
      auto a = co_await dial(url_of(*server), generate_key_pair(), RelayConnectOptions());
      CO_ASSERT_TRUE(a);
      EXPECT_EQ(a->server_key(), first);
    }, [&] { server->stop(); });
  }
  EXPECT_EQ(std::filesystem::status(dir.path / "derp.key").permissions() &
                std::filesystem::perms::group_all,
            std::filesystem::perms::none);
  net::io_context io;
  auto again = start(io, cfg);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), first);
  run(io, [&]() -> awaitable<void> {
    auto a = co_await dial(url_of(*again), generate_key_pair(), RelayConnectOptions());
    CO_ASSERT_TRUE(a);
    EXPECT_EQ(a->server_key(), first);
  }, [&] { again->stop(); });
  // A damaged key file is refused, not replaced.
  { std::ofstream(dir.path / "derp.key") << "not a key\n"; }
  net::io_context io2;
  EXPECT_FALSE(DerpServer::create(io2, cfg));
}

TEST(DerpServerIntegration, StunAnswersWithTheMappedAddress) {
  net::io_context io;
  auto cfg = dev_config();
  cfg.stun_addr = *SocketAddress::parse("127.0.0.1:0");
  auto server = start(io, cfg);
  ASSERT_TRUE(server);
  ASSERT_TRUE(server->stun_address());
  run(io, [&]() -> awaitable<void> {
    net::ip::udp::socket sock(io, net::ip::udp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const auto local = sock.local_endpoint();
    const net::ip::udp::endpoint to(net::ip::make_address("127.0.0.1"), server->stun_address()->port());
    // Garbage first: counted, not answered.
    const Bytes junk(3, 1);
    co_await sock.async_send_to(net::buffer(junk), to, asio::nothrow);
    stun::TransactionId txid{};
    txid[0] = 42;
    const auto req = stun::binding_request(txid);
    co_await sock.async_send_to(net::buffer(req), to, asio::nothrow);
    Bytes buf(1500);
    net::ip::udp::endpoint from;
    auto [ec, n] = co_await sock.async_receive_from(net::buffer(buf), from, asio::nothrow);
    CO_ASSERT_TRUE(!ec);
    auto resp = stun::parse_binding_response(std::span(buf).first(n));
    CO_ASSERT_TRUE(resp);
    EXPECT_EQ(resp->txid, txid);
    EXPECT_EQ(resp->mapped.to_string(), "127.0.0.1:" + std::to_string(local.port()));
    EXPECT_EQ(server->stats().stun_requests, 1u);
    EXPECT_EQ(server->stats().drops_by(DriverDrop::stun_malformed), 1u);
  }, [&] { server->stop(); });
}

// A self-signed certificate for 127.0.0.1 made with the openssl command.
bool make_cert(const std::filesystem::path& dir) {
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                          "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
                          "-keyout " + (dir / "key.pem").string() + " -out " +
                          (dir / "cert.pem").string() + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

TEST(DerpServerIntegration, TlsWithAVerifiedSelfSignedCertificate) {
  TempDir dir;
  if (!make_cert(dir.path)) GTEST_SKIP() << "SKIPPED LOUDLY: the openssl command is not available";
  net::io_context io;
  auto cfg = dev_config();
  cfg.dev = false;
  cfg.tls_cert = (dir.path / "cert.pem").string();
  cfg.tls_key = (dir.path / "key.pem").string();
  auto server = start(io, cfg);
  ASSERT_TRUE(server);
  run(io, [&]() -> awaitable<void> {
    const auto url = url_of(*server, /*tls=*/true);
    RelayConnectOptions verified;
    verified.ca_file = cfg.tls_cert;
    auto a = co_await dial(url, generate_key_pair(), verified);
    RelayConnectOptions insecure;
    insecure.insecure_skip_verify = true;
    auto b = co_await dial(url, generate_key_pair(), insecure);
    CO_ASSERT_TRUE(a && b);
    const Bytes p1(2, 7);
    CO_ASSERT_TRUE(co_await a->send_packet(b->public_key(), p1));
    auto got = co_await recv_packet(*b);
    CO_ASSERT_TRUE(got);
    EXPECT_EQ(got->second, p1);
    // Without the CA the certificate is refused.
    auto refused = co_await RelayConnection::connect(io.get_executor(), url, generate_key_pair(), RelayConnectOptions());
    EXPECT_FALSE(refused);
    // Plain HTTP against the TLS port fails the TLS handshake and is counted.
    auto plain = url;
    plain.tls = false;
    auto p = co_await RelayConnection::connect(io.get_executor(), plain, generate_key_pair(), RelayConnectOptions());
    EXPECT_FALSE(p);
    EXPECT_GE(server->stats().drops_by(DriverDrop::tls_handshake), 1u);
    auto probe = co_await relay_http_get(io.get_executor(), url, "/derp/probe", verified);
    CO_ASSERT_TRUE(probe);
    EXPECT_EQ(*probe, 200);
  }, [&] { server->stop(); });
}

TEST(DerpServerIntegration, DevModeOnlyOnLoopbackAndTlsOtherwiseRequired) {
  net::io_context io;
  auto cfg = dev_config();
  cfg.listen_addr = *SocketAddress::parse("0.0.0.0:0");
  EXPECT_FALSE(DerpServer::create(io, cfg));
  cfg.dev = false;
  EXPECT_FALSE(DerpServer::create(io, cfg));  // no certificate
  auto mesh = dev_config();
  mesh.mesh_peers = {"http://127.0.0.1:1"};
  EXPECT_FALSE(DerpServer::create(io, mesh));  // mesh peers need a mesh key
}

// A blocking raw TCP exchange: sends `request`, returns everything until EOF.
std::string raw_exchange(std::uint16_t port, const std::string& request, bool until_eof = true) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    if (!request.empty()) (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (!until_eof) break;
    }
  }
  ::close(fd);
  return out;
}

TEST(DerpServerIntegration, HealthEndpointsAndBadRequests) {
  net::io_context io;
  auto cfg = dev_config();
  cfg.header_timeout = std::chrono::milliseconds(300);
  cfg.max_header_bytes = 1024;
  auto server = start(io, cfg);
  ASSERT_TRUE(server);
  const auto port = server->local_address().port();
  std::thread io_thread([&] { io.run(); });
  EXPECT_TRUE(raw_exchange(port, "GET /derp/probe HTTP/1.1\r\nHost: x\r\n\r\n")
                  .starts_with("HTTP/1.1 200 "));
  const auto r204 = raw_exchange(port, "GET /generate_204 HTTP/1.1\r\nX-Tailscale-Challenge: c1\r\n\r\n");
  EXPECT_TRUE(r204.starts_with("HTTP/1.1 204 "));
  EXPECT_NE(r204.find("X-Tailscale-Response: response c1"), std::string::npos);
  EXPECT_TRUE(raw_exchange(port, "GET /derp HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 426 "));
  EXPECT_TRUE(raw_exchange(port, "GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(raw_exchange(port, "BLAH\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(raw_exchange(port, "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'))
                  .starts_with("HTTP/1.1 431 "));
  // Slowloris: a partial head is cut off at the deadline.
  EXPECT_EQ(raw_exchange(port, "GET /derp HTTP/1.1\r\nHost: x\r\n"), "");
  // Fast start: no 101, the frames (ServerKey first) come at once.
  const auto fast = raw_exchange(port, "GET /derp HTTP/1.1\r\nUpgrade: DERP\r\nDerp-Fast-Start: 1\r\n\r\n",
                                 /*until_eof=*/false);
  ASSERT_GE(fast.size(), 5u);
  EXPECT_EQ(fast[0], '\x01');
  net::post(io, [&] {
    const auto s = server->stats();
    EXPECT_EQ(s.drops_by(DriverDrop::header_timeout), 1u);
    EXPECT_EQ(s.drops_by(DriverDrop::bad_request), 1u);
    EXPECT_EQ(s.drops_by(DriverDrop::header_too_large), 1u);
    // The fast-start connection never sent a ClientInfo: closed at the handshake deadline.
    server->stop();
  });
  io_thread.join();
}

}  // namespace
}  // namespace gquic::derp::testing
