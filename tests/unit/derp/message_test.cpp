// The message envelope and the outbound priority queue.
#include "gquic/derp/message.h"

#include <gtest/gtest.h>

namespace gquic::derp {
namespace {

DerpMessage msg(std::uint64_t id, std::uint8_t prio, std::uint64_t ts = 1000, std::uint32_t ttl = 0) {
  DerpMessage m;
  m.id = id;
  m.message_type = 7;
  m.priority = prio;
  m.timestamp = ts;
  m.ttl = ttl;
  m.payload = {1, 2, 3};
  return m;
}

TEST(DerpMessage, EnvelopeRoundTrip) {
  const DerpMessage m = msg(0x0102030405060708ull, 9, 1'700'000'000'000ull, 5000);
  const auto bytes = encode_envelope(m);
  ASSERT_EQ(bytes.size(), kEnvelopeHeaderLen + 3);
  auto back = decode_envelope(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->message_type, 7);
  EXPECT_EQ(back->priority, 9);
  EXPECT_EQ(back->timestamp, m.timestamp);
  EXPECT_EQ(back->ttl, 5000u);
  EXPECT_EQ(back->payload, m.payload);
}

TEST(DerpMessage, BadEnvelopes) {
  auto bytes = encode_envelope(msg(1, 1));
  EXPECT_EQ(decode_envelope(std::span(bytes).first(kEnvelopeHeaderLen - 1)).error(),
            make_error_code(Errc::truncated));
  for (std::size_t at : {0u, 4u, 7u}) {
    auto b = bytes;
    b[at] ^= 0xff;
    EXPECT_EQ(decode_envelope(b).error(), make_error_code(Errc::malformed)) << at;
  }
}

TEST(DerpMessage, Expiry) {
  EXPECT_FALSE(expired(msg(1, 0, 1000, 0), 1'000'000));
  EXPECT_FALSE(expired(msg(1, 0, 1000, 10), 1010));
  EXPECT_TRUE(expired(msg(1, 0, 1000, 10), 1011));
}

TEST(DerpMessage, QueueOrdersByPriorityThenAge) {
  OutboundQueue q(10);
  EXPECT_TRUE(q.push(msg(1, 0)));
  EXPECT_TRUE(q.push(msg(2, 5)));
  EXPECT_TRUE(q.push(msg(3, 0)));
  EXPECT_TRUE(q.push(msg(4, 5)));
  std::vector<std::uint64_t> order;
  while (auto m = q.pop(1000)) order.push_back(m->id);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{2, 4, 1, 3}));
}

TEST(DerpMessage, QueueDropsExpiredAndLowestWhenFull) {
  OutboundQueue q(2);
  EXPECT_TRUE(q.push(msg(1, 1, 1000, 5)));  // expires at 1005
  EXPECT_TRUE(q.push(msg(2, 3)));
  EXPECT_TRUE(q.push(msg(3, 2)));           // full: the priority-1 message goes
  EXPECT_FALSE(q.push(msg(4, 0)));          // lower than everything queued: refused
  EXPECT_EQ(q.dropped(MessageDrop::queue_full), 2u);
  EXPECT_EQ(q.pop(2000)->id, 2u);
  EXPECT_EQ(q.pop(2000)->id, 3u);
  EXPECT_FALSE(q.pop(2000));
  OutboundQueue e(4);
  EXPECT_TRUE(e.push(msg(5, 1, 1000, 5)));
  EXPECT_FALSE(e.pop(2000));
  EXPECT_EQ(e.dropped(MessageDrop::expired), 1u);
  DerpMessage big = msg(6, 0);
  big.payload.resize(kMaxMessagePayload + 1);
  EXPECT_FALSE(e.push(big));
  EXPECT_EQ(e.dropped(MessageDrop::too_large), 1u);
}

}  // namespace
}  // namespace gquic::derp
