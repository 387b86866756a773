#pragma once
// The UAPI socket of a WireGuard interface: a UNIX stream socket (by convention
// /var/run/wireguard/<ifname>.sock) that serves the `get=1`/`set=1` text protocol (uapi.h) to
// the stock `wg` tool. One coroutine accepts, one per connection reads requests, answers
// them, and tells the device driver that its configuration may have changed.

#include <functional>
#include <memory>
#include <string>

#include "gquic/core/asio.h"
#include "gquic/core/error.h"
#include "gquic/wireguard/uapi.h"

namespace gquic::wireguard {

class UapiServer {
 public:
  // Creates the directory (0755) and the socket (0600). A stale socket file is replaced; one
  // a live process answers on is already_exists.
  static Result<std::unique_ptr<UapiServer>> open(asio::net::io_context& io, std::string path,
                                                  DeviceCore& device,
                                                  UapiDeviceSettings& settings,
                                                  std::function<void()> on_change);
  ~UapiServer();
  UapiServer(const UapiServer&) = delete;
  UapiServer& operator=(const UapiServer&) = delete;

  const std::string& path() const noexcept { return path_; }
  void start();
  // Closes the listener and every connection, removes the socket file.
  void stop();

 private:
  struct State;
  UapiServer(std::unique_ptr<State> state, std::string path);
  std::shared_ptr<State> state_;
  std::string path_;
};

// The conventional socket path of an interface.
std::string uapi_socket_path(std::string_view dir, std::string_view ifname);

}  // namespace gquic::wireguard
