// Loopback QUIC throughput and handshake rate, compared in the same run with
//   * raw GSO/GRO UDP (gquic::udp::UdpSocket, 64 x 1452-byte segments): the physical bound;
//   * Debian's gtlsserver -> gtlsclient (ngtcp2 1.11 examples, HTTP/3) downloading the same
//     number of bytes: the same QUIC library with its example I/O.
// gquic's client and server run in this process on one io_context (one thread), so their CPU
// time is the process's; gtls* CPU is the two child processes' (wait4 rusage), summed.
//
//   gquic_bench_quic [BYTES] [HANDSHAKES]     defaults 1 GiB, 500
//
// It prints one line per measurement and the ratios; nothing is asserted.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gquic/quic/perf_driver.h"

namespace {

using namespace gquic;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

double process_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Measure {
  double wall = 0, cpu = 0;
  std::uint64_t bytes = 0;
  bool ok = false;
  double gbps() const { return wall > 0 ? static_cast<double>(bytes) * 8 / wall / 1e9 : 0; }
  double cpu_per_gb() const { return bytes ? cpu / (static_cast<double>(bytes) / 1e9) : 0; }
};

void print(const char* name, const Measure& m) {
  std::printf("%-26s %s %8.3f Gbit/s  %7.3f s wall  %7.3f CPU s/GB  (%llu bytes)\n", name,
              m.ok ? "ok  " : "FAIL", m.gbps(), m.wall, m.cpu_per_gb(),
              static_cast<unsigned long long>(m.bytes));
}

// --- raw GSO UDP -----------------------------------------------------------------------------

Measure raw_gso(std::uint64_t bytes) {
  Measure m;
  const SocketAddress lo(IpAddress::v4_loopback(), 0);
  auto rx = udp::UdpSocket::open({.bind_address = lo, .recv_buffer_size = 8 << 20});
  auto tx = udp::UdpSocket::open({.bind_address = lo, .send_buffer_size = 8 << 20});
  if (!rx || !tx) return m;
  constexpr std::size_t kSeg = 1452, kSegs = 44;  // 44 x 1452 fits one IPv4 super-datagram
  std::vector<std::uint8_t> payload(kSeg * kSegs, 0x5a);
  std::vector<std::uint8_t> storage(16 * udp::kMaxUdpPayload);
  std::vector<std::span<std::uint8_t>> bufs;
  for (int i = 0; i < 16; ++i) {
    bufs.push_back(std::span(storage).subspan(i * udp::kMaxUdpPayload, udp::kMaxUdpPayload));
  }
  std::vector<udp::RecvMeta> meta(16);
  const udp::Transmit t{.destination = rx->local_address(), .contents = payload,
                        .segment_size = kSeg};
  const auto start = Clock::now();
  const double cpu0 = process_cpu();
  std::uint64_t got = 0;
  auto last_progress = Clock::now();
  while (got < bytes && seconds_since(last_progress) < 2.0) {
    for (int i = 0; i < 4; ++i) (void)tx->send(std::span(&t, 1));
    for (;;) {
      auto n = rx->recv(bufs, meta);
      if (!n || *n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) got += meta[i].len;
      last_progress = Clock::now();
    }
  }
  m.wall = seconds_since(start);
  m.cpu = process_cpu() - cpu0;
  m.bytes = got;
  m.ok = got >= bytes;
  return m;
}

// --- gquic perf --------------------------------------------------------------------------------

std::shared_ptr<quic::TlsContext> server_tls() {
  static auto ctx = [] {
    quic::SelfSignedConfig sc;
    sc.ips = {IpAddress::v4_loopback()};
    sc.alpn = {quic::kPerfAlpn, "h3"};
    return *quic::TlsContext::server_self_signed(sc);
  }();
  return ctx;
}

quic::ConnectionConfig perf_config(quic::CongestionControl cc) {
  quic::ConnectionConfig c;
  c.server_name = "127.0.0.1";
  c.max_udp_payload = 1452;
  c.stream_receive_window = 4 << 20;
  c.connection_receive_window = 16 << 20;
  c.stream_send_buffer = 4 << 20;
  c.congestion_control = cc;
  return c;
}

Measure gquic_download(std::uint64_t bytes, quic::CongestionControl cc) {
  Measure m;
  net::io_context io;
  quic::EndpointConfig ec;
  ec.connection = perf_config(cc);
  const SocketAddress lo(IpAddress::v4_loopback(), 0);
  auto server = quic::EndpointDriver::server(io, server_tls(), ec, {.bind = lo});
  auto client = quic::EndpointDriver::client(io, {.bind = lo});
  if (!server || !client) return m;
  net::co_spawn(io, quic::perf_serve(**server), net::detached);
  auto tls = *quic::TlsContext::client({.insecure_skip_verify = true, .alpn = {quic::kPerfAlpn}});
  const double cpu0 = process_cpu();
  net::co_spawn(io, [&]() -> asio::awaitable<void> {
    const auto cfg = perf_config(cc);
    auto r = co_await quic::perf_run(**client, tls, cfg, (*server)->local_address(),
                                     {.download = bytes, .upload = 0, .streams = 1});
    if (r) {
      m.ok = r->downloaded == bytes;
      m.bytes = r->downloaded;
      m.wall = std::chrono::duration<double>(r->transfer).count();
    } else {
      std::fprintf(stderr, "gquic perf failed: %s\n", r.error().message().c_str());
    }
    io.stop();
  }, net::detached);
  io.run();
  m.cpu = process_cpu() - cpu0;
  return m;
}

double handshakes_per_second(int n) {
  net::io_context io;
  const SocketAddress lo(IpAddress::v4_loopback(), 0);
  auto server = quic::EndpointDriver::server(io, server_tls(), {}, {.bind = lo});
  if (!server) return 0;
  auto tls = *quic::TlsContext::client({.insecure_skip_verify = true, .alpn = {quic::kPerfAlpn}});
  int done = 0;
  const auto start = Clock::now();
  net::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < n; ++i) {
      auto client = quic::EndpointDriver::client(io, {.bind = lo});
      if (!client) break;
      const auto cfg = perf_config(quic::CongestionControl::cubic);
      auto c = co_await (*client)->connect(tls, cfg, (*server)->local_address());
      if (!c) break;
      c->close(0);
      co_await net::post(io, net::use_awaitable);
      ++done;
    }
    io.stop();
  }, net::detached);
  // Accept (and so forget) every connection.
  net::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (;;) {
      auto c = co_await (*server)->accept();
      if (!c) co_return;
    }
  }, net::detached);
  io.run();
  const double s = seconds_since(start);
  return s > 0 ? done / s : 0;
}

