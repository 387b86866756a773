// AdvancedUdpMux over real sockets on 127.0.0.1: dispatch by connection ID and by address,
// replies, failover under load with every datagram accounted for, bad configs.
#include "gquic/udp/advanced_mux.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "gquic/core/asio.h"
#include "gquic/observability/metrics.h"
#include "gquic/zerocopy/memory_pool.h"

namespace gquic::udp_mux_advanced {
namespace {

using Bytes = std::vector<std::uint8_t>;
const IpAddress kLoopback = IpAddress::v4_loopback();

// Runs the io_context until `done()` or a generous hang guard expires (not a timing assertion:
// the tests check counts, the guard only keeps a broken build from hanging CI).
template <typename Pred>
bool run_until(boost::asio::io_context& io, Pred done) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > guard) return false;
    io.run_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();
  }
  return true;
}

udp::UdpSocket open_peer(int rcvbuf = 8 << 20) {
  auto s = udp::UdpSocket::open({.bind_address = SocketAddress(kLoopback, 0),
                                 .recv_buffer_size = rcvbuf,
                                 .enable_gso = false,
                                 .enable_gro = false});
  EXPECT_TRUE(s) << s.error().message();
  return std::move(*s);
}

void send_from(udp::UdpSocket& s, const Bytes& payload, const SocketAddress& to) {
  const udp::Transmit t{.destination = to, .contents = payload};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto r = s.send(std::span(&t, 1));
    if (r && *r == 1) return;
    ASSERT_EQ(r.error(), Errc::would_block) << r.error().message();
    pollfd p{s.native_handle(), POLLOUT, 0};
    ::poll(&p, 1, 100);
  }
  FAIL() << "peer could not send";
}

// Receives whatever is queued on `s`, calling fn(bytes, meta) for each datagram.
template <typename Fn>
std::size_t drain(udp::UdpSocket& s, Fn fn) {
  std::vector<Bytes> storage(16, Bytes(2048));
  std::vector<std::span<std::uint8_t>> spans(storage.begin(), storage.end());
  std::vector<udp::RecvMeta> meta(16);
  std::size_t total = 0;
  for (;;) {
    auto r = s.recv(spans, meta);
    if (!r) break;
    for (std::size_t i = 0; i < *r; ++i) fn(std::span<const std::uint8_t>(storage[i]).first(meta[i].len), meta[i]);
    total += *r;
  }
  return total;
}

Bytes short_header(std::uint8_t cid_fill, std::uint32_t seq) {
  Bytes p(64, 0);
  p[0] = 0x40;
  std::fill(p.begin() + 1, p.begin() + 9, cid_fill);
  std::memcpy(p.data() + 9, &seq, sizeof seq);
  return p;
}

udp::ConnectionId cid(std::uint8_t fill) {
  Bytes b(8, fill);
  return *udp::ConnectionId::from(b);
}

