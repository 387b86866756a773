// DerpClient against real relays on 127.0.0.1: messages with their envelope, home relay and
// failover, STUN, and two relays meshed with the mesh key forwarding between their clients.

#include <sys/socket.h>
#include <netinet/in.h>

#include "derp_test_util.h"
#include "gquic/derp/derp_client.h"

namespace gquic::derp::testing {
namespace {

std::unique_ptr<DerpServer> start(net::io_context& io, DerpServerConfig cfg) {
  auto s = DerpServer::create(io, std::move(cfg));
  EXPECT_TRUE(s) << s.error().message();
  if (!s) return nullptr;
  auto r = (*s)->start();
  EXPECT_TRUE(r) << r.error().message();
  return r ? std::move(*s) : nullptr;
}

DerpClientConfig client_config(std::vector<std::string> relays) {
  DerpClientConfig c;
  c.preferred_relays = std::move(relays);
  c.reconnect_min = std::chrono::milliseconds(20);
  c.reconnect_max = std::chrono::milliseconds(200);
  return c;
}

DerpNodeInfo node(std::string id) { return DerpNodeInfo{std::move(id), generate_key_pair()}; }

DerpMessage message(const Key& to, std::uint64_t id, std::string text, std::uint8_t prio = 0) {
  DerpMessage m;
  m.id = id;
  m.message_type = 3;
  m.destination = to;
  m.payload.assign(text.begin(), text.end());
  m.priority = prio;
  m.ttl = 60'000;
  return m;
}

TEST(DerpClientIntegration, MessagesKeepTheirEnvelope) {
  net::io_context io;
  auto server = start(io, dev_config());
  ASSERT_TRUE(server);
  const std::string url = url_of(*server).to_string();
  DerpClient a(io, client_config({url}), node("a"));
  DerpClient b(io, client_config({url}), node("b"));
  run(io, [&]() -> awaitable<void> {
    CO_ASSERT_TRUE(co_await a.connect_to_relays());
    CO_ASSERT_TRUE(co_await b.connect_to_relays());
    EXPECT_EQ(a.home_relay(), url);
    CO_ASSERT_TRUE(a.send_message(message(b.public_key(), 77, "hello", 4)));
    // An already expired message never leaves.
    DerpMessage stale = message(b.public_key(), 78, "stale");
    stale.timestamp = 1000;
    stale.ttl = 1;
    CO_ASSERT_TRUE(a.send_message(stale));
    CO_ASSERT_TRUE(a.send_message(message(b.public_key(), 79, "second")));
    auto m = co_await b.receive();
    CO_ASSERT_TRUE(m);
    EXPECT_EQ(m->id, 77u);
    EXPECT_EQ(m->message_type, 3);
    EXPECT_EQ(m->priority, 4);
    EXPECT_EQ(m->ttl, 60'000u);
    EXPECT_EQ(m->source, a.public_key());
    EXPECT_EQ(std::string(m->payload.begin(), m->payload.end()), "hello");
    auto m2 = co_await b.receive();
    CO_ASSERT_TRUE(m2);
    EXPECT_EQ(m2->id, 79u);
    const auto sa = a.stats();
    EXPECT_EQ(sa.connected_relays, 1u);
    EXPECT_EQ(sa.messages_sent, 2u);
    EXPECT_EQ(sa.drops[static_cast<std::size_t>(MessageDrop::expired)], 1u);
    CO_ASSERT_TRUE(sa.relays.size() == 1u);
    EXPECT_TRUE(sa.relays[0].home);
    EXPECT_TRUE(sa.relays[0].rtt.has_value());
    EXPECT_EQ(b.stats().messages_received, 2u);
  }, [&] {
    a.close();
    b.close();
    server->stop();
  });
}

TEST(DerpClientIntegration, FailoverToTheNextRelayAndStun) {
  net::io_context io;
  auto cfg = dev_config();
  cfg.stun_addr = *SocketAddress::parse("127.0.0.1:0");
  auto one = start(io, cfg);
  auto two = start(io, dev_config());
  ASSERT_TRUE(one && two);
  const std::string u1 = url_of(*one).to_string(), u2 = url_of(*two).to_string();
  auto cc = client_config({u1, u2});
  cc.enable_mesh_mode = true;
  cc.stun_server = one->stun_address();
  DerpClient client(io, cc, node("c"));
  run(io, [&]() -> awaitable<void> {
    CO_ASSERT_TRUE(co_await client.connect_to_relays());
    EXPECT_EQ(client.stats().connected_relays, 2u);
    auto home = client.home_relay();
    CO_ASSERT_TRUE(home);
    auto mapped = co_await client.discover_public_address();
    CO_ASSERT_TRUE(mapped);
    EXPECT_TRUE(mapped->ip().is_loopback());
    // Stop the home relay: the other one takes over.
    (*home == u1 ? one : two)->stop();
    while (client.home_relay() == home) co_await sleep_for(std::chrono::milliseconds(20));
    CO_ASSERT_TRUE(client.home_relay());
    EXPECT_NE(*client.home_relay(), *home);
    EXPECT_GE(client.stats().failovers, 1u);
    EXPECT_EQ(client.stats().public_address, *mapped);
  }, [&] {
    client.close();
    one->stop();
    two->stop();
  });
}

// A free loopback port (bound, read, closed): the relays must know each other's URL up front.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

TEST(DerpClientIntegration, MeshedRelaysForwardBetweenTheirClients) {
  net::io_context io;
  const auto mesh_key = *parse_mesh_key(std::string(64, 'e'));
  const std::uint16_t pa = free_port(), pb = free_port();
  auto ca = dev_config();
  ca.listen_addr = SocketAddress(IpAddress::v4_loopback(), pa);
  ca.mesh_key = mesh_key;
  ca.mesh_retry = std::chrono::milliseconds(50);
  auto cb = ca;
  cb.listen_addr = SocketAddress(IpAddress::v4_loopback(), pb);
  ca.mesh_peers = {"http://127.0.0.1:" + std::to_string(pb),
                   "http://127.0.0.1:" + std::to_string(pa)};  // itself: ignored
  cb.mesh_peers = {"http://127.0.0.1:" + std::to_string(pa)};
  auto a = start(io, ca);
  auto b = start(io, cb);
  ASSERT_TRUE(a && b);
  DerpClient on_a(io, client_config({url_of(*a).to_string()}), node("on-a"));
  DerpClient on_b(io, client_config({url_of(*b).to_string()}), node("on-b"));
  // A relay without the mesh key cannot watch: its link is refused.
  auto cx = dev_config();
  cx.mesh_key = *parse_mesh_key(std::string(64, 'f'));
  cx.mesh_peers = {url_of(*a).to_string()};
  cx.mesh_retry = std::chrono::milliseconds(50);
  auto x = start(io, cx);
  ASSERT_TRUE(x);
  run(io, [&]() -> awaitable<void> {
    CO_ASSERT_TRUE(co_await on_a.connect_to_relays());
    CO_ASSERT_TRUE(co_await on_b.connect_to_relays());
    // The links come up and learn the clients asynchronously: resend until one arrives.
    std::optional<DerpMessage> got_a, got_b;
    for (std::uint64_t i = 1; !(got_a && got_b); ++i) {
      if (!got_a) CO_ASSERT_TRUE(on_b.send_message(message(on_a.public_key(), i, "b->a")));
      if (!got_b) CO_ASSERT_TRUE(on_a.send_message(message(on_b.public_key(), i, "a->b")));
      co_await sleep_for(std::chrono::milliseconds(50));
      if (!got_a) got_a = on_a.try_receive();
      if (!got_b) got_b = on_b.try_receive();
    }
    EXPECT_EQ(got_a->source, on_b.public_key());
    EXPECT_EQ(std::string(got_a->payload.begin(), got_a->payload.end()), "b->a");
    EXPECT_EQ(got_b->source, on_a.public_key());
    EXPECT_GE(a->stats().core.packets_forwarded + b->stats().core.packets_forwarded, 2u);
    EXPECT_EQ(a->stats().mesh_links_up, 1u);  // to B; the self link was dropped
    EXPECT_EQ(x->stats().mesh_links_up, 0u);
    EXPECT_GE(a->stats().core.closes_by(CloseReason::not_mesh_peer), 1u);
  }, [&] {
    on_a.close();
    on_b.close();
    a->stop();
    b->stop();
    x->stop();
  });
}

}  // namespace
}  // namespace gquic::derp::testing
