// Fuzzes the DERP frame reader (fed in pieces the first byte chooses) and every typed parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/derp/frames.h"

using namespace gquic::derp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  FrameReader reader;
  while (!rest.empty()) {
    const std::size_t n = std::min(chunk, rest.size());
    reader.feed(rest.first(n));
    rest = rest.subspan(n);
    for (;;) {
      auto f = reader.next();
      if (!f) return 0;  // fatal stream error: the connection would close
      if (!*f) break;
      const Frame& frame = **f;
      if (frame.payload.size() > max_payload(frame.type)) std::abort();
      const std::span<const std::uint8_t> p(frame.payload);
      (void)parse_server_key(p);
      (void)parse_client_info(p);
      (void)parse_server_info(p);
      if (auto k = parse_keyed_packet(p); k && k->packet.size() > kMaxPacketSize) std::abort();
      (void)parse_forward_packet(p);
      (void)parse_peer_gone(p);
      if (auto pp = parse_peer_present(p); pp && pp->address) {
        (void)encode_peer_present(*pp);
      }
      (void)parse_key_only(p);
      (void)parse_note_preferred(p);
      (void)parse_ping(p);
      (void)parse_restarting(p);
    }
  }
  return 0;
}