TEST(AdvancedUdpMux, DispatchesToSeveralReceivers) {
  boost::asio::io_context io;
  auto mux = AdvancedUdpMux::create(io, {});
  ASSERT_TRUE(mux) << mux.error().message();
  auto& m = **mux;
  std::map<char, int> got;
  const auto a = m.register_receiver([&](const ReceivedDatagram& d) {
    EXPECT_EQ(d.route, RouteKind::connection_id);
    ++got['a'];
  });
  const auto b = m.register_receiver([&](const ReceivedDatagram&) { ++got['b']; });
  const auto c = m.register_receiver([&](const ReceivedDatagram& d) {
    EXPECT_EQ(d.route, RouteKind::remote_address);
    EXPECT_EQ(d.data.size(), 32u);
    ++got['c'];
  });
  const auto fallback = m.register_receiver([&](const ReceivedDatagram&) { ++got['d']; });
  ASSERT_TRUE(m.route_connection_id(a, cid(0xaa)));
  ASSERT_TRUE(m.route_connection_id(b, cid(0xbb)));
  auto peer1 = open_peer();
  auto peer2 = open_peer();
  ASSERT_TRUE(m.route_remote(c, peer2.local_address()));
  m.start();

  const SocketAddress to = m.local_address(0);
  Bytes wireguard_like(32, 0);
  wireguard_like[0] = 0x04;
  for (std::uint32_t i = 0; i < 300; ++i) {
    send_from(peer1, short_header(0xaa, i), to);
    send_from(peer1, short_header(0xbb, i), to);
    send_from(peer2, wireguard_like, to);
    if (i % 50 == 0) io.poll();
  }
  send_from(peer1, short_header(0xcc, 0), to);  // unknown CID, no default: dropped
  send_from(peer1, wireguard_like, to);         // unknown flow, no default: dropped
  send_from(peer1, Bytes{0xc0, 0, 0, 0, 1, 20}, to);  // truncated long header
  ASSERT_TRUE(run_until(io, [&] {
    return got['a'] == 300 && got['b'] == 300 && got['c'] == 300 &&
           m.stats().drops_by(MuxDropReason::malformed_quic) == 1;
  }));
  auto st = m.stats();
  EXPECT_EQ(st.drops_by(MuxDropReason::unknown_connection), 1u);
  EXPECT_EQ(st.drops_by(MuxDropReason::unknown_flow), 1u);
  EXPECT_EQ(st.sockets[0].packets_received, 903u);

  // With defaults set, the same strays reach the fallback receiver.
  m.set_default_quic_receiver(fallback);
  m.set_default_receiver(fallback);
  send_from(peer1, short_header(0xcc, 1), to);
  send_from(peer1, wireguard_like, to);
  ASSERT_TRUE(run_until(io, [&] { return got['d'] == 2; }));

  // A receiver that goes away takes its routes with it.
  m.unregister_receiver(a);
  send_from(peer1, short_header(0xaa, 999), to);
  ASSERT_TRUE(run_until(io, [&] { return got['d'] == 3; }));
  EXPECT_EQ(got['a'], 300);
}

TEST(AdvancedUdpMux, RepliesReachTheSender) {
  boost::asio::io_context io;
  auto mux = AdvancedUdpMux::create(io, {});
  ASSERT_TRUE(mux);
  auto& m = **mux;
  const auto echo = m.register_receiver([&](const ReceivedDatagram& d) {
    EXPECT_TRUE(m.send_packet(d.data, d.source));
  });
  m.set_default_receiver(echo);
  m.start();
  auto peer = open_peer();
  Bytes payload(100);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
  payload[0] = 0x00;  // not QUIC
  send_from(peer, payload, m.local_address(0));
  std::size_t echoed = 0;
  ASSERT_TRUE(run_until(io, [&] {
    drain(peer, [&](std::span<const std::uint8_t> d, const udp::RecvMeta& meta) {
      EXPECT_TRUE(std::equal(d.begin(), d.end(), payload.begin(), payload.end()));
      EXPECT_EQ(meta.source, m.local_address(0));
      ++echoed;
    });
    return echoed == 1;
  }));
}

