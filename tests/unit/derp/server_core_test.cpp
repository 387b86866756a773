// ServerCore in simulated time: clients are byte streams driven by the test.
#include "gquic/derp/server_core.h"

#include <gtest/gtest.h>

namespace gquic::derp {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

const TimePoint t0{std::chrono::seconds(1000)};

struct TestClient {
  KeyPair keys = generate_key_pair();
  ConnId id = 0;
  FrameReader reader;

  // Frames the server queued for this client since the last call.
  std::vector<Frame> frames(ServerCore& s) {
    reader.feed(s.take_output(id));
    std::vector<Frame> out;
    for (;;) {
      auto f = reader.next();
      EXPECT_TRUE(f);
      if (!f || !*f) break;
      out.push_back(std::move(**f));
    }
    return out;
  }
  void send(ServerCore& s, TimePoint now, FrameType type,
            std::initializer_list<std::span<const std::uint8_t>> parts) {
    Bytes b;
    write_frame(b, type, parts);
    s.handle_bytes(id, now, b);
  }
  void send_packet(ServerCore& s, TimePoint now, const Key& to, const Bytes& packet) {
    send(s, now, FrameType::send_packet, {std::span<const std::uint8_t>(to), std::span(packet)});
  }
};

// Accepts a client and completes the handshake; checks ServerKey and ServerInfo on the way.
void connect(ServerCore& s, TestClient& c, TimePoint now, ClientInfo info = {}) {
  c.id = s.accept(now);
  auto first = c.frames(s);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].type, static_cast<std::uint8_t>(FrameType::server_key));
  auto sk = parse_server_key(first[0].payload);
  ASSERT_TRUE(sk);
  ASSERT_EQ(sk->server_key, s.public_key());
  auto payload = seal_client_info(c.keys, sk->server_key, info);
  ASSERT_TRUE(payload);
  c.send(s, now, FrameType::client_info, {std::span<const std::uint8_t>(*payload)});
  auto second = c.frames(s);
  ASSERT_GE(second.size(), 1u);
  ASSERT_EQ(second[0].type, static_cast<std::uint8_t>(FrameType::server_info));
  auto si = open_server_info(c.keys, s.public_key(), second[0].payload);
  ASSERT_TRUE(si);
  EXPECT_EQ(si->version, 2);
}

ServerCoreConfig config() {
  ServerCoreConfig c;
  c.server_key = generate_key_pair();
  return c;
}

std::vector<Bytes> packets_from(const std::vector<Frame>& frames, const Key& src) {
  std::vector<Bytes> out;
  for (const auto& f : frames) {
    if (f.type != static_cast<std::uint8_t>(FrameType::recv_packet)) continue;
    auto rp = parse_keyed_packet(f.payload);
    EXPECT_TRUE(rp);
    if (rp && rp->key == src) out.emplace_back(rp->packet.begin(), rp->packet.end());
  }
  return out;
}

TEST(DerpServerCore, ThreeClientsExchangePackets) {
  ServerCore s(config());
  TestClient a, b, c;
  connect(s, a, t0);
  connect(s, b, t0);
  connect(s, c, t0);
  EXPECT_EQ(s.stats().clients, 3u);
  a.send_packet(s, t0, b.keys.public_key, Bytes{1, 2, 3});
  b.send_packet(s, t0, c.keys.public_key, Bytes{4, 5});
  c.send_packet(s, t0, a.keys.public_key, Bytes{6});
  EXPECT_EQ(packets_from(b.frames(s), a.keys.public_key), (std::vector<Bytes>{Bytes{1, 2, 3}}));
  EXPECT_EQ(packets_from(c.frames(s), b.keys.public_key), (std::vector<Bytes>{Bytes{4, 5}}));
  EXPECT_EQ(packets_from(a.frames(s), c.keys.public_key), std::vector<Bytes>{Bytes{6}});
  EXPECT_EQ(s.stats().packets_relayed, 3u);
  EXPECT_EQ(s.stats().bytes_relayed, 6u);
}

TEST(DerpServerCore, UnknownDestinationIsCounted) {
  ServerCore s(config());
  TestClient a;
  connect(s, a, t0);
  a.send_packet(s, t0, generate_key_pair().public_key, Bytes{1});
  EXPECT_EQ(s.stats().drops_by(DropReason::unknown_destination), 1u);
}

