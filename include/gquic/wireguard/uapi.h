#pragma once
// The cross-platform WireGuard UAPI: the text protocol the stock `wg` tool speaks over a UNIX
// stream socket (/var/run/wireguard/<ifname>.sock) to userspace implementations. Sans-IO: the
// server driver feeds the bytes it reads into a UapiSession and writes back what it returns.
//
// A connection carries any number of requests, each ended by an empty line:
//   get=1\n\n                   -> "private_key=<hex>\nlisten_port=N\n...errno=0\n\n"
//   set=1\n<key>=<value>\n...\n -> "errno=0\n\n", or "errno=<E>\n\n" at the first bad line
// Keys and 32-byte values are lowercase hex. `set` lines apply in order, as they arrive:
//   device:  private_key (zeros: none), listen_port, fwmark, replace_peers=true
//   peer:    public_key (starts a peer section; creates the peer unless update_only follows),
//            remove=true, update_only=true, preshared_key, endpoint (ip:port, [v6]:port),
//            persistent_keepalive_interval (seconds), replace_allowed_ips=true,
//            allowed_ip (prefix; a leading '-' removes it), protocol_version (must be 1)
// `get` reports per peer: public_key, preshared_key, protocol_version, endpoint,
// last_handshake_time_sec/nsec (Unix time), tx_bytes, rx_bytes,
// persistent_keepalive_interval, allowed_ip (one line each).
// Errors are positive errno values, as the `wg` tool expects: EINVAL for a bad key or value,
// EPROTO for a line that is not key=value or an unknown operation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/wireguard/device_core.h"

namespace gquic::wireguard {

inline constexpr std::size_t kUapiMaxLine = 4096;

// Settings that belong to the driver (the UDP socket), not to DeviceCore.
struct UapiDeviceSettings {
  std::uint16_t listen_port = 0;
  std::uint32_t fwmark = 0;
  friend bool operator==(const UapiDeviceSettings&, const UapiDeviceSettings&) = default;
};

// `get`: the device's configuration and per-peer statistics, ended by "errno=0\n\n".
std::string uapi_get(const DeviceCore& device, const UapiDeviceSettings& settings);
// The reply to a finished `set`.
std::string uapi_errno_reply(int error);

// Applies the lines of one `set` operation in order and remembers the peer section.
class UapiSetter {
 public:
  UapiSetter(DeviceCore& device, UapiDeviceSettings& settings) noexcept
      : device_(device), settings_(settings) {}
  // 0, or the errno of the first bad line (then later lines are ignored).
  int apply(std::string_view key, std::string_view value);
  int error() const noexcept { return error_; }

 private:
  int apply_device(std::string_view key, std::string_view value);
  int apply_peer(std::string_view key, std::string_view value);

  DeviceCore& device_;
  UapiDeviceSettings& settings_;
  bool in_peer_ = false;
  std::optional<PeerId> peer_;  // nullopt inside a section that is ignored (removed, self)
  bool peer_created_ = false;
  int error_ = 0;
};

// One client connection: frames requests, applies them, produces replies.
class UapiSession {
 public:
  UapiSession(DeviceCore& device, UapiDeviceSettings& settings) noexcept
      : device_(device), settings_(settings) {}
  // Consumes bytes from the client; replies (possibly several) are appended to `out`.
  void receive(std::string_view bytes, std::string& out);
  // True once the connection should be closed (a protocol error was answered).
  bool closed() const noexcept { return closed_; }

 private:
  void handle_line(std::string_view line, std::string& out);

  enum class State : std::uint8_t { op, get_end, set_lines };
  DeviceCore& device_;
  UapiDeviceSettings& settings_;
  State state_ = State::op;
  std::string line_;
  std::optional<UapiSetter> setter_;
  bool closed_ = false;
};

}  // namespace gquic::wireguard