// Three mux sockets carry flows to four destinations; one socket fails mid-stream. Every
// datagram still arrives exactly once, on the surviving sockets.
void failover_under_load(LoadBalanceStrategy strategy, bool use_fail_socket) {
  boost::asio::io_context io;
  AdvancedMuxConfig config;
  config.additional_addresses = {SocketAddress(kLoopback, 0), SocketAddress(kLoopback, 0)};
  config.strategy = strategy;
  auto mux = AdvancedUdpMux::create(io, config);
  ASSERT_TRUE(mux) << mux.error().message();
  auto& m = **mux;
  m.start();
  ASSERT_EQ(m.socket_count(), 3u);

  std::vector<udp::UdpSocket> peers;
  for (int i = 0; i < 4; ++i) peers.push_back(open_peer());
  constexpr std::uint32_t kTotal = 6000;
  std::set<std::uint32_t> received;
  std::uint64_t duplicates = 0;
  std::set<std::size_t> failed_sockets_seen;
  auto drain_all = [&] {
    for (auto& p : peers) {
      drain(p, [&](std::span<const std::uint8_t> d, const udp::RecvMeta&) {
        ASSERT_EQ(d.size(), 1200u);
        std::uint32_t seq;
        std::memcpy(&seq, d.data(), sizeof seq);
        for (std::size_t k = 4; k < d.size(); ++k) {
          ASSERT_EQ(d[k], static_cast<std::uint8_t>(seq + k)) << "byte " << k << " of " << seq;
        }
        if (!received.insert(seq).second) ++duplicates;
      });
    }
  };

  // Find the socket carrying the first flow, and fail it after a third of the traffic.
  Bytes payload(1200);
  std::size_t victim = 99;
  for (std::uint32_t seq = 0; seq < kTotal; ++seq) {
    std::memcpy(payload.data(), &seq, sizeof seq);
    for (std::size_t k = 4; k < payload.size(); ++k) payload[k] = static_cast<std::uint8_t>(seq + k);
    const SocketAddress dest = peers[seq % peers.size()].local_address();
    if (seq == kTotal / 3) {
      // The socket with the most flows fails.
      auto st = m.stats();
      victim = 0;
      for (std::size_t i = 1; i < st.sockets.size(); ++i) {
        if (st.sockets[i].flows > st.sockets[victim].flows) victim = i;
      }
      ASSERT_GT(st.sockets[victim].flows, 0u);
      if (use_fail_socket) {
        m.fail_socket(victim);
      } else {
        ::shutdown(m.native_handle(victim), SHUT_WR);  // its sends now fail with EPIPE
      }
    }
    auto r = m.send_packet(payload, dest);
    ASSERT_TRUE(r) << "seq " << seq << ": " << r.error().message();
    if (seq % 64 == 0) {
      io.poll();
      drain_all();
    }
  }
  ASSERT_TRUE(run_until(io, [&] {
    drain_all();
    return received.size() == kTotal;
  })) << "received " << received.size() << " of " << kTotal;
  EXPECT_EQ(duplicates, 0u);
  auto st = m.stats();
  EXPECT_FALSE(st.sockets[victim].healthy);
  EXPECT_GT(st.flows_moved, 0u);
  EXPECT_EQ(st.sockets[victim].flows, 0u);
  std::uint64_t sent = 0;
  for (const auto& s : st.sockets) sent += s.packets_sent;
  EXPECT_EQ(sent, kTotal);
  EXPECT_EQ(st.drops_by(MuxDropReason::send_error), 0u);
  EXPECT_EQ(st.drops_by(MuxDropReason::no_healthy_socket), 0u);
}

TEST(AdvancedUdpMux, FailoverUnderLoadRoundRobinExternalFailure) {
  failover_under_load(LoadBalanceStrategy::round_robin, false);
}
TEST(AdvancedUdpMux, FailoverUnderLoadConsistentHashFailSocket) {
  failover_under_load(LoadBalanceStrategy::consistent_hash, true);
}
TEST(AdvancedUdpMux, FailoverUnderLoadLeastLoaded) {
  failover_under_load(LoadBalanceStrategy::least_loaded, false);
}

TEST(AdvancedUdpMux, AllSocketsFailedIsAnError) {
  boost::asio::io_context io;
  auto mux = AdvancedUdpMux::create(io, {});
  ASSERT_TRUE(mux);
  (*mux)->fail_socket(0);
  auto peer = open_peer();
  Bytes payload(10, 1);
  auto r = (*mux)->send_packet(payload, peer.local_address());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::closed);
  EXPECT_EQ((*mux)->stats().drops_by(MuxDropReason::no_healthy_socket), 1u);
}