// --- gtlsserver -> gtlsclient ------------------------------------------------------------------

pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

double cpu_of(const rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Measure gtls_download(std::uint64_t bytes) {
  Measure m;
  if (access("/usr/sbin/gtlsserver", X_OK) != 0 || access("/usr/bin/gtlsclient", X_OK) != 0) {
    std::printf("gtlsserver/gtlsclient missing (apt-get install ngtcp2-server ngtcp2-client)\n");
    return m;
  }
  const auto dir = std::filesystem::temp_directory_path() /
                   ("gquic-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "www");
  std::ofstream(dir / "cert.pem") << server_tls()->certificate_pem();
  std::ofstream(dir / "key.pem") << server_tls()->private_key_pem();
  { std::ofstream blob(dir / "www" / "blob"); }
  std::filesystem::resize_file(dir / "www" / "blob", bytes);
  const std::string port = std::to_string(20000 + getpid() % 20000);
  const pid_t server = spawn({"/usr/sbin/gtlsserver", "-q", "--no-quic-dump", "--no-http-dump",
                              "-d", (dir / "www").string(), "127.0.0.1", port,
                              (dir / "key.pem").string(), (dir / "cert.pem").string()});
  usleep(300'000);
  const auto start = Clock::now();
  const pid_t client = spawn({"/usr/bin/gtlsclient", "-q", "--no-quic-dump", "--no-http-dump",
                              "--exit-on-all-streams-close", "127.0.0.1", port,
                              "https://127.0.0.1:" + port + "/blob"});
  int status = 0;
  rusage cru{}, sru{};
  wait4(client, &status, 0, &cru);
  m.wall = seconds_since(start);
  kill(server, SIGTERM);
  int sstatus = 0;
  wait4(server, &sstatus, 0, &sru);
  m.cpu = cpu_of(cru) + cpu_of(sru);
  m.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  m.bytes = m.ok ? bytes : 0;
  std::filesystem::remove_all(dir);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t bytes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : (1ull << 30);
  const int handshakes = argc > 2 ? std::atoi(argv[2]) : 500;
  std::printf("loopback download of %llu bytes\n", static_cast<unsigned long long>(bytes));
  const Measure raw = raw_gso(bytes);
  print("raw GSO UDP", raw);
  const Measure cubic = gquic_download(bytes, quic::CongestionControl::cubic);
  print("gquic perf (cubic)", cubic);
  const Measure bbr = gquic_download(bytes, quic::CongestionControl::bbr2);
  print("gquic perf (bbr2)", bbr);
  const Measure gtls = gtls_download(bytes);
  print("gtlsserver->gtlsclient h3", gtls);
  auto ratio = [](const Measure& a, const Measure& b) {
    return b.gbps() > 0 && a.ok ? a.gbps() / b.gbps() : 0.0;
  };
  std::printf("ratio gquic(cubic)/raw UDP: %.3f   gquic(bbr2)/raw UDP: %.3f\n", ratio(cubic, raw),
              ratio(bbr, raw));
  std::printf("ratio gquic(cubic)/gtls: %.3f  CPU s/GB gquic %.3f vs gtls %.3f (both sides)\n",
              ratio(cubic, gtls), cubic.cpu_per_gb(), gtls.cpu_per_gb());
  std::printf("handshakes/s (1-RTT, client+server on one thread): %.1f\n",
              handshakes_per_second(handshakes));
  return cubic.ok && bbr.ok ? 0 : 1;
}
