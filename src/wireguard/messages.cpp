// Parsing and serialization of WireGuard messages; byte layouts in messages.h.
#include "gquic/wireguard/messages.h"

#include <algorithm>
#include <cstring>

namespace gquic::wireguard {
namespace {

std::uint32_t load32(const std::uint8_t* p) noexcept {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}
std::uint64_t load64(const std::uint8_t* p) noexcept {
  return std::uint64_t(load32(p)) | std::uint64_t(load32(p + 4)) << 32;
}
void store32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void store64(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
template <std::size_t N>
void take(std::array<std::uint8_t, N>& dst, const std::uint8_t* src) noexcept {
  std::memcpy(dst.data(), src, N);
}
template <std::size_t N>
void put(std::uint8_t* dst, const std::array<std::uint8_t, N>& src) noexcept {
  std::memcpy(dst, src.data(), N);
}
void put_header(std::uint8_t* p, MessageType t) noexcept {
  p[0] = static_cast<std::uint8_t>(t);
  p[1] = p[2] = p[3] = 0;
}

// Checks the header and the exact (or minimum) size of a message of type `t`.
Result<void> check(std::span<const std::uint8_t> d, MessageType t, std::size_t size, bool exact) {
  auto type = peek_message_type(d);
  if (!type) return type.error();
  if (*type != t) return Errc::malformed;
  if (d.size() < size) return Errc::truncated;
  if (exact && d.size() != size) return Errc::malformed;
  return {};
}

}  // namespace

Result<MessageType> peek_message_type(std::span<const std::uint8_t> d) {
  if (d.size() < 4) return Errc::truncated;
  if (d[1] != 0 || d[2] != 0 || d[3] != 0) return Errc::malformed;
  if (d[0] < 1 || d[0] > 4) return Errc::malformed;
  return static_cast<MessageType>(d[0]);
}

Result<HandshakeInitiation> parse_initiation(std::span<const std::uint8_t> d) {
  if (auto r = check(d, MessageType::handshake_initiation, kInitiationSize, true); !r)
    return r.error();
  const std::uint8_t* p = d.data();
  HandshakeInitiation m;
  m.sender_index = load32(p + 4);
  take(m.ephemeral, p + 8);
  take(m.encrypted_static, p + 40);
  take(m.encrypted_timestamp, p + 88);
  take(m.mac1, p + 116);
  take(m.mac2, p + 132);
  return m;
}

Result<HandshakeResponse> parse_response(std::span<const std::uint8_t> d) {
  if (auto r = check(d, MessageType::handshake_response, kResponseSize, true); !r) return r.error();
  const std::uint8_t* p = d.data();
  HandshakeResponse m;
  m.sender_index = load32(p + 4);
  m.receiver_index = load32(p + 8);
  take(m.ephemeral, p + 12);
  take(m.encrypted_nothing, p + 44);
  take(m.mac1, p + 60);
  take(m.mac2, p + 76);
  return m;
}

Result<CookieReply> parse_cookie_reply(std::span<const std::uint8_t> d) {
  if (auto r = check(d, MessageType::cookie_reply, kCookieReplySize, true); !r) return r.error();
  const std::uint8_t* p = d.data();
  CookieReply m;
  m.receiver_index = load32(p + 4);
  take(m.nonce, p + 8);
  take(m.encrypted_cookie, p + 32);
  return m;
}

Result<TransportView> parse_transport(std::span<const std::uint8_t> d) {
  if (auto r = check(d, MessageType::transport_data, kTransportMinSize, false); !r)
    return r.error();
  TransportView v;
  v.header.receiver_index = load32(d.data() + 4);
  v.header.counter = load64(d.data() + 8);
  v.ciphertext = d.subspan(kTransportHeaderSize);
  return v;
}

std::array<std::uint8_t, kInitiationSize> serialize(const HandshakeInitiation& m) {
  std::array<std::uint8_t, kInitiationSize> out{};
  std::uint8_t* p = out.data();
  put_header(p, MessageType::handshake_initiation);
  store32(p + 4, m.sender_index);
  put(p + 8, m.ephemeral);
  put(p + 40, m.encrypted_static);
  put(p + 88, m.encrypted_timestamp);
  put(p + 116, m.mac1);
  put(p + 132, m.mac2);
  return out;
}

std::array<std::uint8_t, kResponseSize> serialize(const HandshakeResponse& m) {
  std::array<std::uint8_t, kResponseSize> out{};
  std::uint8_t* p = out.data();
  put_header(p, MessageType::handshake_response);
  store32(p + 4, m.sender_index);
  store32(p + 8, m.receiver_index);
  put(p + 12, m.ephemeral);
  put(p + 44, m.encrypted_nothing);
  put(p + 60, m.mac1);
  put(p + 76, m.mac2);
  return out;
}

std::array<std::uint8_t, kCookieReplySize> serialize(const CookieReply& m) {
  std::array<std::uint8_t, kCookieReplySize> out{};
  std::uint8_t* p = out.data();
  put_header(p, MessageType::cookie_reply);
  store32(p + 4, m.receiver_index);
  put(p + 8, m.nonce);
  put(p + 32, m.encrypted_cookie);
  return out;
}

void serialize_transport_header(const TransportHeader& h, std::span<std::uint8_t> out) noexcept {
  if (out.size() < kTransportHeaderSize) return;
  put_header(out.data(), MessageType::transport_data);
  store32(out.data() + 4, h.receiver_index);
  store64(out.data() + 8, h.counter);
}

}  // namespace gquic::wireguard
