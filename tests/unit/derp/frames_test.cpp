#include "gquic/derp/frames.h"

#include <gtest/gtest.h>

namespace gquic::derp {
namespace {

using Bytes = std::vector<std::uint8_t>;

Key key(std::uint8_t fill) {
  Key k;
  k.fill(fill);
  return k;
}

TEST(DerpFrames, WriteThenReadEveryKnownType) {
  Bytes stream;
  const Key a = key(0xaa), b = key(0xbb);
  const Bytes packet = {1, 2, 3, 4, 5};
  Bytes magic_and_key(kMagic.size() + kKeyLen);
  std::copy(kMagic.begin(), kMagic.end(), magic_and_key.begin());
  std::copy(a.begin(), a.end(), magic_and_key.begin() + kMagic.size());
  write_frame(stream, FrameType::server_key, magic_and_key);
  write_frame(stream, FrameType::send_packet, {std::span(b), std::span(packet)});
  write_frame(stream, FrameType::forward_packet, {std::span(a), std::span(b), std::span(packet)});
  write_frame(stream, FrameType::keep_alive, Bytes{});
  const Bytes ping = {1, 2, 3, 4, 5, 6, 7, 8};
  write_frame(stream, FrameType::ping, ping);

  FrameReader r;
  // Feed one byte at a time: frames appear only once complete.
  std::vector<Frame> frames;
  for (std::uint8_t byte : stream) {
    r.feed(std::span(&byte, 1));
    for (;;) {
      auto f = r.next();
      ASSERT_TRUE(f);
      if (!*f) break;
      frames.push_back(std::move(**f));
    }
  }
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(r.buffered(), 0u);

  auto sk = parse_server_key(frames[0].payload);
  ASSERT_TRUE(sk);
  EXPECT_EQ(sk->server_key, a);
  auto sp = parse_keyed_packet(frames[1].payload);
  ASSERT_TRUE(sp);
  EXPECT_EQ(sp->key, b);
  EXPECT_EQ(Bytes(sp->packet.begin(), sp->packet.end()), packet);
  auto fp = parse_forward_packet(frames[2].payload);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->source, a);
  EXPECT_EQ(fp->destination, b);
  EXPECT_EQ(frames[3].type, static_cast<std::uint8_t>(FrameType::keep_alive));
  EXPECT_TRUE(frames[3].payload.empty());
  auto pg = parse_ping(frames[4].payload);
  ASSERT_TRUE(pg);
  EXPECT_EQ((*pg)[7], 8);
}

TEST(DerpFrames, OversizedLengthIsFatal) {
  FrameReader r;
  const Bytes header = {0x04, 0x00, 0x01, 0x00, 0x21};  // 65569 > 32 + 65536
  r.feed(header);
  auto f = r.next();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error(), Errc::message_too_large);

  FrameReader k;
  const Bytes keepalive_with_payload = {0x06, 0, 0, 0, 1, 0};
  k.feed(keepalive_with_payload);
  EXPECT_EQ(k.next().error(), Errc::message_too_large);
}

TEST(DerpFrames, UnknownTypesAreReturnedToBeSkipped) {
  FrameReader r;
  const Bytes unknown = {0x7f, 0, 0, 0, 2, 9, 9, 0x06, 0, 0, 0, 0};
  r.feed(unknown);
  auto f1 = r.next();
  ASSERT_TRUE(f1 && *f1);
  EXPECT_FALSE(is_known((*f1)->type));
  auto f2 = r.next();
  ASSERT_TRUE(f2 && *f2);
  EXPECT_EQ((*f2)->type, 0x06);
}

TEST(DerpFrames, ServerKeyChecksMagicAndAllowsExtraBytes) {
  Bytes p(kMagic.begin(), kMagic.end());
  p.resize(8 + 32 + 5, 0x11);
  EXPECT_TRUE(parse_server_key(p));
  p[0] = 'X';
  EXPECT_EQ(parse_server_key(p).error(), Errc::malformed);
  EXPECT_EQ(parse_server_key(std::span(p).first(39)).error(), Errc::truncated);
}