TEST(DerpServerCore, PeerGoneReachesThoseWhoHeardFromTheKey) {
  ServerCore s(config());
  TestClient a, b, bystander;
  connect(s, a, t0);
  connect(s, b, t0);
  connect(s, bystander, t0);
  a.send_packet(s, t0, b.keys.public_key, Bytes{9});
  (void)b.frames(s);
  s.closed(a.id, t0 + 1s);
  auto got = b.frames(s);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].type, static_cast<std::uint8_t>(FrameType::peer_gone));
  auto pg = parse_peer_gone(got[0].payload);
  ASSERT_TRUE(pg);
  EXPECT_EQ(pg->key, a.keys.public_key);
  EXPECT_EQ(pg->reason, PeerGoneReason::disconnected);
  EXPECT_TRUE(bystander.frames(s).empty());
}

TEST(DerpServerCore, FullQueueDropsTheOldest) {
  auto cfg = config();
  cfg.queue_packets = 4;
  ServerCore s(cfg);
  TestClient a, b;
  connect(s, a, t0);
  connect(s, b, t0);
  for (std::uint8_t i = 0; i < 10; ++i) a.send_packet(s, t0, b.keys.public_key, Bytes{i});
  auto got = packets_from(b.frames(s), a.keys.public_key);
  EXPECT_EQ(got, (std::vector<Bytes>{{6}, {7}, {8}, {9}}));
  EXPECT_EQ(s.stats().drops_by(DropReason::queue_full), 6u);
}

TEST(DerpServerCore, RateLimitPerClient) {
  auto cfg = config();
  cfg.rate_bytes_per_second = 1000;
  cfg.rate_burst_bytes = 1000;
  ServerCore s(cfg);
  TestClient a, b;
  connect(s, a, t0);
  connect(s, b, t0);
  const Bytes p(400, 1);
  for (int i = 0; i < 3; ++i) a.send_packet(s, t0, b.keys.public_key, p);  // 1200 > 1000 burst
  EXPECT_EQ(s.stats().drops_by(DropReason::rate_limited), 1u);
  a.send_packet(s, t0 + 500ms, b.keys.public_key, p);  // 500 bytes refilled
  EXPECT_EQ(s.stats().drops_by(DropReason::rate_limited), 1u);
  EXPECT_EQ(packets_from(b.frames(s), a.keys.public_key).size(), 3u);
}

TEST(DerpServerCore, MaxClientsRefusesWithAReason) {
  auto cfg = config();
  cfg.max_clients = 2;
  ServerCore s(cfg);
  TestClient a, b, c;
  connect(s, a, t0);
  connect(s, b, t0);
  c.id = s.accept(t0);
  (void)c.frames(s);
  auto payload = seal_client_info(c.keys, s.public_key(), {});
  c.send(s, t0, FrameType::client_info, {std::span<const std::uint8_t>(*payload)});
  auto closed = s.poll_close();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->first, c.id);
  EXPECT_EQ(closed->second, CloseReason::server_full);
  EXPECT_EQ(s.stats().clients, 2u);
}

TEST(DerpServerCore, BadHandshakesClose) {
  ServerCore s(config());
  // A first frame that is not ClientInfo.
  TestClient a;
  a.id = s.accept(t0);
  a.send(s, t0, FrameType::ping, {std::span<const std::uint8_t>(Bytes(8, 0))});
  EXPECT_EQ(s.poll_close()->second, CloseReason::bad_handshake);
  // A ClientInfo sealed to another server.
  TestClient b;
  b.id = s.accept(t0);
  auto wrong = seal_client_info(b.keys, generate_key_pair().public_key, {});
  b.send(s, t0, FrameType::client_info, {std::span<const std::uint8_t>(*wrong)});
  EXPECT_EQ(s.poll_close()->second, CloseReason::bad_handshake);
  // Silence past the handshake deadline.
  TestClient c;
  c.id = s.accept(t0);
  ASSERT_TRUE(s.next_deadline());
  EXPECT_EQ(*s.next_deadline(), t0 + 10s);
  s.handle_timeout(t0 + 10s);
  EXPECT_EQ(s.poll_close()->second, CloseReason::handshake_timeout);
  // An oversized frame header.
  TestClient d;
  connect(s, d, t0);
  const Bytes huge = {0x04, 0x7f, 0xff, 0xff, 0xff};
  s.handle_bytes(d.id, t0, huge);
  EXPECT_EQ(s.poll_close()->second, CloseReason::frame_too_large);
  EXPECT_EQ(s.stats().closes_by(CloseReason::bad_handshake), 2u);
}

