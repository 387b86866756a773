#pragma once
// The wg-quick style configuration file `gquic wg up --config` reads (sans-IO: text in,
// a structured configuration or an error naming the line out):
//
//   [Interface]
//   PrivateKey = <base64>          ListenPort = 51820       FwMark = 0x10 | 16 | off
//   Address = 10.0.0.1/24, fd00::1/64                       MTU = 1420
//   [Peer]                          (any number)
//   PublicKey = <base64>           PresharedKey = <base64>
//   Endpoint = 192.0.2.1:51820 | [2001:db8::1]:51820        (numeric addresses only)
//   AllowedIPs = 10.0.0.0/24, fd00::/64                     PersistentKeepalive = 25 | off
//
// Keys are case-insensitive; '#' starts a comment; Address and AllowedIPs may repeat and
// accumulate. wg-quick's host-side keys (DNS, Table, PreUp, PostUp, PreDown, PostDown,
// SaveConfig) are accepted and ignored, each with a warning. Anything else is an error.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/socket_address.h"
#include "gquic/wireguard/allowed_ips.h"
#include "gquic/wireguard/keys.h"

namespace gquic::wireguard {

inline constexpr std::size_t kMaxConfigFileSize = 4 << 20;

struct InterfaceSection {
  std::optional<PrivateKey> private_key;
  std::optional<std::uint16_t> listen_port;
  std::optional<std::uint32_t> fwmark;
  std::vector<IpPrefix> addresses;  // the host's addresses on the interface (length kept)
  std::optional<std::size_t> mtu;
};

struct PeerSection {
  PublicKey public_key;
  std::optional<PresharedKey> preshared_key;
  std::optional<SocketAddress> endpoint;
  std::vector<IpPrefix> allowed_ips;
  std::uint16_t persistent_keepalive = 0;  // seconds; 0 is off
};

struct WgQuickConfig {
  InterfaceSection interface;
  std::vector<PeerSection> peers;
  std::vector<std::string> warnings;  // "line 4: DNS is ignored by gquic"
};

struct ConfigParseResult {
  std::optional<WgQuickConfig> config;
  std::string error;  // "line 7: PublicKey: not a base64 key"; empty on success
  explicit operator bool() const noexcept { return config.has_value(); }
};

ConfigParseResult parse_wg_config(std::string_view text);

// The UAPI `set` request that configures a device as `config` says (replacing its peers),
// ending with the empty line. Address and MTU are not part of it (the driver sets them).
std::string to_uapi_set(const WgQuickConfig& config);

}  // namespace gquic::wireguard
