// Loopback UDP throughput of gquic::udp::UdpSocket against plain one-datagram-per-syscall
// sendto(2)/recvfrom(2), measured in the same run:
//   OneAtATime  sendto/recvfrom, one 1200-byte datagram per system call (the baseline);
//   Mmsg        UdpSocket with GSO/GRO off: sendmmsg/recvmmsg batches of 32 datagrams;
//   GsoGro      UdpSocket with GSO and GRO: 64-segment transmits, GRO buffers.
// Each iteration sends a batch and drains the receiver in the same thread. Only datagrams the
// receiver got, with the right length, count (items = packets, bytes = their payload); a
// datagram that never arrives (receive buffer overflow) is counted in `lost`, not delivered.
// After the runs the ratios against OneAtATime are printed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "gquic/udp/udp_socket.h"

namespace {

using namespace gquic;
using namespace gquic::udp;

constexpr std::size_t kPayload = 1200;
constexpr int kRecvBuffer = 8 << 20;
constexpr int kLossWaitMs = 200;  // how long a missing datagram is waited for before it is lost

bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, kLossWaitMs) == 1;
}

void report(benchmark::State& state, std::uint64_t delivered, std::uint64_t lost) {
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  state.SetBytesProcessed(static_cast<std::int64_t>(delivered * kPayload));
  state.counters["lost"] = static_cast<double>(lost);
}

// --- baseline: plain sockets, one datagram per system call ---------------------------------

int plain_socket(sockaddr_in& addr) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int size = kRecvBuffer;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  addr = sockaddr_in{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void BM_OneAtATime(benchmark::State& state) {
  const std::size_t batch = static_cast<std::size_t>(state.range(0));
  sockaddr_in rx_addr{};
  sockaddr_in tx_addr{};
  const int rx = plain_socket(rx_addr);
  const int tx = plain_socket(tx_addr);
  if (rx < 0 || tx < 0) {
    state.SkipWithError("socket setup failed");
    return;
  }
  std::vector<std::uint8_t> out(kPayload, 0x5a);
  std::vector<std::uint8_t> in(2048);
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  for (auto _ : state) {
    std::size_t sent = 0;
    for (std::size_t i = 0; i < batch; ++i) {
      if (::sendto(tx, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&rx_addr),
                   sizeof rx_addr) == static_cast<ssize_t>(kPayload)) {
        ++sent;
      }
    }
    std::size_t got = 0;
    while (got < sent) {
      sockaddr_storage from;
      socklen_t from_len = sizeof from;  // a real receiver needs the peer's address
      const ssize_t n = ::recvfrom(rx, in.data(), in.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) {
        if (errno == EAGAIN && wait_readable(rx)) continue;
        if (errno == EAGAIN) break;
        state.SkipWithError("recvfrom failed");
        break;
      }
      ++got;
      if (static_cast<std::size_t>(n) == kPayload) ++delivered;
    }
    lost += sent - got;
  }
  report(state, delivered, lost);
  ::close(rx);
  ::close(tx);
}

// --- UdpSocket: sendmmsg/recvmmsg, with or without GSO/GRO ---------------------------------

struct Pair {
  UdpSocket rx;
  UdpSocket tx;
};

std::optional<Pair> open_pair(bool offload) {
  SocketConfig rc;
  rc.bind_address = SocketAddress(IpAddress::v4_loopback(), 0);
  rc.recv_buffer_size = kRecvBuffer;
  rc.enable_gro = offload;
  rc.enable_gso = offload;
  SocketConfig tc = rc;
  tc.recv_buffer_size = 0;
  tc.send_buffer_size = 4 << 20;
  auto rx = UdpSocket::open(rc);
  auto tx = UdpSocket::open(tc);
  if (!rx || !tx) return std::nullopt;
  return Pair{std::move(*rx), std::move(*tx)};
}

