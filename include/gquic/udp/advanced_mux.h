#pragma once
// AdvancedUdpMux: several local UDP sockets behind one send/receive interface.
//
//   receivers ──register──▶ Router (CID / remote address / defaults)
//                                 ▲
//   socket 0 (primary) ──recv──┐  │ route each datagram
//   socket 1 ...       ──recv──┴──┘
//   send_packet(data, dest) ──▶ SocketSelector (strategy, flow pinning, failover) ──▶ socket k
//
// One receive coroutine per socket waits for readiness, drains the kernel in recvmmsg batches
// into buffers from the zero-copy pool (64 KiB chunks when GRO is on), splits GRO super-buffers
// and hands each datagram to its receiver as a span valid during the callback. Sends go straight
// to the kernel; when the kernel's buffer is full a copy waits in a bounded per-socket queue
// (pooled buffers) drained when the socket is writable.
//
// Failover: a socket whose send or receive fails with an error that is not about one
// destination (EBADF, EPIPE, ENOTSOCK, ...) is taken out: the selector stops placing flows on
// it, pinned flows move to healthy sockets on their next packet, and the send that hit the
// failure is retried on another socket, so no datagram is lost to the failure.
//
// Threading: the mux and its receivers run on the io_context given at construction; call every
// member from that context's thread. Drops are counted by reason (MuxDropReason).

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/observability/metrics.h"
#include "gquic/udp/load_balancer.h"
#include "gquic/udp/router.h"
#include "gquic/udp/udp_socket.h"

namespace boost::asio {
class io_context;
}
namespace gquic::zerocopy {
class MemoryPool;
class PooledBuffer;
}
namespace gquic::observability {
class MetricsCollector;
}

namespace gquic::udp_mux_advanced {

struct AdvancedMuxConfig {
  SocketAddress primary_address{IpAddress::v4_loopback(), 0};
  std::vector<SocketAddress> additional_addresses;
  // Bound on routes (connection IDs plus remote addresses) per socket: the router holds at most
  // this many times the number of sockets.
  std::size_t max_connections_per_socket = 4096;
  // A flow whose packets start arriving on another of our sockets is re-pinned there, so
  // replies follow the peer (QUIC connection migration towards our other addresses).
  bool enable_migration = true;
  // Lets callers choose the socket of a send (send_packet_via), as a multipath scheduler does.
  bool enable_multipath = false;
  // Spread new flows over all healthy sockets by `strategy`; off: everything on the primary
  // (failover to the others still happens).
  bool enable_load_balancing = true;
  LoadBalanceStrategy strategy = LoadBalanceStrategy::round_robin;
  int socket_recv_buffer_size = 4 << 20;
  int socket_send_buffer_size = 4 << 20;
  std::size_t batch_size = 32;             // datagrams per recvmmsg / sendmmsg
  bool enable_gso = true;
  bool enable_gro = true;
  std::size_t local_cid_length = 8;        // length of the QUIC CIDs local receivers issue
  std::size_t max_flows = 65536;
  Duration flow_idle_timeout = std::chrono::seconds(300);
  std::size_t max_queued_sends_per_socket = 1024;  // datagrams waiting for a writable socket
  std::size_t pool_max_chunks = 4096;      // receive and send-queue buffers

