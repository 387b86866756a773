// Fuzzes the server-side QUIC endpoint core (quic::Endpoint over ngtcp2 + GnuTLS) with
// arbitrary datagrams. Input: a sequence of [u16 big-endian length][bytes] records, each fed
// as one UDP payload 10 ms after the previous one; every transmit is drained and timers run.
// The seed corpus holds a real client Initial so the fuzzer starts inside a handshake.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "gquic/quic/endpoint.h"

namespace {

std::shared_ptr<gquic::quic::TlsContext> server_tls() {
  static auto ctx = [] {
    gquic::quic::SelfSignedConfig cfg;
    cfg.alpn = {"gquic-fuzz"};
    return *gquic::quic::TlsContext::server_self_signed(cfg);
  }();
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono_literals;
  gquic::quic::EndpointConfig cfg;
  auto rng = std::make_shared<std::mt19937_64>(size);
  cfg.connection.random = [rng](std::span<std::uint8_t> out) {
    for (auto& b : out) b = static_cast<std::uint8_t>((*rng)());
  };
  cfg.max_connections = 4;
  gquic::quic::Endpoint ep(server_tls(), cfg);
  const gquic::quic::Path path{
      gquic::SocketAddress(gquic::IpAddress::v4(0x0a000002), 443),
      gquic::SocketAddress(gquic::IpAddress::v4(0x0a000001), 5000)};
  gquic::TimePoint now{1000s};
  std::vector<std::uint8_t> buf(1500);
  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const std::size_t len = std::min<std::size_t>((data[pos] << 8) | data[pos + 1], size - pos - 2);
    pos += 2;
    (void)ep.handle_datagram(now, path, std::span(data + pos, len));
    pos += len;
    for (int i = 0; i < 64 && ep.poll_transmit(now, buf); ++i) {
    }
    while (ep.poll_event()) {
    }
    now += 10ms;
    if (auto d = ep.next_deadline(); d && *d <= now) ep.handle_timeout(now);
  }
  // Let every connection time out so teardown paths run too.
  now += 120s;
  ep.handle_timeout(now);
  return 0;
}
