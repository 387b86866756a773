#include "gquic/wireguard/cookie.h"

#include <gtest/gtest.h>

#include "gquic/wireguard/noise.h"

namespace gquic::wireguard {
namespace {

using namespace std::chrono_literals;

class WgCookie : public ::testing::Test {
 protected:
  DeterministicRandom rng{5};
  PublicKey responder = *public_key_from_private(generate_private_key(rng));
  CookieChecker checker{responder};
  CookieGenerator generator{responder};
  SocketAddress from{IpAddress::v4(0x7f000001), 5555};
  TimePoint t0{std::chrono::seconds(1000)};

  std::array<std::uint8_t, kInitiationSize> message() {
    HandshakeInitiation m;
    m.sender_index = 77;
    rng.fill(m.ephemeral);
    return serialize(m);
  }
};

TEST_F(WgCookie, Mac1IsCheckedAndBoundToResponderKey) {
  auto msg = message();
  EXPECT_FALSE(checker.check_mac1(msg));
  generator.add_macs(t0, msg);
  EXPECT_TRUE(checker.check_mac1(msg));
  CookieChecker other(*public_key_from_private(generate_private_key(rng)));
  EXPECT_FALSE(other.check_mac1(msg));
  msg[10] ^= 1;
  EXPECT_FALSE(checker.check_mac1(msg));
}

TEST_F(WgCookie, CookieRoundTripEnablesMac2) {
  auto msg = message();
  generator.add_macs(t0, msg);
  EXPECT_FALSE(checker.check_mac2(t0, msg, from, rng));
  const CookieReply reply = checker.make_reply(t0, msg, 77, from, rng);
  auto wire = serialize(reply);
  auto parsed = parse_cookie_reply(wire);
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(generator.consume_reply(t0 + 1s, *parsed));
  EXPECT_TRUE(generator.has_fresh_cookie(t0 + 1s));

  auto retry = message();
  generator.add_macs(t0 + 2s, retry);
  EXPECT_TRUE(checker.check_mac1(retry));
  EXPECT_TRUE(checker.check_mac2(t0 + 2s, retry, from, rng));
  // Bound to the source address and port.
  EXPECT_FALSE(
      checker.check_mac2(t0 + 2s, retry, SocketAddress(IpAddress::v4(0x7f000001), 5556), rng));
  // The cookie expires after two minutes on the initiator.
  EXPECT_FALSE(generator.has_fresh_cookie(t0 + 1s + kCookieRefreshTime));
  // And the responder's secret rotates.
  EXPECT_FALSE(checker.check_mac2(t0 + kCookieRefreshTime, retry, from, rng));
}

TEST_F(WgCookie, ReplyForOtherMessageOrTamperedIsRejected) {
  auto msg = message();
  generator.add_macs(t0, msg);
  auto other = message();
  other[20] ^= 1;
  CookieGenerator g2(responder);
  g2.add_macs(t0, other);
  const CookieReply reply_to_other = checker.make_reply(t0, other, 77, from, rng);
  EXPECT_FALSE(generator.consume_reply(t0, reply_to_other));
  CookieReply reply = checker.make_reply(t0, msg, 77, from, rng);
  reply.encrypted_cookie[0] ^= 1;
  EXPECT_FALSE(generator.consume_reply(t0, reply));
  CookieGenerator fresh(responder);  // never sent anything
  EXPECT_FALSE(fresh.consume_reply(t0, checker.make_reply(t0, msg, 77, from, rng)));
}

}  // namespace
}  // namespace gquic::wireguard
