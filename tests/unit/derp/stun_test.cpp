#include "gquic/derp/stun.h"

#include <gtest/gtest.h>

namespace gquic::derp::stun {
namespace {

using Bytes = std::vector<std::uint8_t>;

const TransactionId kTxid = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

TEST(Stun, RequestRoundTripAndFingerprint) {
  Bytes req = binding_request(kTxid, "tailnode");
  EXPECT_TRUE(looks_like_stun(req));
  EXPECT_EQ(req[0], 0x00);
  EXPECT_EQ(req[1], 0x01);
  EXPECT_EQ(req.size() % 4, 0u);
  auto txid = parse_binding_request(req);
  ASSERT_TRUE(txid) << txid.error().message();
  EXPECT_EQ(*txid, kTxid);
  // Any flipped bit before the fingerprint is caught.
  for (std::size_t i = 20; i < req.size() - 8; ++i) {
    Bytes bad = req;
    bad[i] ^= 0x01;
    EXPECT_FALSE(parse_binding_request(bad)) << i;
  }
}

TEST(Stun, FingerprintIsOptionalButMustBeLastAndRight) {
  // A bare request, as generic clients send it.
  Bytes bare = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  bare.insert(bare.end(), kTxid.begin(), kTxid.end());
  EXPECT_EQ(*parse_binding_request(bare), kTxid);
  // SOFTWARE only.
  Bytes req = binding_request(kTxid);
  req.resize(req.size() - 8);
  req[3] = static_cast<std::uint8_t>(req.size() - 20);
  EXPECT_TRUE(parse_binding_request(req));
  // FINGERPRINT followed by another attribute.
  Bytes late = binding_request(kTxid);
  late.insert(late.end(), {0x80, 0x22, 0x00, 0x00});
  late[3] = static_cast<std::uint8_t>(late.size() - 20);
  EXPECT_EQ(parse_binding_request(late).error(), Errc::malformed);
  // A response is not a request.
  EXPECT_FALSE(parse_binding_request(binding_response(kTxid, *SocketAddress::parse("1.2.3.4:5"))));
}

TEST(Stun, XorMappedAddressMatchesIndependentArithmetic) {
  // 192.0.2.1:32853 encoded by hand: port 32853 ^ 0x2112 = 0xa147, address
  // 0xc0000201 ^ 0x2112a442 = 0xe112a643.
  Bytes resp = {0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42};
  resp.insert(resp.end(), kTxid.begin(), kTxid.end());
  const Bytes attr = {0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43};
  resp.insert(resp.end(), attr.begin(), attr.end());
  auto r = parse_binding_response(resp);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->mapped.to_string(), "192.0.2.1:32853");
  EXPECT_EQ(r->txid, kTxid);
  EXPECT_EQ(binding_response(kTxid, r->mapped), resp);
}

TEST(Stun, ResponseRoundTripV6) {
  const auto mapped = *SocketAddress::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  auto r = parse_binding_response(binding_response(kTxid, mapped));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mapped, mapped);
}

TEST(Stun, MalformedResponses) {
  Bytes resp = binding_response(kTxid, *SocketAddress::parse("10.0.0.1:1"));
  for (std::size_t n = 0; n < resp.size(); ++n) {
    EXPECT_FALSE(parse_binding_response(std::span(resp).first(n))) << n;
  }
  Bytes wrong_cookie = resp;
  wrong_cookie[4] = 0;
  EXPECT_EQ(parse_binding_response(wrong_cookie).error(), Errc::malformed);
  Bytes bad_family = resp;
  bad_family[20 + 5] = 0x03;
  EXPECT_EQ(parse_binding_response(bad_family).error(), Errc::malformed);
  Bytes no_address = {0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  no_address.insert(no_address.end(), kTxid.begin(), kTxid.end());
  EXPECT_EQ(parse_binding_response(no_address).error(), Errc::not_found);
  EXPECT_FALSE(looks_like_stun(Bytes{0x40, 0, 0, 0}));
}

}  // namespace
}  // namespace gquic::derp::stun
