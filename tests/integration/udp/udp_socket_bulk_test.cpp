// Thousands of numbered datagrams over loopback through UdpSocket, every byte checked, each
// datagram seen exactly once: with GSO+GRO, with them disabled, and with GSO refused at send
// time (by the test seam and by the kernel itself), on 127.0.0.1 and ::1.
#include <netinet/udp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "udp_socket_test_util.h"

namespace gquic::udp {
namespace {

using testing::check_datagram;
using testing::fill_datagram;
using testing::recv_batch;
using testing::RecvBuffers;

constexpr std::uint32_t kDatagrams = 5000;
constexpr std::size_t kSegment = 1200;
constexpr std::size_t kTransmitsPerSend = 4;

enum class Mode {
  gso_gro,            // GSO on the sender, GRO on the receiver
  gso_only,           // GSO on the sender; the receiver's kernel splits them again
  disabled,           // neither: one datagram per segment from the start
  refused_by_seam,    // GSO on, the first super-datagram fails as if the kernel said EIO
  refused_by_kernel,  // GSO on, the kernel refuses it (zero-checksum sockets cannot do GSO)
};

struct Param {
  bool v6;
  Mode mode;
};

std::string name(const ::testing::TestParamInfo<Param>& info) {
  static const char* modes[] = {"GsoGro", "GsoOnly", "Disabled", "RefusedBySeam",
                                "RefusedByKernel"};
  return std::string(info.param.v6 ? "V6" : "V4") + modes[static_cast<int>(info.param.mode)];
}

// Transmits of varying segment counts; every third ends with a shorter datagram.
struct Plan {
  std::vector<std::vector<std::uint8_t>> contents;
  std::vector<std::size_t> datagrams;  // per transmit
};

Plan make_plan() {
  static constexpr std::size_t kCounts[] = {64, 64, 17, 1, 64, 40, 64, 3, 2, 64};
  Plan plan;
  std::uint32_t seq = 0;
  for (std::size_t t = 0; seq < kDatagrams; ++t) {
    const std::size_t count = std::min<std::size_t>(kCounts[t % std::size(kCounts)],
                                                    kDatagrams - seq);
    const bool short_last = t % 3 == 2;
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < count; ++i, ++seq) {
      const std::size_t len = (short_last && i + 1 == count) ? 6 + seq % 900 : kSegment;
      const std::size_t at = bytes.size();
      bytes.resize(at + len);
      fill_datagram(std::span(bytes).subspan(at, len), seq);
    }
    plan.contents.push_back(std::move(bytes));
    plan.datagrams.push_back(count);
  }
  return plan;
}

class UdpBulk : public ::testing::TestWithParam<Param> {};

TEST_P(UdpBulk, EveryDatagramArrivesOnceIntact) {
  const Param p = GetParam();
  const IpAddress loopback = p.v6 ? IpAddress::v6_loopback() : IpAddress::v4_loopback();

  SocketConfig rc;
  rc.bind_address = SocketAddress(loopback, 0);
  rc.recv_buffer_size = 8 << 20;
  rc.enable_gro = p.mode == Mode::gso_gro;
  SocketConfig sc;
  sc.bind_address = SocketAddress(loopback, 0);
  sc.send_buffer_size = 4 << 20;
  sc.enable_gso = p.mode != Mode::disabled;
  sc.enable_gro = false;

  auto receiver = UdpSocket::open(rc);
  ASSERT_TRUE(receiver) << receiver.error().message();
  auto sender = UdpSocket::open(sc);
  ASSERT_TRUE(sender) << sender.error().message();
  const bool gso = sender->capabilities().gso;
  const bool gro = receiver->capabilities().gro;
  if (!gso && p.mode != Mode::disabled) {
    std::printf("note: kernel lacks GSO; this run exercises the per-segment path only\n");
  }

  if (p.mode == Mode::refused_by_seam) sender->refuse_gso_for_testing(1);
  if (p.mode == Mode::refused_by_kernel) {
    // Without UDP checksums the kernel refuses UDP_SEGMENT with EINVAL (udp_send_skb).
    const int one = 1;
    if (p.v6) {
      ASSERT_EQ(::setsockopt(sender->native_handle(), SOL_UDP, UDP_NO_CHECK6_TX, &one,
                             sizeof one), 0);
      ASSERT_EQ(::setsockopt(receiver->native_handle(), SOL_UDP, UDP_NO_CHECK6_RX, &one,
                             sizeof one), 0);
    } else {
      ASSERT_EQ(::setsockopt(sender->native_handle(), SOL_SOCKET, SO_NO_CHECK, &one,
                             sizeof one), 0);
    }
  }

  const Plan plan = make_plan();
  std::vector<Transmit> transmits(plan.contents.size());
  for (std::size_t i = 0; i < transmits.size(); ++i) {
    transmits[i].destination = receiver->local_address();
    transmits[i].contents = plan.contents[i];
    transmits[i].segment_size = kSegment;
  }

  RecvBuffers bufs(64);
  std::vector<int> seen(kDatagrams, 0);
  std::size_t received = 0;
  std::size_t bad = 0;
  std::size_t expected = 0;  // datagrams in transmits the sender reported sent
  auto drain_until = [&](std::size_t target) {
    while (received < target) {
      const std::size_t n = recv_batch(*receiver, bufs);
      if (n == 0) return false;  // the hang guard fired: something was lost
      for (std::size_t i = 0; i < n; ++i) {
        for_each_datagram(bufs.spans[i], bufs.meta[i], [&](std::span<const std::uint8_t> d) {
          ++received;
          const std::int64_t seq = check_datagram(d);
          if (seq < 0 || seq >= kDatagrams) {
            ++bad;
          } else {
            ++seen[static_cast<std::size_t>(seq)];
          }
          EXPECT_EQ(bufs.meta[i].source, sender->local_address());
        });
      }
    }
    return true;
  };

  std::size_t next = 0;
  while (next < transmits.size()) {
    const std::size_t n = std::min(kTransmitsPerSend, transmits.size() - next);
    auto sent = sender->send(std::span(transmits).subspan(next, n));
    if (!sent) {
      ASSERT_EQ(sent.error(), Errc::would_block) << sent.error().message();
    } else {
      for (std::size_t i = 0; i < *sent; ++i) expected += plan.datagrams[next + i];
      next += *sent;
    }
    ASSERT_TRUE(drain_until(expected)) << "only " << received << " of " << expected
                                       << " datagrams arrived";
  }

  // Nothing more may be queued: every datagram exactly once.
  auto extra = receiver->recv(bufs.spans, bufs.meta);
  EXPECT_EQ(extra.error(), Errc::would_block);
  EXPECT_EQ(bad, 0u);
  std::size_t missing = 0;
  std::size_t duplicated = 0;
  for (int c : seen) {
    missing += c == 0;
    duplicated += c > 1;
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(duplicated, 0u);
  EXPECT_EQ(received, kDatagrams);

  const SocketCounters& tx = sender->counters();
  const SocketCounters& rx = receiver->counters();
  EXPECT_EQ(tx.datagrams_sent, kDatagrams);
  EXPECT_EQ(rx.datagrams_received, kDatagrams);
  EXPECT_EQ(tx.bytes_sent, rx.bytes_received);
  EXPECT_EQ(rx.truncated_payload, 0u);
  EXPECT_EQ(rx.truncated_control, 0u);
  std::printf("sends=%llu gso_sends=%llu gso_segments=%llu fallbacks=%llu recv_calls=%llu "
              "gro_receives=%llu gro_segments=%llu\n",
              static_cast<unsigned long long>(tx.send_calls),
              static_cast<unsigned long long>(tx.gso_sends),
              static_cast<unsigned long long>(tx.gso_segments),
              static_cast<unsigned long long>(tx.gso_fallbacks),
              static_cast<unsigned long long>(rx.recv_calls),
              static_cast<unsigned long long>(rx.gro_receives),
              static_cast<unsigned long long>(rx.gro_segments));

  switch (p.mode) {
    case Mode::gso_gro:
    case Mode::gso_only:
      EXPECT_EQ(tx.gso_fallbacks, 0u);
      EXPECT_FALSE(sender->gso_disabled_at_runtime());
      if (gso) {
        EXPECT_GT(tx.gso_sends, 0u);
        // 64 x 1200 bytes exceed one IP packet, so such transmits take two super-datagrams.
        EXPECT_GT(tx.gso_sends, plan.contents.size() / 2);
      }
      if (p.mode == Mode::gso_gro && gso && gro) {
        EXPECT_GT(rx.gro_receives, 0u);  // loopback keeps a GSO packet whole for a GRO socket
        EXPECT_LT(rx.recv_calls, kDatagrams / 4);
      } else {
        EXPECT_EQ(rx.gro_receives, 0u);
      }
      break;
    case Mode::disabled:
      EXPECT_EQ(tx.gso_sends, 0u);
      EXPECT_EQ(tx.gso_fallbacks, 0u);
      EXPECT_EQ(rx.gro_receives, 0u);
      break;
    case Mode::refused_by_seam:
    case Mode::refused_by_kernel:
      if (gso) {
        EXPECT_EQ(tx.gso_fallbacks, 1u);
        EXPECT_TRUE(sender->gso_disabled_at_runtime());
      }
      EXPECT_EQ(tx.gso_sends, 0u);
      EXPECT_EQ(rx.gro_receives, 0u);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Loopback, UdpBulk,
    ::testing::Values(Param{false, Mode::gso_gro}, Param{true, Mode::gso_gro},
                      Param{false, Mode::gso_only}, Param{true, Mode::gso_only},
                      Param{false, Mode::disabled}, Param{true, Mode::disabled},
                      Param{false, Mode::refused_by_seam}, Param{true, Mode::refused_by_seam},
                      Param{false, Mode::refused_by_kernel}, Param{true, Mode::refused_by_kernel}),
    name);

}  // namespace
}  // namespace gquic::udp