TEST(DerpFrames, PeerGoneWithAndWithoutReason) {
  Bytes p(32, 0x42);
  auto g = parse_peer_gone(p);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->reason, PeerGoneReason::disconnected);
  p.push_back(0x01);
  EXPECT_EQ(parse_peer_gone(p)->reason, PeerGoneReason::not_here);
  EXPECT_EQ(parse_peer_gone(std::span(p).first(31)).error(), Errc::truncated);
}

TEST(DerpFrames, PeerPresentForms) {
  PeerPresent in{key(7), SocketAddress::parse("192.0.2.9:41641").value(),
                 PeerPresentFlags::mesh_peer};
  const Bytes wire = encode_peer_present(in);
  ASSERT_EQ(wire.size(), 51u);
  EXPECT_EQ(wire[32 + 10], 0xff);  // v4-mapped
  auto out = parse_peer_present(wire);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->key, in.key);
  ASSERT_TRUE(out->address);
  EXPECT_EQ(out->address->to_string(), "192.0.2.9:41641");
  EXPECT_EQ(out->flags, PeerPresentFlags::mesh_peer);
  // The 32-byte and 50-byte forms older servers send.
  EXPECT_FALSE(parse_peer_present(std::span(wire).first(32))->address);
  auto fifty = parse_peer_present(std::span(wire).first(50));
  ASSERT_TRUE(fifty);
  EXPECT_EQ(fifty->flags, 0);
  EXPECT_EQ(parse_peer_present(std::span(wire).first(40)).error(), Errc::truncated);
  PeerPresent v6{key(8), SocketAddress::parse("[2001:db8::1]:7").value(), 0};
  EXPECT_EQ(parse_peer_present(encode_peer_present(v6))->address->to_string(), "[2001:db8::1]:7");
}

TEST(DerpFrames, SmallPayloadsAreStrict) {
  EXPECT_EQ(*parse_note_preferred(Bytes{1}), true);
  EXPECT_EQ(*parse_note_preferred(Bytes{0}), false);
  EXPECT_FALSE(parse_note_preferred(Bytes{}));
  EXPECT_FALSE(parse_note_preferred(Bytes{1, 1}));
  EXPECT_FALSE(parse_ping(Bytes(7, 0)));
  EXPECT_TRUE(parse_ping(Bytes(1000, 0)));
  EXPECT_FALSE(parse_ping(Bytes(1001, 0)));
  EXPECT_FALSE(parse_key_only(Bytes(33, 0)));
  EXPECT_TRUE(parse_key_only(Bytes(32, 0)));
  auto rs = parse_restarting(Bytes{0, 0, 0x03, 0xe8, 0, 0, 0x27, 0x10});
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs->reconnect_in_ms, 1000u);
  EXPECT_EQ(rs->try_for_ms, 10000u);
  EXPECT_FALSE(parse_client_info(Bytes(32 + 24 + 15, 0)));
  EXPECT_TRUE(parse_client_info(Bytes(32 + 24 + 16, 0)));
}

TEST(DerpFrames, ReaderStaysBounded) {
  FrameReader r;
  Bytes stream;
  const Bytes packet(60000, 0x5a);
  const Key dst = key(1);
  for (int i = 0; i < 40; ++i) write_frame(stream, FrameType::send_packet, {std::span(dst), std::span(packet)});
  std::size_t frames = 0;
  for (std::size_t off = 0; off < stream.size(); off += 4096) {
    r.feed(std::span(stream).subspan(off, std::min<std::size_t>(4096, stream.size() - off)));
    while (true) {
      auto f = r.next();
      ASSERT_TRUE(f);
      if (!*f) break;
      ++frames;
    }
    EXPECT_LT(r.buffered(), 60000u + 32 + 5 + 4096);
  }
  EXPECT_EQ(frames, 40u);
}

}  // namespace
}  // namespace gquic::derp
