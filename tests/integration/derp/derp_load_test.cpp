// Load: 1,000 clients connected to one relay on 127.0.0.1 relay 1,000,000 packets in 500 pairs.
// Each sender keeps at most `kWindow` packets in flight to its receiver (below the relay's
// per-client queue bound), so the relay must deliver every one: none may be lost, and the relay
// must count no drop. The relay runs on its own thread and io_context, the clients on another.

#include <sys/resource.h>

#include <atomic>
#include <cstring>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "derp_test_util.h"

namespace gquic::derp::testing {
namespace {

constexpr std::size_t kClients = 1000;
constexpr std::size_t kPacketsPerSender = 2000;  // × 500 senders = 1,000,000
constexpr std::size_t kWindow = 16;
constexpr std::size_t kQueueBound = 32;
constexpr std::size_t kPacketSize = 64;

struct Pair {
  std::shared_ptr<RelayConnection> sender, receiver;
  std::size_t sent = 0;
  std::size_t received = 0;
  bool out_of_order = false;
  std::unique_ptr<net::steady_timer> wake;  // the sender waits on it for the window to open
};

awaitable<void> receive(Pair& p, std::size_t& done_pairs) {
  std::uint32_t expect = 0;
  while (p.received < kPacketsPerSender) {
    auto f = co_await p.receiver->read_frame();
    if (!f) co_return;
    if (f->type != static_cast<std::uint8_t>(FrameType::recv_packet)) continue;
    auto kp = parse_keyed_packet(f->payload);
    if (!kp || kp->packet.size() != kPacketSize) co_return;
    std::uint32_t seq = 0;
    std::memcpy(&seq, kp->packet.data(), sizeof seq);
    if (seq != expect++) p.out_of_order = true;
    ++p.received;
    p.wake->cancel();
  }
  ++done_pairs;
}

awaitable<void> send(Pair& p) {
  std::vector<std::uint8_t> packet(kPacketSize, 0xab);
  const Key to = p.receiver->public_key();
  while (p.sent < kPacketsPerSender) {
    if (p.sent - p.received >= kWindow) {
      p.wake->expires_at(net::steady_timer::time_point::max());
      co_await p.wake->async_wait(asio::nothrow);
      continue;
    }
    const auto seq = static_cast<std::uint32_t>(p.sent);
    std::memcpy(packet.data(), &seq, sizeof seq);
    ++p.sent;
    if (!co_await p.sender->send_packet(to, packet)) co_return;
  }
}

TEST(DerpLoad, ThousandClientsMillionPacketsNoneLost) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_max < 2 * kClients + 256) {
    GTEST_SKIP() << "SKIPPED LOUDLY: RLIMIT_NOFILE hard limit " << rl.rlim_max
                 << " is below the " << 2 * kClients + 256 << " descriptors this test needs";
  }
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);

  net::io_context relay_io;
  auto cfg = dev_config();
  cfg.queue_packets = kQueueBound;
  cfg.max_clients = kClients + 10;
  auto server = DerpServer::create(relay_io, cfg);
  ASSERT_TRUE(server);
  ASSERT_TRUE((*server)->start());
  auto work = net::make_work_guard(relay_io);
  std::thread relay_thread([&] { relay_io.run(); });
  const auto url = url_of(**server);

  net::io_context io;
  std::vector<Pair> pairs(kClients / 2);
  std::size_t done_pairs = 0;
  run(io, [&]() -> awaitable<void> {
    // Connect in batches so the accept backlog never overflows.
    std::vector<std::shared_ptr<RelayConnection>> conns(kClients);
    std::size_t connected = 0, failed = 0;
    for (std::size_t base = 0; base < kClients; base += 50) {
      std::size_t batch_done = 0;
      net::steady_timer batch_wake(io, net::steady_timer::time_point::max());
      const std::size_t n = std::min<std::size_t>(50, kClients - base);
      for (std::size_t i = base; i < base + n; ++i) {
        net::co_spawn(io, [&, i]() -> awaitable<void> {
          const KeyPair key = generate_key_pair();
          RelayConnectOptions o;
          o.timeout = std::chrono::seconds(30);
          auto c = co_await RelayConnection::connect(io.get_executor(), url, key, o);
          if (c) {
            conns[i] = *c;
            ++connected;
          } else {
            ++failed;
          }
          ++batch_done;
          batch_wake.cancel();
        }, net::detached);
      }
      while (batch_done < n) co_await batch_wake.async_wait(asio::nothrow);
    }
    CO_ASSERT_TRUE(failed == 0);
    CO_ASSERT_TRUE(connected == kClients);
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      pairs[i].sender = conns[2 * i];
      pairs[i].receiver = conns[2 * i + 1];
      pairs[i].wake = std::make_unique<net::steady_timer>(io);
      net::co_spawn(io, receive(pairs[i], done_pairs), net::detached);
      net::co_spawn(io, send(pairs[i]), net::detached);
    }
    while (done_pairs < pairs.size()) co_await sleep_for(std::chrono::milliseconds(50));
  }, [&] {
    for (auto& p : pairs) {
      if (p.sender) p.sender->close();
      if (p.receiver) p.receiver->close();
    }
  }, std::chrono::seconds(600));

  std::size_t received = 0;
  bool in_order = true;
  for (const auto& p : pairs) {
    received += p.received;
    in_order = in_order && !p.out_of_order;
  }
  EXPECT_EQ(received, kPacketsPerSender * pairs.size());
  EXPECT_TRUE(in_order);
  std::promise<DerpServerStats> stats;
  net::post(relay_io, [&] {
    stats.set_value((*server)->stats());
    (*server)->stop();
  });
  const auto s = stats.get_future().get();
  work.reset();
  relay_thread.join();
  EXPECT_EQ(s.core.packets_relayed, kPacketsPerSender * pairs.size());
  for (std::size_t i = 0; i < s.core.drops.size(); ++i) {
    EXPECT_EQ(s.core.drops[i], 0u) << to_string(static_cast<DropReason>(i));
  }
  std::printf("derp load: %zu clients, %zu packets relayed, drops 0\n", kClients, received);
}

}  // namespace
}  // namespace gquic::derp::testing