TEST(AdvancedUdpMux, GsoSendThroughTheMux) {
  boost::asio::io_context io;
  auto mux = AdvancedUdpMux::create(io, {});
  ASSERT_TRUE(mux);
  auto peer = open_peer();
  Bytes data(1200 * 10 + 500);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  ASSERT_TRUE((*mux)->send_segments(data, 1200, peer.local_address()));
  std::size_t bytes = 0, datagrams = 0;
  ASSERT_TRUE(run_until(io, [&] {
    drain(peer, [&](std::span<const std::uint8_t> d, const udp::RecvMeta&) {
      EXPECT_TRUE(std::equal(d.begin(), d.end(), data.begin() + static_cast<long>(bytes)));
      bytes += d.size();
      ++datagrams;
    });
    return datagrams == 11;
  }));
  EXPECT_EQ(bytes, data.size());
  EXPECT_EQ((*mux)->stats().sockets[0].packets_sent, 11u);
  EXPECT_EQ((*mux)->send_segments(data, 0, peer.local_address()).error(), Errc::invalid_argument);
  Bytes too_many(1200 * 65);
  EXPECT_EQ((*mux)->send_segments(too_many, 1200, peer.local_address()).error(),
            Errc::message_too_large);
}

TEST(AdvancedUdpMux, MultipathSendsNeedTheSwitch) {
  boost::asio::io_context io;
  AdvancedMuxConfig config;
  config.additional_addresses = {SocketAddress(kLoopback, 0)};
  auto plain = AdvancedUdpMux::create(io, config);
  ASSERT_TRUE(plain);
  auto peer = open_peer();
  Bytes payload(10, 1);
  EXPECT_EQ((*plain)->send_packet_via(1, payload, peer.local_address()).error(), Errc::unsupported);
  config.enable_multipath = true;
  auto multi = AdvancedUdpMux::create(io, config);
  ASSERT_TRUE(multi);
  ASSERT_TRUE((*multi)->send_packet_via(1, payload, peer.local_address()));
  EXPECT_EQ((*multi)->send_packet_via(7, payload, peer.local_address()).error(),
            Errc::invalid_argument);
  std::size_t got = 0;
  ASSERT_TRUE(run_until(io, [&] {
    drain(peer, [&](std::span<const std::uint8_t>, const udp::RecvMeta& meta) {
      EXPECT_EQ(meta.source, (*multi)->local_address(1));
      ++got;
    });
    return got == 1;
  }));
}

TEST(AdvancedUdpMux, RejectsBadConfigsAndBusyPorts) {
  boost::asio::io_context io;
  AdvancedMuxConfig c;
  c.batch_size = 0;
  EXPECT_EQ(AdvancedUdpMux::create(io, c).error(), Errc::invalid_argument);
  c = {};
  c.local_cid_length = 21;
  std::string what;
  EXPECT_FALSE(c.validate(&what));
  EXPECT_NE(what.find("local_cid_length"), std::string::npos);
  c = {};
  c.max_connections_per_socket = 0;
  EXPECT_FALSE(AdvancedUdpMux::create(io, c));
  c = {};
  c.socket_recv_buffer_size = -1;
  EXPECT_FALSE(AdvancedUdpMux::create(io, c));

  auto first = AdvancedUdpMux::create(io, {});
  ASSERT_TRUE(first);
  AdvancedMuxConfig busy;
  busy.primary_address = (*first)->local_address(0);
  auto second = AdvancedUdpMux::create(io, busy);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), std::errc::address_in_use);
}

TEST(AdvancedUdpMux, PublishesMetrics) {
  boost::asio::io_context io;
  observability::MetricsCollector collector;
  auto mux = AdvancedUdpMux::create(io, {});
  ASSERT_TRUE(mux);
  (*mux)->register_metrics(collector);
  auto peer = open_peer();
  Bytes payload(10, 1);
  ASSERT_TRUE((*mux)->send_packet(payload, peer.local_address()));
  const std::string text = collector.export_prometheus_metrics();
  EXPECT_NE(text.find("gquic_udp_mux_packets_sent_total{socket=\"0\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("gquic_udp_mux_socket_healthy{socket=\"0\"} 1"), std::string::npos);
  EXPECT_NE(text.find("gquic_pool_chunks_in_use{pool=\"udp_mux\"}"), std::string::npos);
  mux->reset();
  // The hooks went with the mux: exporting again must not touch it.
  EXPECT_FALSE(collector.export_prometheus_metrics().empty());
}

}  // namespace
}  // namespace gquic::udp_mux_advanced
