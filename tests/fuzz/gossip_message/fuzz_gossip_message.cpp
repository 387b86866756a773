// Fuzzes the gossip packet parser and a SwimCore fed untrusted datagrams and push-pull frames.
// A packet that parses must re-serialize to bytes that parse to the same packet.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/gossip/messages.h"
#include "gquic/gossip/service_record.h"
#include "gquic/gossip/swim_core.h"

using namespace gquic::gossip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> d(data, size);
  if (auto p = parse(d)) {
    auto again = parse(serialize(*p));
    if (!again || !(*again == *p)) std::abort();
  }
  (void)decode_service_record(d);
  static DeterministicRandom rng(1);
  static const gquic::TimePoint t0{std::chrono::seconds(1000)};
  SwimConfig c;
  c.name = "fuzz";
  c.max_members = 64;
  c.max_registrations = 64;
  SwimCore core(c, rng, t0);
  gquic::SocketAddress from(gquic::IpAddress::v4(0x7f000002u), 7946);
  core.handle_datagram(t0, from, d);
  (void)core.handle_stream(t0, from, d);
  core.handle_stream_reply(t0, from, d);
  core.handle_timeout(t0 + std::chrono::seconds(5));
  while (core.poll_transmit()) {}
  while (core.poll_event()) {}
  if (core.members().size() > 65) std::abort();
  return 0;
}
