// wg-quick style configuration files: every key, errors naming the line, and the UAPI request
// built from a file configuring a DeviceCore.
#include "gquic/wireguard/config_file.h"

#include <gtest/gtest.h>

#include "gquic/wireguard/uapi.h"

namespace gquic::wireguard {
namespace {

constexpr std::string_view kPriv = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
constexpr std::string_view kPub = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
constexpr std::string_view kPsk = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";

std::string full_config() {
  return std::string("# a comment\n[Interface]\nPrivateKey = ") + std::string(kPriv) +
         "\nListenPort = 51820  # trailing comment\nAddress = 10.0.0.1/24, fd00::1/64\n"
         "MTU = 1380\nfwmark = 0x10\nDNS = 1.1.1.1\n\n[Peer]\nPublicKey = " +
         std::string(kPub) + "\nPresharedKey=" + std::string(kPsk) +
         "\nEndpoint = 192.0.2.1:51820\nAllowedIPs = 10.0.0.2/32, 10.9.0.0/16\n"
         "AllowedIPs = fd00::/64\nPersistentKeepalive = 25\n\n[peer]\npublickey = " +
         std::string(kPub) + "\nEndpoint = [2001:db8::1]:4000\nPersistentKeepalive = off\n";
}

TEST(WgConfigFile, ParsesEveryKey) {
  auto r = parse_wg_config(full_config());
  ASSERT_TRUE(r) << r.error;
  const auto& c = *r.config;
  ASSERT_TRUE(c.interface.private_key);
  EXPECT_EQ(to_base64(*c.interface.private_key), kPriv);
  EXPECT_EQ(c.interface.listen_port, 51820);
  EXPECT_EQ(c.interface.fwmark, 16u);
  EXPECT_EQ(c.interface.mtu, 1380u);
  ASSERT_EQ(c.interface.addresses.size(), 2u);
  EXPECT_EQ(c.interface.addresses[0].to_string(), "10.0.0.1/24");  // host bits kept
  EXPECT_EQ(c.interface.addresses[1].to_string(), "fd00::1/64");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "line 8: DNS is ignored by gquic");
  ASSERT_EQ(c.peers.size(), 2u);
  EXPECT_EQ(to_base64(c.peers[0].public_key), kPub);
  ASSERT_TRUE(c.peers[0].preshared_key);
  EXPECT_EQ(to_base64(*c.peers[0].preshared_key), kPsk);
  EXPECT_EQ(c.peers[0].endpoint, *SocketAddress::parse("192.0.2.1:51820"));
  ASSERT_EQ(c.peers[0].allowed_ips.size(), 3u);
  EXPECT_EQ(c.peers[0].allowed_ips[2].to_string(), "fd00::/64");
  EXPECT_EQ(c.peers[0].persistent_keepalive, 25);
  EXPECT_EQ(c.peers[1].endpoint, *SocketAddress::parse("[2001:db8::1]:4000"));
  EXPECT_EQ(c.peers[1].persistent_keepalive, 0);
}

TEST(WgConfigFile, ErrorsNameTheLine) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::string iface = "[Interface]\n";
  const std::vector<Case> cases = {
      {"PrivateKey = x\n", "line 1: PrivateKey outside a section"},
      {iface + "PrivateKey = nope\n", "line 2: PrivateKey: not a base64 key"},
      {iface + "ListenPort = 99999\n", "line 2: ListenPort: not a port number"},
      {iface + "Address = 10.0.0.1/40\n", "line 2: Address: bad address 10.0.0.1/40"},
      {iface + "MTU = 10\n", "line 2: MTU: not a number in 576-65535"},
      {iface + "Colour = blue\n", "line 2: unknown [Interface] key Colour"},
      {iface + "just words\n", "line 2: expected Key = Value"},
      {iface + "[Peer]\nEndpoint = 1.2.3.4:5\n", "line 2: [Peer] without PublicKey"},
      {iface + "[Peer]\nPublicKey = " + std::string(kPub) + "\nEndpoint = host.example:5\n",
       "line 4: Endpoint: expected ip:port or [ipv6]:port (numeric)"},
      {iface + "[Peer]\nAllowedIPs = 10.0.0.0/8, bogus\n", "line 3: AllowedIPs: bad prefix bogus"},
      {iface + "[Peer]\nPersistentKeepalive = -1\n",
       "line 3: PersistentKeepalive: not a number of seconds in 0-65535"},
      {iface + "[Interface]\n", "line 2: a second [Interface] section"},
      {iface + "[Tunnel]\n", "line 2: unknown section [Tunnel]"},
      {"", "no [Interface] section"},
  };
  for (const auto& c : cases) {
    auto r = parse_wg_config(c.text);
    EXPECT_FALSE(r) << c.text;
    EXPECT_EQ(r.error, c.error) << c.text;
  }
  EXPECT_FALSE(parse_wg_config(std::string(kMaxConfigFileSize + 1, '#')));
}

TEST(WgConfigFile, KeylessInterfaceIsValid) {
  auto r = parse_wg_config("[Interface]\nListenPort = 0\n");
  ASSERT_TRUE(r) << r.error;
  EXPECT_FALSE(r.config->interface.private_key);
  EXPECT_EQ(to_uapi_set(*r.config),
            "set=1\nprivate_key=" + std::string(64, '0') +
                "\nlisten_port=0\nreplace_peers=true\n\n");
}

TEST(WgConfigFile, UapiRequestConfiguresADevice) {
  auto r = parse_wg_config(full_config());
  ASSERT_TRUE(r) << r.error;
  DeterministicRandom rng(1);
  DeviceCore dev(DeviceConfig{}, rng);
  UapiDeviceSettings settings;
  UapiSession session(dev, settings);
  std::string out;
  session.receive(to_uapi_set(*r.config), out);
  EXPECT_EQ(out, "errno=0\n\n");
  EXPECT_EQ(settings.listen_port, 51820);
  EXPECT_EQ(settings.fwmark, 16u);
  EXPECT_EQ(to_base64(dev.private_key()), kPriv);
  // The second [Peer] names the same key: it updates the first (endpoint, keepalive off),
  // as `wg setconf` would.
  ASSERT_EQ(dev.peer_count(), 1u);
  auto info = dev.peer_info(dev.peer_ids()[0]);
  EXPECT_EQ(info->endpoint, *SocketAddress::parse("[2001:db8::1]:4000"));
  EXPECT_FALSE(info->persistent_keepalive);
  EXPECT_TRUE(info->allowed_ips.empty());  // replace_allowed_ips of the second section
}

}  // namespace
}  // namespace gquic::wireguard
