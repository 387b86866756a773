// Fuzzes the STUN parsers a relay and a node run on untrusted datagrams. A response that
// parses must re-encode to a response that parses to the same address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gquic/derp/stun.h"

using namespace gquic::derp::stun;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> d(data, size);
  (void)looks_like_stun(d);
  (void)parse_binding_request(d);
  if (auto r = parse_binding_response(d)) {
    auto again = parse_binding_response(binding_response(r->txid, r->mapped));
    if (!again || !(again->mapped == r->mapped)) std::abort();
  }
  return 0;
}
