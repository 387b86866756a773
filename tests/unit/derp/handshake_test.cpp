#include "gquic/derp/handshake.h"

#include <gtest/gtest.h>

namespace gquic::derp {
namespace {

TEST(DerpHandshake, ClientInfoRoundTrip) {
  const KeyPair server = generate_key_pair();
  const KeyPair client = generate_key_pair();
  EXPECT_EQ(public_key_of(server.private_key), server.public_key);
  ClientInfo info;
  info.mesh_key = *parse_mesh_key(std::string(64, 'a'));
  info.app_name = "gquic-test";
  const auto payload = *seal_client_info(client, server.public_key, info);
  auto opened = open_client_info(server, payload);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(opened->client_key, client.public_key);
  EXPECT_EQ(opened->info.version, 2);
  ASSERT_TRUE(opened->info.mesh_key);
  EXPECT_TRUE(mesh_keys_equal(*opened->info.mesh_key, *info.mesh_key));
  EXPECT_EQ(opened->info.app_name, "gquic-test");
  EXPECT_TRUE(opened->info.can_ack_pings);
}

TEST(DerpHandshake, ClientInfoForAnotherServerFailsToOpen) {
  const KeyPair server = generate_key_pair();
  const KeyPair other = generate_key_pair();
  const KeyPair client = generate_key_pair();
  const auto payload = *seal_client_info(client, other.public_key, {});
  EXPECT_EQ(open_client_info(server, payload).error(), Errc::malformed);
  // A flipped bit anywhere in the box fails too.
  auto tampered = *seal_client_info(client, server.public_key, {});
  tampered.back() ^= 1;
  EXPECT_EQ(open_client_info(server, tampered).error(), Errc::malformed);
  EXPECT_EQ(open_client_info(server, std::span(tampered).first(40)).error(), Errc::truncated);
}

TEST(DerpHandshake, ServerInfoRoundTripWithTokenBucket) {
  const KeyPair server = generate_key_pair();
  const KeyPair client = generate_key_pair();
  ServerInfo si;
  si.token_bucket_bytes_per_second = 1 << 20;
  si.token_bucket_bytes_burst = 1 << 22;
  auto opened = open_server_info(client, server.public_key,
                                 *seal_server_info(server, client.public_key, si));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->version, 2);
  EXPECT_EQ(opened->token_bucket_bytes_per_second, 1u << 20);
  EXPECT_EQ(opened->token_bucket_bytes_burst, 1u << 22);
}

TEST(DerpHandshake, SmallOrderKeysAreRefused) {
  const KeyPair client = generate_key_pair();
  const Key zero{};  // the identity point: libsodium refuses to box to it
  auto sealed = seal_client_info(client, zero, {});
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error(), Errc::invalid_argument);
}

TEST(DerpHandshake, MeshKeys) {
  EXPECT_FALSE(parse_mesh_key("abcd"));
  EXPECT_FALSE(parse_mesh_key(std::string(64, 'z')));
  auto a = parse_mesh_key(std::string(64, '0'));
  auto b = parse_mesh_key(std::string(63, '0') + "1");
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(mesh_keys_equal(*a, *b));
  EXPECT_TRUE(mesh_keys_equal(*a, *a));
}

}  // namespace
}  // namespace gquic::derp