TEST(DerpServerCore, PingPongKeepaliveAndIdle) {
  ServerCore s(config());
  TestClient a;
  connect(s, a, t0);
  const Bytes ping = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  a.send(s, t0, FrameType::ping, {std::span<const std::uint8_t>(ping)});
  auto got = a.frames(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, static_cast<std::uint8_t>(FrameType::pong));
  EXPECT_EQ(got[0].payload, Bytes(ping.begin(), ping.begin() + 8));
  s.handle_timeout(t0 + 60s);
  got = a.frames(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, static_cast<std::uint8_t>(FrameType::keep_alive));
  a.send(s, t0 + 100s, FrameType::note_preferred, {std::span<const std::uint8_t>(Bytes{1})});
  EXPECT_TRUE(s.is_preferred(a.id));
  s.handle_timeout(t0 + 219s);
  EXPECT_FALSE(s.poll_close());
  s.handle_timeout(t0 + 220s);
  EXPECT_EQ(s.poll_close()->second, CloseReason::idle);
}

TEST(DerpServerCore, MeshFramesNeedTheMeshKey) {
  auto cfg = config();
  cfg.mesh_key = *parse_mesh_key(std::string(64, '7'));
  ServerCore s(cfg);
  TestClient plain;
  connect(s, plain, t0);
  plain.send(s, t0, FrameType::watch_conns, {});
  EXPECT_EQ(s.poll_close()->second, CloseReason::not_mesh_peer);

  TestClient wrong;
  ClientInfo bad;
  bad.mesh_key = *parse_mesh_key(std::string(64, '8'));
  connect(s, wrong, t0, bad);
  wrong.send(s, t0, FrameType::watch_conns, {});
  EXPECT_EQ(s.poll_close()->second, CloseReason::not_mesh_peer);
}

