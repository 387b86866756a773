#include "gquic/wireguard/messages.h"

#include <gtest/gtest.h>

namespace gquic::wireguard {
namespace {

template <std::size_t N>
void fill(std::array<std::uint8_t, N>& a, std::uint8_t seed) {
  for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(seed + i);
}

// Every prefix of a valid message is rejected as truncated (or malformed below 4 bytes'
// worth of header), and one byte more is malformed.
template <typename Parse>
void expect_strict_size(std::span<const std::uint8_t> wire, Parse parse, bool exact) {
  for (std::size_t n = 0; n < wire.size(); ++n) {
    auto r = parse(wire.first(n));
    ASSERT_FALSE(r) << "length " << n;
    EXPECT_EQ(r.error(), make_error_code(Errc::truncated)) << "length " << n;
  }
  std::vector<std::uint8_t> longer(wire.begin(), wire.end());
  longer.push_back(0);
  EXPECT_EQ(static_cast<bool>(parse(longer)), !exact);
}

TEST(WgMessages, InitiationRoundTrip) {
  HandshakeInitiation m;
  m.sender_index = 0x11223344;
  fill(m.ephemeral, 1);
  fill(m.encrypted_static, 2);
  fill(m.encrypted_timestamp, 3);
  fill(m.mac1, 4);
  fill(m.mac2, 5);
  const auto wire = serialize(m);
  EXPECT_EQ(wire[0], 1);
  EXPECT_EQ(wire[4], 0x44);  // little-endian index
  auto back = parse_initiation(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sender_index, m.sender_index);
  EXPECT_EQ(back->ephemeral, m.ephemeral);
  EXPECT_EQ(back->encrypted_static, m.encrypted_static);
  EXPECT_EQ(back->encrypted_timestamp, m.encrypted_timestamp);
  EXPECT_EQ(back->mac1, m.mac1);
  EXPECT_EQ(back->mac2, m.mac2);
  expect_strict_size(wire, parse_initiation, true);
}

TEST(WgMessages, ResponseRoundTrip) {
  HandshakeResponse m;
  m.sender_index = 7;
  m.receiver_index = 0xdeadbeef;
  fill(m.ephemeral, 9);
  fill(m.encrypted_nothing, 10);
  fill(m.mac1, 11);
  fill(m.mac2, 12);
  const auto wire = serialize(m);
  auto back = parse_response(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sender_index, 7u);
  EXPECT_EQ(back->receiver_index, 0xdeadbeefu);
  EXPECT_EQ(back->ephemeral, m.ephemeral);
  EXPECT_EQ(back->encrypted_nothing, m.encrypted_nothing);
  EXPECT_EQ(back->mac1, m.mac1);
  EXPECT_EQ(back->mac2, m.mac2);
  expect_strict_size(wire, parse_response, true);
}

TEST(WgMessages, CookieReplyRoundTrip) {
  CookieReply m;
  m.receiver_index = 99;
  fill(m.nonce, 20);
  fill(m.encrypted_cookie, 30);
  const auto wire = serialize(m);
  auto back = parse_cookie_reply(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->receiver_index, 99u);
  EXPECT_EQ(back->nonce, m.nonce);
  EXPECT_EQ(back->encrypted_cookie, m.encrypted_cookie);
  expect_strict_size(wire, parse_cookie_reply, true);
}

TEST(WgMessages, TransportHeaderAndMinimumSize) {
  std::vector<std::uint8_t> wire(kTransportMinSize + 16, 0xab);
  serialize_transport_header({0x01020304, 0x1122334455667788ull}, wire);
  auto v = parse_transport(wire);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->header.receiver_index, 0x01020304u);
  EXPECT_EQ(v->header.counter, 0x1122334455667788ull);
  EXPECT_EQ(v->ciphertext.size(), 32u);
  EXPECT_EQ(v->ciphertext.data(), wire.data() + 16);
  expect_strict_size(std::span(wire).first(kTransportMinSize), parse_transport, false);
}

TEST(WgMessages, WrongTypeOrReservedBytesAreMalformed) {
  HandshakeInitiation m;
  auto wire = serialize(m);
  EXPECT_EQ(parse_response(wire).error(), make_error_code(Errc::malformed));
  wire[2] = 1;
  EXPECT_EQ(parse_initiation(wire).error(), make_error_code(Errc::malformed));
  wire[2] = 0;
  wire[0] = 5;
  EXPECT_EQ(peek_message_type(wire).error(), make_error_code(Errc::malformed));
  wire[0] = 0;
  EXPECT_FALSE(peek_message_type(wire));
}

}  // namespace
}  // namespace gquic::wireguard
