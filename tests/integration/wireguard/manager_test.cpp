// WireGuardManager on real TUN interfaces: two managers in a fresh network namespace of this
// test process (unshare(CLONE_NEWNET), gone when the process exits) complete a handshake over
// UDP on loopback, export it as metrics, rotate the static key and handshake again with the new
// key. Needs root: skipped loudly otherwise.
#include "gquic/wireguard/wireguard_manager.h"

#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include <gtest/gtest.h>

#include "gquic/observability/metrics.h"
#include "gquic/wireguard/netlink_io.h"

namespace gquic::wireguard {
namespace {

using namespace std::chrono_literals;

// Runs the io_context until `done` holds; false after the 30 s hang guard.
bool run_until(asio::net::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_for(50ms);
    io.restart();
  }
  return true;
}

std::optional<WireGuardPeerStatus> peer_of(const WireGuardManager& m, const std::string& key) {
  for (const auto& p : m.peers())
    if (p.peer.public_key == key) return p;
  return std::nullopt;
}

TEST(WireGuardManager, HandshakeMetricsAndKeyRotation) {
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (TUN interfaces, a network namespace)";
  if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "SKIPPED: cannot create a network namespace";
  ASSERT_TRUE(netlink::set_link_up("lo", 0));
  const std::string dir = "/tmp/gquic-wg-manager-" + std::to_string(getpid());
  struct RemoveDir {  // even when an assertion returns early
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove_dir{dir};
  asio::net::io_context io;
  {
    WireGuardConfig ca;
    ca.wireguard_port = 51820;
    ca.uapi_dir = dir;
    WireGuardConfig cb = ca;
    cb.wireguard_port = 51830;
    observability::MetricsCollector metrics;  // outlives the managers registered with it
    WireGuardManager a(io, ca), b(io, cb);
    ASSERT_TRUE(a.create_interface("gqma", "10.55.0.1", "10.55.0.0/24"));
    ASSERT_TRUE(b.create_interface("gqmb", "10.55.1.1", "10.55.1.0/24"));
    EXPECT_FALSE(a.create_interface("gqma", "10.55.0.1", "10.55.0.0/24"));
    EXPECT_FALSE(a.add_peer("gqma", {"not a key", "", {}, 0s, ""}));
    EXPECT_FALSE(a.add_peer("nope", {b.public_key(), "", {}, 0s, ""}));

    ASSERT_TRUE(a.add_peer("gqma", {b.public_key(), "127.0.0.1:51830", {"10.55.1.0/24"}, 1s, ""}));
    ASSERT_TRUE(b.add_peer("gqmb", {a.public_key(), "", {"10.55.0.0/24"}, 0s, ""}));
    // The responder counts the handshake once the initiator's first packet confirms it.
    ASSERT_TRUE(run_until(io, [&] {
      auto p = peer_of(a, b.public_key());
      auto q = peer_of(b, a.public_key());
      return p && p->handshakes >= 1 && q && q->handshakes >= 1;
    })) << "no handshake";
    auto pb = peer_of(b, a.public_key());
    ASSERT_TRUE(pb);
    EXPECT_EQ(pb->peer.endpoint, "127.0.0.1:51820");  // learned from the handshake
    EXPECT_TRUE(pb->last_handshake.has_value());
    EXPECT_EQ(pb->peer.allowed_ips, std::vector<std::string>{"10.55.0.0/24"});

    ASSERT_TRUE(a.register_metrics(metrics));
    const std::string text = metrics.export_prometheus_metrics();
    EXPECT_NE(text.find("gquic_wireguard_peer_handshakes_total{interface=\"gqma\",peer=\"" +
                        b.public_key() + "\"} "),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("gquic_wireguard_dropped_total{interface=\"gqma\",reason=\"replay\"} 0"),
              std::string::npos);

    // Rotation: A's current session drains (it would rekey with the new key at
    // REKEY_AFTER_TIME); B, told the new key, initiates and A answers with its new key.
    const std::string old_key = a.public_key();
    auto fresh = a.rotate_private_key();
    ASSERT_TRUE(fresh);
    EXPECT_NE(*fresh, old_key);
    EXPECT_EQ(a.public_key(), *fresh);
    ASSERT_TRUE(b.remove_peer("gqmb", old_key));
    EXPECT_FALSE(b.remove_peer("gqmb", old_key));
    ASSERT_TRUE(b.add_peer("gqmb", {*fresh, "127.0.0.1:51820", {"10.55.0.0/24"}, 1s, ""}));
    ASSERT_TRUE(run_until(io, [&] {
      auto p = peer_of(b, *fresh);
      return p && p->handshakes >= 1;
    })) << "no handshake with the rotated key";
    EXPECT_TRUE(a.remove_interface("gqma"));
    EXPECT_FALSE(a.remove_interface("gqma"));
  }
  io.run_for(200ms);  // let the drivers' coroutines finish
}

}  // namespace
}  // namespace gquic::wireguard
