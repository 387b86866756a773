// quic::Endpoint: several clients routed by connection ID through one server endpoint, in
// simulated time with no network loss.

#include "gquic/quic/endpoint.h"

#include <gtest/gtest.h>

#include <set>

#include "unit/quic/quic_pair.h"

namespace gquic::quic {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<TlsContext> server_tls() {
  static auto ctx = [] {
    SelfSignedConfig cfg;
    cfg.alpn = {"gquic-test"};
    return *TlsContext::server_self_signed(cfg);
  }();
  return ctx;
}

Path client_path(int i) {
  return {SocketAddress(IpAddress::v4(0x0a000100 + static_cast<std::uint32_t>(i)), 5000),
          SocketAddress(IpAddress::v4(0x0a000002), 443)};
}

struct World {
  explicit World(int n_clients) : ep(server_tls(), make_config()) {
    ClientTlsConfig tc;
    tc.insecure_skip_verify = true;
    tc.alpn = {"gquic-test"};
    auto tls = *TlsContext::client(tc);
    for (int i = 0; i < n_clients; ++i) {
      ConnectionConfig cc;
      cc.random = test::seeded_random(1000 + static_cast<std::uint64_t>(i));
      cc.server_name = "localhost";
      this->clients.push_back(std::move(*Connection::connect(tls, cc, client_path(i), now)));
    }
  }
  static EndpointConfig make_config() {
    EndpointConfig c;
    c.connection.random = test::seeded_random(7);
    c.connection.idle_timeout = 10s;
    return c;
  }

  // Zero-delay exchange: everything sent is delivered at once; time jumps to deadlines.
  bool step() {
    std::vector<std::uint8_t> buf(1500);
    bool moved = false;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      while (auto t = clients[i]->poll_transmit(now, buf)) {
        Path sp{client_path(static_cast<int>(i)).remote, client_path(static_cast<int>(i)).local};
        (void)ep.handle_datagram(now, sp, std::span(buf).first(t->size));
        moved = true;
      }
    }
    while (auto t = ep.poll_transmit(now, buf)) {
      for (std::size_t i = 0; i < clients.size(); ++i) {
        if (client_path(static_cast<int>(i)).local == t->destination) {
          (void)clients[i]->handle_datagram(now, client_path(static_cast<int>(i)),
                                            std::span(buf).first(t->size));
        }
      }
      moved = true;
    }
    while (auto e = ep.poll_event()) events.push_back(std::move(*e));
    if (moved) return true;
    std::optional<TimePoint> next = ep.next_deadline();
    for (auto& c : clients) {
      auto d = c->next_deadline();
      if (d && (!next || *d < *next)) next = d;
    }
    if (!next) return false;
    now = std::max(now, *next);
    ep.handle_timeout(now);
    for (auto& c : clients) {
      if (c->next_deadline() && *c->next_deadline() <= now) c->handle_timeout(now);
    }
    return true;
  }
  bool run_until(const std::function<bool()>& pred) {
    for (int i = 0; i < 100'000; ++i) {
      if (pred()) return true;
      if (!step()) break;
    }
    return pred();
  }

  TimePoint now{1000s};
  Endpoint ep;
  std::vector<std::unique_ptr<Connection>> clients;
  std::vector<EndpointEvent> events;
};

TEST(QuicEndpoint, AcceptsAndRoutesSeveralClients) {
  World w(3);
  ASSERT_TRUE(w.run_until([&] {
    return std::all_of(w.clients.begin(), w.clients.end(),
                       [](auto& c) { return c->handshake_completed(); });
  }));
  EXPECT_EQ(w.ep.connection_count(), 3u);
  // Each client sends a datagram; each lands on a different server connection.
  for (std::size_t i = 0; i < w.clients.size(); ++i) {
    ASSERT_TRUE(w.clients[i]->send_datagram(std::vector<std::uint8_t>{std::uint8_t(i)}));
  }
  std::map<std::uint64_t, std::uint8_t> got;
  ASSERT_TRUE(w.run_until([&] {
    for (auto& e : w.events) {
      if (e.event.kind == EventKind::datagram_received) got[e.connection] = e.event.data.at(0);
    }
    return got.size() == 3;
  }));
  std::set<std::uint8_t> payloads;
  for (auto& [h, b] : got) {
    EXPECT_NE(w.ep.connection(h), nullptr);
    payloads.insert(b);
  }
  EXPECT_EQ(payloads.size(), 3u);
}

TEST(QuicEndpoint, DropsGarbageAndUnknownConnections) {
  World w(0);
  const Path p = {client_path(0).remote, client_path(0).local};
  EXPECT_FALSE(w.ep.handle_datagram(w.now, p, {}));
  EXPECT_EQ(w.ep.drops(DropReason::malformed), 1u);
  // A short-header packet for a connection ID nobody owns.
  std::vector<std::uint8_t> short_pkt = test::pattern(100, 3);
  short_pkt[0] = 0x40;
  EXPECT_FALSE(w.ep.handle_datagram(w.now, p, short_pkt));
  EXPECT_EQ(w.ep.drops(DropReason::unknown_connection), 1u);
  EXPECT_EQ(w.ep.connection_count(), 0u);
  for (std::uint32_t i = 0; i < 500; ++i) {
    (void)w.ep.handle_datagram(w.now, p, test::pattern(1 + (i * 13) % 1400, i));
  }
  EXPECT_EQ(w.ep.connection_count(), 0u);
}

TEST(QuicEndpoint, AnswersUnknownVersionWithVersionNegotiation) {
  World w(0);
  std::vector<std::uint8_t> pkt(1200, 0);
  pkt[0] = 0xc0;                                  // long header
  pkt[1] = 0x1a; pkt[2] = 0x2a; pkt[3] = 0x3a; pkt[4] = 0x4a;  // unknown version
  pkt[5] = 8;                                     // dcid length
  pkt[14] = 8;                                    // scid length
  const Path p = {client_path(0).remote, client_path(0).local};
  ASSERT_TRUE(w.ep.handle_datagram(w.now, p, pkt));
  std::vector<std::uint8_t> buf(1500);
  auto t = w.ep.poll_transmit(w.now, buf);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->destination, p.remote);
  EXPECT_EQ(buf[1] | buf[2] | buf[3] | buf[4], 0);  // version 0 marks Version Negotiation
  EXPECT_EQ(w.ep.connection_count(), 0u);
}

TEST(QuicEndpoint, RemovesConnectionsAfterClose) {
  World w(1);
  ASSERT_TRUE(w.run_until([&] { return w.clients[0]->handshake_confirmed(); }));
  ASSERT_EQ(w.ep.connection_count(), 1u);
  w.clients[0]->close(w.now, 7, "done");
  ASSERT_TRUE(w.run_until([&] { return w.ep.connection_count() == 0; }));
  bool saw_close = false;
  for (auto& e : w.events) {
    if (e.event.kind == EventKind::connection_closed) {
      saw_close = e.event.application_error && e.event.error_code == 7 && e.event.reason == "done";
    }
  }
  EXPECT_TRUE(saw_close);
}

}  // namespace
}  // namespace gquic::quic
