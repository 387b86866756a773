#pragma once
// DeviceDriver: a WireGuard interface on Linux. It owns a TUN interface (tun_io.h), a UDP
// socket (gquic::udp::UdpSocket, GSO/GRO), the UAPI socket (uapi_server.h) and a DeviceCore,
// and runs one set of coroutines on one io_context:
//   * TUN reader: a batch of packets -> DeviceCore::handle_tun_packet -> flush
//   * UDP reader: a batch of datagrams (GRO split) -> DeviceCore::handle_datagram -> flush
//   * timer: one steady_timer re-armed from DeviceCore::next_deadline()
// flush drains the core: datagrams go out in sendmmsg batches, runs of equal-size datagrams to
// one endpoint as GSO super-datagrams; decrypted packets are written to TUN. Backpressure
// (EAGAIN) waits for writability; a single flusher keeps packet order.
// The driver stops by itself when the interface is deleted (`gquic wg down`, `ip link del`).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gquic/core/asio.h"
#include "gquic/core/error.h"
#include "gquic/wireguard/device_core.h"
#include "gquic/wireguard/uapi.h"

namespace gquic::wireguard {

struct DeviceDriverConfig {
  std::string ifname;
  std::size_t mtu = 1420;
  std::uint16_t listen_port = 0;                // 0: the kernel picks one
  std::string uapi_dir = "/var/run/wireguard";  // empty: no UAPI socket
  std::size_t batch = 64;                       // packets per TUN read / datagrams per recv
};

struct DriverCounters {
  std::uint64_t udp_would_block = 0;    // sends that waited for the socket to drain
  std::uint64_t udp_send_errors = 0;    // datagrams dropped by a send error
  std::uint64_t tun_would_block = 0;
  std::uint64_t rebinds = 0;            // listen_port changes applied
  std::uint64_t under_load_periods = 0; // times cookies were demanded
};

class DeviceDriver {
 public:
  // Creates the TUN interface, brings it up with the MTU, binds the UDP socket (dual-stack)
  // and opens the UAPI socket. Needs CAP_NET_ADMIN.
  static Result<std::unique_ptr<DeviceDriver>> open(asio::net::io_context& io,
                                                    const DeviceDriverConfig& config,
                                                    RandomSource& rng);
  ~DeviceDriver();
  DeviceDriver(const DeviceDriver&) = delete;
  DeviceDriver& operator=(const DeviceDriver&) = delete;

  DeviceCore& core() noexcept;
  const std::string& ifname() const noexcept;
  std::uint16_t listen_port() const noexcept;  // the bound port
  const DriverCounters& counters() const noexcept;

  // Applies a UAPI request (`set=1...` or `get=1`), as if a `wg` client had sent it; returns
  // the reply. A new listen_port rebinds the socket.
  std::string apply_uapi(std::string_view request);

  // Call after changing core() directly: flushes what is due and re-arms the timer.
  void wake();

  void start();
  // Closes everything; the coroutines end and `on_stopped` is called once. The driver may be
  // destroyed at once; its coroutines finish on the io_context (run it, or destroy it).
  void stop();
  void set_on_stopped(std::function<void(std::error_code)> cb);

 private:
  struct Impl;
  explicit DeviceDriver(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with the coroutines, which may outlive the driver
};

}  // namespace gquic::wireguard
