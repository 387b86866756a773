// Fuzzes the DerpMessage envelope a client parses from relayed packets: whatever decodes must
// re-encode to the same bytes, and the outbound queue must stay within its bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>

#include "gquic/derp/message.h"

using namespace gquic::derp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> d(data, size);
  auto m = decode_envelope(d);
  if (!m) return 0;
  const auto again = encode_envelope(*m);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  OutboundQueue q(4);
  for (int i = 0; i < 6; ++i) {
    DerpMessage copy = *m;
    copy.priority = static_cast<std::uint8_t>(m->priority + i);
    (void)q.push(std::move(copy));
    if (q.size() > 4) std::abort();
  }
  while (q.pop(m->timestamp)) {
  }
  return 0;
}
