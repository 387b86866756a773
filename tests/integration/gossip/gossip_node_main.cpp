// A gossip node as its own process, for the multi-process test: joins through a seed, registers
// one service, and rewrites a status file every 50 ms ("port=P alive=N regs=R left=L").
// SIGTERM leaves the cluster (gossiped for 500 ms) and exits.
//   gquic_gossip_test_node NAME STATUS_FILE KEY_HEX [SEED_IP:PORT]
#include <csignal>
#include <cstdio>
#include <fstream>

#include <boost/asio/signal_set.hpp>

#include "gquic/gossip/gossip_driver.h"

using namespace gquic;
using namespace gquic::gossip;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s NAME STATUS_FILE KEY_HEX [SEED]\n", argv[0]);
    return 2;
  }
  std::string name = argv[1], status = argv[2];
  auto key = Keyring::parse_key(argv[3]);
  if (!key) return 2;
  GossipDriverConfig c;
  c.swim.name = name;
  c.swim.advertise = SocketAddress(IpAddress::v4_loopback(), 0);
  c.swim.probe_interval = 200ms;
  c.swim.probe_timeout = 100ms;
  c.swim.gossip_interval = 50ms;
  c.swim.push_pull_interval = 2s;
  c.swim.keyring = Keyring(*key);
  if (argc > 4) {
    auto seed = SocketAddress::parse(argv[4]);
    if (!seed) return 2;
    c.seeds.push_back(*seed);
  }
  asio::net::io_context io;
  auto d = GossipDriver::open(io, c, OsRandom::instance());
  if (!d) {
    std::fprintf(stderr, "open: %s\n", d.error().message().c_str());
    return 1;
  }
  auto& driver = **d;
  driver.start();
  std::vector<std::uint8_t> payload(name.begin(), name.end());
  (void)driver.core().register_service(driver.now(), "svc-" + name, payload);
  driver.poke();
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  bool leaving = false;
  signals.async_wait([&](boost::system::error_code, int) {
    leaving = true;
    driver.core().leave(driver.now());
    driver.poke();
  });
  auto until = std::chrono::steady_clock::now() + 120s;  // hang guard
  auto leave_deadline = std::chrono::steady_clock::time_point::max();
  while (std::chrono::steady_clock::now() < until) {
    io.run_for(50ms);
    std::size_t left = 0;
    for (const auto& m : driver.core().members()) left += m.state == MemberState::left;
    std::ofstream(status + ".tmp") << "port=" << driver.local_address().port()
                                    << " alive=" << driver.core().alive_count()
                                    << " regs=" << driver.core().registrations().size()
                                    << " left=" << left << "\n";
    std::rename((status + ".tmp").c_str(), status.c_str());
    if (leaving && leave_deadline == std::chrono::steady_clock::time_point::max()) {
      leave_deadline = std::chrono::steady_clock::now() + 500ms;
    }
    if (std::chrono::steady_clock::now() >= leave_deadline) break;
  }
  driver.stop();
  io.run_for(50ms);
  return 0;
}
