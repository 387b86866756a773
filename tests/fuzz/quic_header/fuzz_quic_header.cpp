// Fuzzes the QUIC invariant-header parser the UDP mux runs on every datagram. The first input
// byte picks the short-header CID length; the parser must never read outside the datagram and
// any CID it returns must lie inside it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/udp/quic_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cid_len = data[0] % 24;  // includes invalid lengths 21..23
  std::span<const std::uint8_t> datagram(data + 1, size - 1);
  auto h = gquic::udp::parse_quic_header(datagram, cid_len);
  (void)gquic::udp::looks_like_quic(datagram);
  if (h) {
    auto inside = [&](std::span<const std::uint8_t> s) {
      return s.empty() || (s.data() >= datagram.data() &&
                           s.data() + s.size() <= datagram.data() + datagram.size());
    };
    if (!inside(h->dcid) || !inside(h->scid)) std::abort();
    if (h->form == gquic::udp::HeaderForm::long_header && h->dcid.size() <= 20) {
      if (!gquic::udp::ConnectionId::from(h->dcid)) std::abort();
    }
  }
  return 0;
}