// Sends `transmits` (retrying what the kernel did not take) and drains the receiver until every
// datagram is in or kLossWaitMs passes without one.
bool run_round(benchmark::State& state, Pair& p, std::span<const Transmit> transmits,
               std::size_t datagrams, std::vector<std::span<std::uint8_t>>& bufs,
               std::vector<RecvMeta>& meta, std::uint64_t& delivered, std::uint64_t& lost) {
  std::size_t done = 0;
  while (done < transmits.size()) {
    auto r = p.tx.send(transmits.subspan(done));
    if (!r) {
      if (r.error() != Errc::would_block) {
        state.SkipWithError(("send: " + r.error().message()).c_str());
        return false;
      }
      break;  // counted as lost below
    }
    done += *r;
  }
  std::size_t got = 0;
  while (got < datagrams) {
    auto r = p.rx.recv(bufs, meta);
    if (!r) {
      if (r.error() == Errc::would_block && wait_readable(p.rx.native_handle())) continue;
      if (r.error() == Errc::would_block) break;
      state.SkipWithError(("recv: " + r.error().message()).c_str());
      return false;
    }
    for (std::size_t i = 0; i < *r; ++i) {
      for_each_datagram(bufs[i], meta[i], [&](std::span<const std::uint8_t> d) {
        ++got;
        if (d.size() == kPayload) ++delivered;
      });
    }
  }
  lost += datagrams > got ? datagrams - got : 0;
  return true;
}

void run_socket_bench(benchmark::State& state, bool offload, std::size_t transmits_per_round,
                      std::size_t segments_per_transmit, std::size_t recv_buffers,
                      std::size_t recv_buffer_size) {
  auto pair = open_pair(offload);
  if (!pair) {
    state.SkipWithError("socket setup failed");
    return;
  }
  if (offload && (!pair->tx.capabilities().gso || !pair->rx.capabilities().gro)) {
    state.SetLabel("kernel lacks GSO/GRO: per-segment fallback");
  }
  std::vector<std::uint8_t> out(segments_per_transmit * kPayload, 0x5a);
  std::vector<Transmit> transmits(transmits_per_round);
  for (auto& t : transmits) {
    t.destination = pair->rx.local_address();
    t.contents = out;
    t.segment_size = segments_per_transmit > 1 ? kPayload : 0;
  }
  std::vector<std::uint8_t> storage(recv_buffers * recv_buffer_size);
  std::vector<std::span<std::uint8_t>> bufs(recv_buffers);
  for (std::size_t i = 0; i < recv_buffers; ++i) {
    bufs[i] = std::span(storage).subspan(i * recv_buffer_size, recv_buffer_size);
  }
  std::vector<RecvMeta> meta(recv_buffers);
  const std::size_t datagrams = transmits_per_round * segments_per_transmit;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  for (auto _ : state) {
    if (!run_round(state, *pair, transmits, datagrams, bufs, meta, delivered, lost)) return;
  }
  report(state, delivered, lost);
  const auto& tx = pair->tx.counters();
  const auto& rx = pair->rx.counters();
  state.counters["sends/round"] =
      static_cast<double>(tx.send_calls) / static_cast<double>(state.iterations());
  state.counters["recvs/round"] =
      static_cast<double>(rx.recv_calls) / static_cast<double>(state.iterations());
}

void BM_Mmsg(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  run_socket_bench(state, /*offload=*/false, batch, 1, batch, 2048);
}

void BM_GsoGro(benchmark::State& state) {
  const auto transmits = static_cast<std::size_t>(state.range(0));
  run_socket_bench(state, /*offload=*/true, transmits, kMaxGsoSegments, 16, kMaxUdpPayload);
}

BENCHMARK(BM_OneAtATime)->Arg(32)->UseRealTime();
BENCHMARK(BM_Mmsg)->Arg(32)->UseRealTime();
BENCHMARK(BM_GsoGro)->Arg(2)->UseRealTime();

// Console output plus the delivered packet rates, for the ratios printed at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const std::string name = run.benchmark_name();
      rates_[name.substr(0, name.find('/'))] = it->second.value;
    }
  }
  void print_ratios() const {
    auto rate = [&](const char* name) {
      auto it = rates_.find(name);
      return it == rates_.end() ? 0.0 : it->second;
    };
    const double base = rate("BM_OneAtATime");
    if (base <= 0) return;
    std::printf("\ndelivered packets/s (1200-byte payloads):\n");
    for (const char* name : {"BM_OneAtATime", "BM_Mmsg", "BM_GsoGro"}) {
      std::printf("  %-14s %12.0f pkt/s %8.1f MB/s  ratio %.2fx\n", name, rate(name),
                  rate(name) * kPayload / 1e6, rate(name) / base);
    }
    std::printf("ratio mmsg / one-at-a-time    = %.2f\n", rate("BM_Mmsg") / base);
    std::printf("ratio gso+gro / one-at-a-time = %.2f (target >= 3)\n", rate("BM_GsoGro") / base);
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
