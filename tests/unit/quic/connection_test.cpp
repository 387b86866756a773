// End-to-end tests of quic::Connection: a client and a server joined in memory by QuicPair
// (quic_pair.h), in simulated time.

#include "gquic/quic/connection.h"

#include <gtest/gtest.h>

#include "unit/quic/quic_pair.h"

namespace gquic::quic {
namespace {

using namespace std::chrono_literals;
using test::QuicPair;

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

std::shared_ptr<TlsContext> insecure_client() {
  ClientTlsConfig cfg;
  cfg.insecure_skip_verify = true;
  cfg.alpn = {"gquic-test"};
  return *TlsContext::client(cfg);
}

ConnectionConfig client_config() {
  ConnectionConfig c;
  c.server_name = "localhost";
  return c;
}

// Reads everything readable on `id` into `out`; true once fin was seen.
bool drain(Connection& c, std::int64_t id, std::vector<std::uint8_t>& out) {
  std::uint8_t buf[8192];
  for (;;) {
    auto r = c.read_stream(id, buf);
    if (!r) return false;
    out.insert(out.end(), buf, buf + r->size);
    if (r->fin) return true;
    if (r->size == 0) return false;
  }
}

// Writes as much of data[off..] as the stream takes; adds fin with the last byte.
void pump(Connection& c, std::int64_t id, const std::vector<std::uint8_t>& data, std::size_t& off,
          bool& fin_sent) {
  while (!fin_sent) {
    auto n = c.write_stream(id, std::span(data).subspan(off), true);
    if (!n) return;
    off += *n;
    if (off == data.size()) fin_sent = true;
    if (*n == 0) return;
  }
}

TEST(QuicConnection, HandshakeWithInsecureClient) {
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.client);
  ASSERT_TRUE(p.handshake());
  EXPECT_TRUE(QuicPair::has(p.client_events, EventKind::handshake_completed));
  EXPECT_TRUE(QuicPair::has(p.server_events, EventKind::handshake_completed));
  EXPECT_EQ(p.client->alpn(), "gquic-test");
  EXPECT_EQ(p.server->alpn(), "gquic-test");
  EXPECT_TRUE(p.server->is_server());
  EXPECT_FALSE(p.client->is_closed());
  EXPECT_EQ(p.client->stats().smoothed_rtt >= 20ms, true);  // two 10 ms hops
}

TEST(QuicConnection, HandshakeVerifiesAgainstGeneratedCertificateAsCa) {
  ClientTlsConfig cfg;
  cfg.ca_pem = server_tls()->certificate_pem();
  cfg.alpn = {"gquic-test"};
  auto tls = TlsContext::client(cfg);
  ASSERT_TRUE(tls) << tls.error().message();
  QuicPair p(*tls, server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
}

TEST(QuicConnection, HandshakeVerifiesIpAltName) {
  ClientTlsConfig cfg;
  cfg.ca_pem = server_tls()->certificate_pem();
  cfg.alpn = {"gquic-test"};
  ConnectionConfig cc;
  cc.server_name = "127.0.0.1";
  QuicPair p(*TlsContext::client(cfg), server_tls(), cc, {});
  ASSERT_TRUE(p.handshake());
}

TEST(QuicConnection, HandshakeFailsForWrongName) {
  ClientTlsConfig cfg;
  cfg.ca_pem = server_tls()->certificate_pem();
  cfg.alpn = {"gquic-test"};
  ConnectionConfig cc;
  cc.server_name = "wrong.example";
  QuicPair p(*TlsContext::client(cfg), server_tls(), cc, {});
  EXPECT_TRUE(p.run_until([&] { return p.client->is_closed(); }));
  EXPECT_FALSE(p.client->handshake_completed());
  const Event* e = QuicPair::find(p.client_events, EventKind::connection_closed);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->error, make_error_code(QuicErrc::handshake_failed));
  // The server learns of the failure from the client's CONNECTION_CLOSE.
  EXPECT_TRUE(p.run_until([&] { return p.server && p.server->is_closed(); }));
}

TEST(QuicConnection, HandshakeFailsWithUntrustedCertificate) {
  auto other = TlsContext::server_self_signed({});
  ASSERT_TRUE(other);
  ClientTlsConfig cfg;
  cfg.ca_pem = (*other)->certificate_pem();  // a different self-signed cert
  cfg.alpn = {"gquic-test"};
  QuicPair p(*TlsContext::client(cfg), server_tls(), client_config(), {});
  EXPECT_TRUE(p.run_until([&] { return p.client->is_closed(); }));
  EXPECT_FALSE(p.client->handshake_completed());
}

// No common application protocol: the handshake fails (RFC 9001 8.1) instead of
// completing without ALPN, on both sides.
TEST(QuicConnection, HandshakeFailsWithoutACommonAlpn) {
  ClientTlsConfig cfg;
  cfg.insecure_skip_verify = true;
  cfg.alpn = {"other-protocol"};
  QuicPair p(*TlsContext::client(cfg), server_tls(), client_config(), {});
  EXPECT_TRUE(p.run_until([&] { return p.client->is_closed(); }));
  EXPECT_FALSE(p.client->handshake_completed());
  EXPECT_TRUE(p.run_until([&] { return !p.server || p.server->is_closed(); }));
  if (p.server) EXPECT_FALSE(p.server->handshake_completed());
}

TEST(QuicConnection, BidiEchoOneMebibyte) {
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
  const auto data = test::pattern(1 << 20, 7);
  auto id = p.client->open_bidi_stream();
  ASSERT_TRUE(id);
  std::size_t off = 0;
  bool fin = false;
  std::vector<std::uint8_t> server_got, echoed;
  std::size_t echo_off = 0;
  bool server_fin = false, echo_fin_sent = false, client_fin = false;
  p.on_step = [&] {
    pump(*p.client, *id, data, off, fin);
    if (!server_fin) server_fin = drain(*p.server, *id, server_got);
    // Echo what the server has received so far.
    while (echo_off < server_got.size() || (server_fin && !echo_fin_sent)) {
      auto n = p.server->write_stream(*id, std::span(server_got).subspan(echo_off), server_fin);
      if (!n || (*n == 0 && echo_off < server_got.size())) break;
      echo_off += *n;
      if (server_fin && echo_off == server_got.size()) echo_fin_sent = true;
    }
    if (!client_fin) client_fin = drain(*p.client, *id, echoed);
  };
  ASSERT_TRUE(p.run_until([&] { return client_fin; }, 600s));
  EXPECT_TRUE(QuicPair::has(p.server_events, EventKind::stream_opened));
  EXPECT_TRUE(QuicPair::has(p.server_events, EventKind::stream_finished));
  EXPECT_TRUE(QuicPair::has(p.client_events, EventKind::stream_finished));
  EXPECT_EQ(server_got, data);
  EXPECT_EQ(echoed, data);
}

TEST(QuicConnection, SeveralStreamsAtOnce) {
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
  constexpr int kStreams = 6;
  std::vector<std::int64_t> ids;
  std::vector<std::vector<std::uint8_t>> data, got(kStreams);
  std::vector<std::size_t> off(kStreams);
  std::vector<char> fin(kStreams), done(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    auto id = p.client->open_bidi_stream();
    ASSERT_TRUE(id);
    ids.push_back(*id);
    data.push_back(test::pattern(100'000 + 1000 * static_cast<std::size_t>(i), 10 + i));
  }
  p.on_step = [&] {
    for (int i = 0; i < kStreams; ++i) {
      bool f = fin[i];
      pump(*p.client, ids[i], data[i], off[i], f);
      fin[i] = f;
      if (!done[i]) done[i] = drain(*p.server, ids[i], got[i]);
    }
  };
  ASSERT_TRUE(p.run_until([&] {
    return std::all_of(done.begin(), done.end(), [](char d) { return d != 0; });
  }));
  for (int i = 0; i < kStreams; ++i) EXPECT_EQ(got[i], data[i]) << "stream " << i;
}

TEST(QuicConnection, UniStreamFromServer) {
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
  auto id = p.server->open_uni_stream();
  ASSERT_TRUE(id);
  const auto data = test::pattern(50'000, 3);
  std::size_t off = 0;
  bool fin = false, done = false;
  std::optional<std::error_code> reverse_write;
  std::vector<std::uint8_t> got;
  p.on_step = [&] {
    pump(*p.server, *id, data, off, fin);
    if (!done && QuicPair::has(p.client_events, EventKind::stream_opened)) {
      // The receiver of a uni stream cannot write on it.
      if (!reverse_write) reverse_write = p.client->write_stream(*id, data).error();
      done = drain(*p.client, *id, got);
    }
  };
  ASSERT_TRUE(p.run_until([&] { return done; }));
  EXPECT_EQ(got, data);
  ASSERT_TRUE(reverse_write.has_value());
  EXPECT_EQ(*reverse_write, make_error_code(QuicErrc::stream_state));
}

TEST(QuicConnection, DatagramExchange) {
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
  const std::vector<std::uint8_t> ping{'p', 'i', 'n', 'g'};
  ASSERT_TRUE(p.client->send_datagram(ping));
  ASSERT_TRUE(p.run_until(
      [&] { return QuicPair::has(p.server_events, EventKind::datagram_received); }));
  EXPECT_EQ(QuicPair::find(p.server_events, EventKind::datagram_received)->data, ping);
  const auto big = test::pattern(p.server->max_datagram_size(), 5);
  ASSERT_GT(big.size(), 1000u);
  ASSERT_TRUE(p.server->send_datagram(big));
  ASSERT_TRUE(p.run_until(
      [&] { return QuicPair::has(p.client_events, EventKind::datagram_received); }));
  EXPECT_EQ(QuicPair::find(p.client_events, EventKind::datagram_received)->data, big);
}

TEST(QuicConnection, DatagramUnsupportedAndTooLarge) {
  ConnectionConfig no_dgram;
  no_dgram.max_datagram_frame_size = 0;
  QuicPair p(insecure_client(), server_tls(), client_config(), no_dgram);
  ASSERT_TRUE(p.handshake());
  const std::vector<std::uint8_t> small(10, 1);
  EXPECT_EQ(p.client->send_datagram(small).error(), make_error_code(Errc::unsupported));
  EXPECT_EQ(p.client->max_datagram_size(), 0u);
  // The client does accept datagrams, but not larger than it advertised.
  const std::size_t max = p.server->max_datagram_size();
  ASSERT_GT(max, 0u);
  EXPECT_EQ(p.server->send_datagram(std::vector<std::uint8_t>(max + 1)).error(),
            make_error_code(Errc::message_too_large));
  EXPECT_TRUE(p.server->send_datagram(std::vector<std::uint8_t>(max)));
}

TEST(QuicConnection, IdleTimeoutClosesBothSides) {
  ConnectionConfig cc = client_config();
  cc.idle_timeout = 5s;
  ConnectionConfig sc;
  sc.idle_timeout = 5s;
  QuicPair p(insecure_client(), server_tls(), cc, sc);
  ASSERT_TRUE(p.handshake());
  const TimePoint start = p.now;
  ASSERT_TRUE(p.run_until([&] { return p.client->is_closed() && p.server->is_closed(); }, 60s));
  EXPECT_GE(p.now - start, 5s);
  const Event* ce = QuicPair::find(p.client_events, EventKind::connection_closed);
  const Event* se = QuicPair::find(p.server_events, EventKind::connection_closed);
  ASSERT_NE(ce, nullptr);
  ASSERT_NE(se, nullptr);
  EXPECT_EQ(ce->error, make_error_code(QuicErrc::idle_timeout));
  EXPECT_EQ(se->error, make_error_code(QuicErrc::idle_timeout));
  EXPECT_FALSE(p.client->next_deadline().has_value());
}

TEST(QuicConnection, KeepAliveOutlivesIdleTimeout) {
  ConnectionConfig cc = client_config();
  cc.idle_timeout = 5s;
  cc.keep_alive = 2s;
  ConnectionConfig sc;
  sc.idle_timeout = 5s;
  QuicPair p(insecure_client(), server_tls(), cc, sc);
  ASSERT_TRUE(p.handshake());
  EXPECT_FALSE(p.run_until([&] { return p.client->is_closed() || p.server->is_closed(); }, 60s));
  EXPECT_FALSE(p.client->is_closed());
  EXPECT_FALSE(p.server->is_closed());
}

TEST(QuicConnection, ApplicationCloseIsSeenByPeer) {
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
  p.client->close(p.now, 42, "bye");
  EXPECT_TRUE(p.client->is_closed());
  EXPECT_EQ(p.client->open_bidi_stream().error(), make_error_code(Errc::closed));
  ASSERT_TRUE(p.run_until([&] { return p.server->is_closed(); }));
  const Event* e = QuicPair::find(p.server_events, EventKind::connection_closed);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->application_error);
  EXPECT_EQ(e->error_code, 42u);
  EXPECT_EQ(e->reason, "bye");
  EXPECT_EQ(e->error, make_error_code(QuicErrc::peer_closed));
  // Both sides finish their closing/draining period and go quiet.
  EXPECT_FALSE(p.run_until([] { return false; }, 60s));
  EXPECT_FALSE(p.client->next_deadline().has_value());
  EXPECT_FALSE(p.server->next_deadline().has_value());
}

TEST(QuicConnection, TransferUnderFivePercentLoss) {
  test::NetConfig net;
  net.loss = 0.05;
  net.seed = 42;
  QuicPair p(insecure_client(), server_tls(), client_config(), {}, net);
  ASSERT_TRUE(p.handshake());
  const auto data = test::pattern(512 * 1024, 9);
  auto id = p.client->open_bidi_stream();
  ASSERT_TRUE(id);
  std::size_t off = 0;
  bool fin = false, done = false;
  std::vector<std::uint8_t> got;
  p.on_step = [&] {
    pump(*p.client, *id, data, off, fin);
    if (!done) done = drain(*p.server, *id, got);
  };
  ASSERT_TRUE(p.run_until([&] { return done; }, 600s));
  EXPECT_GT(p.lost, 0u);
  EXPECT_EQ(got, data);
}

TEST(QuicConnection, SlowReaderBoundsWriterBuffer) {
  ConnectionConfig sc;
  sc.stream_send_buffer = 64 * 1024;
  ConnectionConfig cc = client_config();
  cc.stream_receive_window = 32 * 1024;
  cc.connection_receive_window = 64 * 1024;
  QuicPair p(insecure_client(), server_tls(), cc, sc);
  ASSERT_TRUE(p.handshake());
  auto id = p.server->open_bidi_stream();
  ASSERT_TRUE(id);
  const auto data = test::pattern(1 << 20, 11);
  std::size_t off = 0;
  bool fin = false, reading = false, done = false;
  std::size_t max_send_buffered = 0, max_recv_buffered = 0;
  std::vector<std::uint8_t> got;
  p.on_step = [&] {
    pump(*p.server, *id, data, off, fin);
    max_send_buffered = std::max(max_send_buffered, p.server->stream_send_buffered(*id));
    max_recv_buffered = std::max(max_recv_buffered, p.client->stream_receive_buffered(*id));
    if (reading && !done) done = drain(*p.client, *id, got);
  };
  // The reader sleeps for 10 simulated seconds: the writer stalls at window + buffer.
  p.run_until([] { return false; }, 10s);
  EXPECT_LE(max_send_buffered, 64u * 1024);
  EXPECT_LE(max_recv_buffered, 32u * 1024);
  EXPECT_LE(off, 32u * 1024 + 64u * 1024);
  EXPECT_FALSE(fin);
  EXPECT_EQ(p.server->write_stream(*id, data).error(), make_error_code(Errc::would_block));
  reading = true;
  ASSERT_TRUE(p.run_until([&] { return done; }, 600s));
  EXPECT_EQ(got, data);
  EXPECT_LE(max_recv_buffered, 32u * 1024);
}

TEST(QuicConnection, StreamResetIsSeenByPeer) {
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
  auto id = p.client->open_bidi_stream();
  ASSERT_TRUE(id);
  ASSERT_TRUE(p.client->write_stream(*id, test::pattern(1000, 1)));
  ASSERT_TRUE(p.run_until([&] { return QuicPair::has(p.server_events, EventKind::stream_opened); }));
  ASSERT_TRUE(p.client->reset_stream(*id, 77));
  EXPECT_EQ(p.client->write_stream(*id, test::pattern(10, 1)).error(),
            make_error_code(QuicErrc::stream_state));
  ASSERT_TRUE(p.run_until([&] { return QuicPair::has(p.server_events, EventKind::stream_reset); }));
  const Event* e = QuicPair::find(p.server_events, EventKind::stream_reset);
  EXPECT_EQ(e->stream_id, *id);
  EXPECT_EQ(e->error_code, 77u);
  EXPECT_EQ(p.server->stream_receive_buffered(*id), 0u);  // unread bytes were discarded
  EXPECT_EQ(p.client->reset_stream(12345, 1).error(), make_error_code(QuicErrc::stream_not_found));
}

TEST(QuicConnection, GarbageIsRejectedWithoutCrashing) {
  // Not an Initial: no server connection.
  const auto junk = test::pattern(1200, 99);
  auto none = Connection::accept(server_tls(), {}, QuicPair::server_path(), junk, Ecn::not_ect,
                                 TimePoint{1000s});
  EXPECT_FALSE(none);
  EXPECT_FALSE(Connection::accept(server_tls(), {}, QuicPair::server_path(), {}, Ecn::not_ect,
                                  TimePoint{1000s}));
  // An established connection ignores garbage and keeps working.
  QuicPair p(insecure_client(), server_tls(), client_config(), {});
  ASSERT_TRUE(p.handshake());
  for (std::uint32_t i = 0; i < 200; ++i) {
    auto g = test::pattern(1 + (i * 37) % 1400, i);
    if (i % 3 == 0) g[0] = 0x40 | (g[0] & 0x3f);  // short header form bit pattern
    if (i % 3 == 1) g[0] |= 0xc0;                  // long header form
    (void)p.server->handle_datagram(p.now, QuicPair::server_path(), g);
    (void)p.client->handle_datagram(p.now, QuicPair::client_path(), g);
  }
  EXPECT_FALSE(p.server->is_closed());
  ASSERT_TRUE(p.client->send_datagram(std::vector<std::uint8_t>{1, 2, 3}));
  ASSERT_TRUE(p.run_until(
      [&] { return QuicPair::has(p.server_events, EventKind::datagram_received); }));
}

}  // namespace
}  // namespace gquic::quic
