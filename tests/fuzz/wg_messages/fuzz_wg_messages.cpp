// Fuzzes the WireGuard message parsers: each must accept exactly the valid sizes, never read
// outside the datagram, and re-serialize a parsed message to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "gquic/wireguard/cookie.h"
#include "gquic/wireguard/messages.h"

using namespace gquic::wireguard;

namespace {
template <typename Msg, std::size_t N>
void same_bytes(const Msg& m, std::span<const std::uint8_t> d) {
  const auto out = serialize(m);
  if (d.size() != N || std::memcmp(out.data(), d.data(), N) != 0) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> d(data, size);
  (void)peek_message_type(d);
  if (auto m = parse_initiation(d)) same_bytes<HandshakeInitiation, kInitiationSize>(*m, d);
  if (auto m = parse_response(d)) same_bytes<HandshakeResponse, kResponseSize>(*m, d);
  if (auto m = parse_cookie_reply(d)) same_bytes<CookieReply, kCookieReplySize>(*m, d);
  if (auto v = parse_transport(d)) {
    if (v->ciphertext.size() + kTransportHeaderSize != size ||
        v->ciphertext.data() != data + kTransportHeaderSize)
      std::abort();
  }
  (void)mac_offsets(size);
  return 0;
}