TEST(DerpServerCore, WatcherSeesPresentAndGoneAndCanClosePeers) {
  auto cfg = config();
  cfg.mesh_key = *parse_mesh_key(std::string(64, '7'));
  ServerCore s(cfg);
  TestClient a, watcher, later;
  connect(s, a, t0);
  ClientInfo mesh;
  mesh.mesh_key = cfg.mesh_key;
  connect(s, watcher, t0, mesh);
  watcher.send(s, t0, FrameType::watch_conns, {});
  auto got = watcher.frames(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(parse_peer_present(got[0].payload)->key, a.keys.public_key);
  connect(s, later, t0);
  got = watcher.frames(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(parse_peer_present(got[0].payload)->key, later.keys.public_key);
  s.closed(later.id, t0);
  got = watcher.frames(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, static_cast<std::uint8_t>(FrameType::peer_gone));
  // ClosePeer closes every connection of a key.
  watcher.send(s, t0, FrameType::close_peer, {std::span<const std::uint8_t>(a.keys.public_key)});
  auto closed = s.poll_close();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->first, a.id);
  EXPECT_EQ(closed->second, CloseReason::closed_by_peer);
}

// Two servers of one region: B watches A through a mesh link; a client of B sends to a client
// of A through a ForwardPacket.
TEST(DerpServerCore, MeshedServersForwardBetweenTheirClients) {
  auto cfg_a = config();
  auto cfg_b = config();
  cfg_a.mesh_key = cfg_b.mesh_key = *parse_mesh_key(std::string(64, 'c'));
  ServerCore a(cfg_a), b(cfg_b);
  TestClient on_a, on_b;
  connect(a, on_a, t0);
  connect(b, on_b, t0);

  // B's link to A: B connects to A as a mesh client with B's own key and watches.
  TestClient link_conn;
  link_conn.keys = cfg_b.server_key;
  ClientInfo mesh;
  mesh.mesh_key = cfg_b.mesh_key;
  connect(a, link_conn, t0, mesh);
  link_conn.send(a, t0, FrameType::watch_conns, {});
  const LinkId link = b.add_mesh_link();
  for (const auto& f : link_conn.frames(a)) {
    if (f.type == static_cast<std::uint8_t>(FrameType::peer_present)) {
      b.mesh_peer_present(link, parse_peer_present(f.payload)->key);
    }
  }
  // on_b → on_a goes out on B's link as a ForwardPacket, which A delivers.
  on_b.send_packet(b, t0, on_a.keys.public_key, Bytes{42, 43});
  EXPECT_EQ(b.stats().packets_forwarded, 1u);
  a.handle_bytes(link_conn.id, t0, b.take_link_output(link));
  EXPECT_EQ(packets_from(on_a.frames(a), on_b.keys.public_key), (std::vector<Bytes>{Bytes{42, 43}}));
  // A forwarded packet for a key A does not have is dropped, never forwarded again.
  Bytes fwd;
  const Key nobody = generate_key_pair().public_key;
  write_frame(fwd, FrameType::forward_packet,
              {std::span<const std::uint8_t>(on_b.keys.public_key), std::span<const std::uint8_t>(nobody),
               std::span<const std::uint8_t>(Bytes{1})});
  a.handle_bytes(link_conn.id, t0, fwd);
  EXPECT_EQ(a.stats().drops_by(DropReason::unknown_destination), 1u);
  EXPECT_EQ(a.stats().packets_forwarded, 0u);
  // When A reports the client gone, B stops routing to the link.
  b.mesh_peer_gone(link, on_a.keys.public_key);
  on_b.send_packet(b, t0, on_a.keys.public_key, Bytes{1});
  EXPECT_EQ(b.stats().drops_by(DropReason::unknown_destination), 1u);
}

TEST(DerpServerCore, DuplicateKeyNewestIsActiveAndNoPeerGoneWhileOneRemains) {
  ServerCore s(config());
  TestClient a, a2, b;
  connect(s, a, t0);
  a2.keys = a.keys;
  connect(s, a2, t0);
  connect(s, b, t0);
  b.send_packet(s, t0, a.keys.public_key, Bytes{5});
  EXPECT_TRUE(packets_from(a.frames(s), b.keys.public_key).empty());
  EXPECT_EQ(packets_from(a2.frames(s), b.keys.public_key).size(), 1u);
  a.send_packet(s, t0, b.keys.public_key, Bytes{6});
  (void)b.frames(s);
  s.closed(a2.id, t0);
  EXPECT_TRUE(b.frames(s).empty()) << "a's other connection is still there";
  s.closed(a.id, t0);
  auto got = b.frames(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, static_cast<std::uint8_t>(FrameType::peer_gone));
}

}  // namespace
}  // namespace gquic::derp

namespace gquic::derp {
namespace {

TEST(DerpServerCore, DirtyListsOnlyConnectionsWithNewOutput) {
  auto cfg = config();
  cfg.mesh_key = *parse_mesh_key(std::string(64, 'd'));
  ServerCore s(cfg);
  TestClient a, b, c;
  connect(s, a, t0);
  connect(s, b, t0);
  connect(s, c, t0);
  (void)s.take_dirty();
  EXPECT_TRUE(s.take_dirty().empty());
  a.send_packet(s, t0, b.keys.public_key, Bytes{1});
  a.send_packet(s, t0, b.keys.public_key, Bytes{2});
  EXPECT_EQ(s.take_dirty(), std::vector<ConnId>{b.id});  // listed once
  c.send(s, t0, FrameType::ping, {std::span<const std::uint8_t>(Bytes(8, 7))});
  EXPECT_EQ(s.take_dirty(), std::vector<ConnId>{c.id});
  // A forwarded packet marks its link.
  const LinkId link = s.add_mesh_link();
  const Key far = generate_key_pair().public_key;
  s.mesh_peer_present(link, far);
  a.send_packet(s, t0, far, Bytes{3});
  EXPECT_EQ(s.take_dirty_links(), std::vector<LinkId>{link});
  EXPECT_TRUE(s.take_dirty_links().empty());
  EXPECT_FALSE(s.take_link_output(link).empty());
  // A closed connection is not listed.
  a.send_packet(s, t0, b.keys.public_key, Bytes{4});
  s.closed(b.id, t0);
  for (ConnId id : s.take_dirty()) EXPECT_NE(id, b.id);
}

}  // namespace
}  // namespace gquic::derp