  // Checks every field; the error message names the field.
  Result<void> validate(std::string* what = nullptr) const;
};

enum class MuxDropReason : std::uint8_t {
  unknown_connection,  // QUIC datagram with no receiver
  unknown_flow,        // other datagram with no receiver
  malformed_quic,      // truncated or invalid QUIC header
  send_queue_full,     // the socket could not take it and its queue was full
  no_healthy_socket,   // every socket has failed
  pool_exhausted,      // no buffer to receive into or to queue a send in
  send_error,          // the kernel refused the datagram (e.g. unreachable destination)
  count_
};
std::string_view to_string(MuxDropReason r) noexcept;

struct ReceivedDatagram {
  std::span<const std::uint8_t> data;      // valid only during the callback
  SocketAddress source;
  std::optional<IpAddress> destination;    // local address it was sent to (IP_PKTINFO)
  udp::Ecn ecn = udp::Ecn::not_ect;
  std::size_t socket_index = 0;
  RouteKind route = RouteKind::default_other;
  // The pooled buffer holding the datagram when it fills that buffer alone (no GRO sharing):
  // a receiver that wants to keep the bytes may move it out instead of copying. Null otherwise.
  zerocopy::PooledBuffer* buffer = nullptr;
};

using Receiver = std::function<void(const ReceivedDatagram&)>;

struct SocketStats {
  SocketAddress local_address;
  bool healthy = true;
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t drops = 0;                 // datagrams dropped on this socket, all reasons
  std::uint64_t gso_segments = 0;
  std::uint64_t gro_segments = 0;
  std::uint64_t queued_sends = 0;          // waiting for the socket to become writable
  std::size_t flows = 0;
  // This socket's share of all bytes the mux sent and received (0..1).
  double socket_utilization = 0.0;
};

struct MuxStats {
  std::vector<SocketStats> sockets;
  std::array<std::uint64_t, static_cast<std::size_t>(MuxDropReason::count_)> drops{};
  std::uint64_t flows_moved = 0;
  std::size_t routes = 0;
  std::size_t receivers = 0;
  std::uint64_t drops_by(MuxDropReason r) const { return drops[static_cast<std::size_t>(r)]; }
};

class AdvancedUdpMux {
 public:
  // Validates the config, opens and binds every socket. A port in use, an invalid address or
  // a bad config value is an error value naming what failed.
  static Result<std::unique_ptr<AdvancedUdpMux>> create(boost::asio::io_context& io,
                                                        const AdvancedMuxConfig& config,
                                                        const Clock& clock = SteadyClock::instance());
  ~AdvancedUdpMux();
  AdvancedUdpMux(const AdvancedUdpMux&) = delete;
  AdvancedUdpMux& operator=(const AdvancedUdpMux&) = delete;

  // Starts the receive loops. Idempotent.
  void start();
  // Stops the loops and closes every socket; pending callbacks are not called afterwards.
  void stop();

  ReceiverId register_receiver(Receiver receiver);
  void unregister_receiver(ReceiverId id);
  Result<void> route_connection_id(ReceiverId id, const udp::ConnectionId& cid);
  void unroute_connection_id(const udp::ConnectionId& cid);
  Result<void> route_remote(ReceiverId id, const SocketAddress& remote);
  void unroute_remote(const SocketAddress& remote);
  void set_default_quic_receiver(std::optional<ReceiverId> id);
  void set_default_receiver(std::optional<ReceiverId> id);

  // Sends one datagram on the socket the strategy picks for `destination`.
  // Errors: Errc::closed (no healthy socket), Errc::exhausted (queue full), Errc::
  // message_too_large, or the kernel's error for this destination. Never blocks.
  Result<void> send_packet(std::span<const std::uint8_t> data, const SocketAddress& destination,
                           udp::Ecn ecn = udp::Ecn::not_ect);
  // Sends `data` split into `segment_size` datagrams with one GSO call where possible.
  Result<void> send_segments(std::span<const std::uint8_t> data, std::size_t segment_size,
                             const SocketAddress& destination, udp::Ecn ecn = udp::Ecn::not_ect);
  // Sends on a chosen socket (needs enable_multipath): Errc::unsupported otherwise.
  Result<void> send_packet_via(std::size_t socket_index, std::span<const std::uint8_t> data,
                               const SocketAddress& destination, udp::Ecn ecn = udp::Ecn::not_ect);

  // Takes a socket out as if it had failed (operator action or a health check's verdict).
  void fail_socket(std::size_t socket_index);

  std::size_t socket_count() const noexcept;
  SocketAddress local_address(std::size_t socket_index) const;
  const udp::Capabilities& capabilities(std::size_t socket_index) const;
  int native_handle(std::size_t socket_index) const;  // for tests and diagnostics
  MuxStats stats() const;

  // Publishes stats() and the buffer pool's occupancy through `collector` at every scrape,
  // until the mux is destroyed. The collector must outlive the mux, and scrapes must run on the
  // mux's io_context thread (serve /metrics from the same io_context).
  void register_metrics(observability::MetricsCollector& collector);

  // The pool the mux receives into and queues sends in.
  zerocopy::MemoryPool& pool() noexcept;

 private:
  struct Impl;
  explicit AdvancedUdpMux(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<observability::ScopedCollectHook> metric_hooks_;  // declared last: removed first
};

}  // namespace gquic::udp_mux_advanced
