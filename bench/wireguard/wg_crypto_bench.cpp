// WireGuard data path against its crypto bound, measured in the same run:
//   BM_SodiumSeal1420    libsodium ChaCha20-Poly1305 (IETF) seal of a 1420-byte packet: the
//                        bound no WireGuard implementation can beat
//   BM_DeviceEncrypt1420 the full DeviceCore path for the same packet: route lookup, staging,
//                        padding, header, seal, Transmit
//   ratio = DeviceEncrypt time / SodiumSeal time (1.0 would be free framing).
//   BM_ResponderHandshake  mac1 check + consume initiation + create response + derive keys:
//                        handshakes per second one core can answer.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstring>
#include <vector>

#include "gquic/wireguard/cookie.h"
#include "gquic/wireguard/device_core.h"
#include "gquic/wireguard/noise.h"

using namespace gquic;
using namespace gquic::wireguard;

namespace {

constexpr std::size_t kPacket = 1420;

std::vector<std::uint8_t> ip_packet() {
  std::vector<std::uint8_t> p(kPacket, 0x5a);
  p[0] = 0x45;
  p[2] = kPacket >> 8;
  p[3] = kPacket & 0xff;
  const std::uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  std::memcpy(p.data() + 12, src, 4);
  std::memcpy(p.data() + 16, dst, 4);
  return p;
}

void BM_SodiumSeal1420(benchmark::State& state) {
  if (sodium_init() < 0) state.SkipWithError("sodium_init");
  std::uint8_t key[32] = {1};
  std::vector<std::uint8_t> buf(16 + kPacket + 16);
  const auto pkt = ip_packet();
  std::uint64_t counter = 0;
  for (auto _ : state) {
    std::uint8_t nonce[12] = {};
    std::memcpy(nonce + 4, &counter, 8);
    ++counter;
    std::memcpy(buf.data() + 16, pkt.data(), kPacket);
    unsigned long long clen = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(buf.data() + 16, &clen, buf.data() + 16, kPacket,
                                              nullptr, 0, nullptr, nonce, key);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPacket));
}
BENCHMARK(BM_SodiumSeal1420);

void BM_DeviceEncrypt1420(benchmark::State& state) {
  DeterministicRandom ra(1), rb(2);
  const PrivateKey ka = generate_private_key(ra), kb = generate_private_key(rb);
  DeviceConfig ca, cb;
  ca.private_key = ka;
  cb.private_key = kb;
  DeviceCore a(ca, ra), b(cb, rb);
  const SocketAddress aa(IpAddress::v4_loopback(), 1), ab(IpAddress::v4_loopback(), 2);
  (void)a.add_peer({*public_key_from_private(kb),
                    std::nullopt,
                    ab,
                    {*IpPrefix::parse("10.0.0.2/32")},
                    std::nullopt});
  (void)b.add_peer({*public_key_from_private(ka),
                    std::nullopt,
                    std::nullopt,
                    {*IpPrefix::parse("10.0.0.1/32")},
                    std::nullopt});
  const TimePoint now{std::chrono::seconds(1000)};
  const auto pkt = ip_packet();
  // Handshake once.
  a.handle_tun_packet(now, pkt);
  for (int round = 0; round < 4; ++round) {
    while (auto t = a.poll_transmit()) b.handle_datagram(now, aa, t->bytes);
    while (auto t = b.poll_transmit()) a.handle_datagram(now, ab, t->bytes);
  }
  if (!a.peer_info(1)->has_session) state.SkipWithError("no session");
  std::int64_t sent = 0;
  for (auto _ : state) {
    a.handle_tun_packet(now, pkt);
    auto t = a.poll_transmit();
    benchmark::DoNotOptimize(t);
    sent += t ? 1 : 0;
  }
  if (sent != state.iterations()) state.SkipWithError("packets missing");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPacket));
}
BENCHMARK(BM_DeviceEncrypt1420);

void BM_ResponderHandshake(benchmark::State& state) {
  DeterministicRandom rng(3);
  const auto initiator = *LocalStatic::from_private(generate_private_key(rng));
  const auto responder = *LocalStatic::from_private(generate_private_key(rng));
  const RemoteStatic r_at_i = RemoteStatic::make(initiator, responder.public_key, std::nullopt);
  const RemoteStatic i_at_r = RemoteStatic::make(responder, initiator.public_key, std::nullopt);
  HandshakeState hs;
  auto init = create_initiation(initiator, r_at_i, hs, 1,
                                Tai64n::from_unix(std::chrono::seconds(1'700'000'000)), rng);
  auto wire = serialize(*init);
  CookieGenerator gen(responder.public_key);
  gen.add_macs(TimePoint{}, wire);
  CookieChecker checker(responder.public_key);
  for (auto _ : state) {
    if (!checker.check_mac1(wire)) state.SkipWithError("mac1");
    auto msg = parse_initiation(wire);
    auto consumed = consume_initiation(responder, *msg, [&](const PublicKey&) { return &i_at_r; });
    if (!consumed) state.SkipWithError("consume");
    auto resp = create_response(responder, i_at_r, consumed->state, 2, rng);
    auto keys = derive_transport_keys(consumed->state);
    benchmark::DoNotOptimize(resp);
    benchmark::DoNotOptimize(keys);
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResponderHandshake);

// Under load the responder answers an initiation without a valid mac2 with a cookie reply
// instead of the DH work: mac1 check, mac2 check (fails), cookie reply. Read against
// BM_ResponderHandshake of the same run: initiations per second with and without cookies.
void BM_ResponderCookieReplyUnderLoad(benchmark::State& state) {
  DeterministicRandom rng(3);
  const auto initiator = *LocalStatic::from_private(generate_private_key(rng));
  const auto responder = *LocalStatic::from_private(generate_private_key(rng));
  const RemoteStatic r_at_i = RemoteStatic::make(initiator, responder.public_key, std::nullopt);
  HandshakeState hs;
  auto init = create_initiation(initiator, r_at_i, hs, 1,
                                Tai64n::from_unix(std::chrono::seconds(1'700'000'000)), rng);
  auto wire = serialize(*init);
  CookieGenerator gen(responder.public_key);
  gen.add_macs(TimePoint{}, wire);
  CookieChecker checker(responder.public_key);
  const SocketAddress from(IpAddress::v4(0xc0000207), 51820);
  const TimePoint now{std::chrono::seconds(1000)};
  for (auto _ : state) {
    if (!checker.check_mac1(wire)) state.SkipWithError("mac1");
    if (checker.check_mac2(now, wire, from, rng)) state.SkipWithError("mac2 unexpectedly valid");
    auto reply = checker.make_reply(now, wire, 1, from, rng);
    benchmark::DoNotOptimize(reply);
  }
  state.counters["initiations/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResponderCookieReplyUnderLoad);

}  // namespace

BENCHMARK_MAIN();
