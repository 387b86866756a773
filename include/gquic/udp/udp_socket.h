#pragma once
// Batched, non-blocking UDP sockets (Linux), in the manner of quinn-udp:
//   * send: a batch of `Transmit`s goes out in one sendmmsg(2); a Transmit with a
//     `segment_size` is one GSO super-datagram (UDP_SEGMENT) the kernel splits on the wire;
//   * receive: recvmmsg(2) fills a batch of buffers; with GRO (UDP_GRO) one buffer may hold
//     several datagrams of `stride` bytes from the same sender (the last may be shorter);
//   * ECN codepoints are read and written through IP_TOS / IPV6_TCLASS control messages;
//   * IP_PKTINFO / IPV6_RECVPKTINFO tell a socket bound to a wildcard address each
//     datagram's local address, and let a Transmit choose its source address.
// Capabilities are probed once at open. When the kernel refuses GSO at send time the socket
// falls back to one datagram per segment for the rest of its life and counts the fallback.
//
// The socket knows no event loop: it never blocks, and returns Errc::would_block when the
// kernel has nothing to give or cannot take more. Drivers wait for readiness on
// native_handle() (advanced_mux.h does so with Asio).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace gquic::udp {

// ECN codepoints (RFC 3168), the two low bits of the TOS / traffic class byte.
enum class Ecn : std::uint8_t { not_ect = 0b00, ect1 = 0b01, ect0 = 0b10, ce = 0b11 };

// The largest UDP payload over IPv4/IPv6 and so the largest GRO buffer worth offering.
inline constexpr std::size_t kMaxUdpPayload = 65527;
// The largest UDP payload over IPv4 (65535 minus the IPv4 and UDP headers). It also bounds the
// sum of the segments of one GSO super-datagram to an IPv4 destination.
inline constexpr std::size_t kMaxUdpPayloadV4 = 65507;
// The kernel's limit on segments in one GSO send (UDP_MAX_SEGMENTS).
inline constexpr std::size_t kMaxGsoSegments = 64;
// At most this many datagrams (or GSO super-datagrams) go to the kernel in one sendmmsg(2) and
// at most this many buffers are filled by one recvmmsg(2); longer spans take several calls
// (send) or are filled up to this count (recv).
inline constexpr std::size_t kMaxBatchMessages = 256;

struct SocketConfig {
  SocketAddress bind_address;      // port 0 asks the kernel for a free port
  int recv_buffer_size = 0;        // SO_RCVBUF in bytes; 0 keeps the kernel default.
  int send_buffer_size = 0;        // SO_SNDBUF; with CAP_NET_ADMIN the *FORCE variants are used
  bool enable_gso = true;          // use UDP_SEGMENT when the kernel supports it
  bool enable_gro = true;          // use UDP_GRO when the kernel supports it
  bool reuse_port = false;         // SO_REUSEPORT
  bool v6_only = false;            // IPV6_V6ONLY for IPv6 sockets (false: dual-stack)
};

struct Capabilities {
  bool gso = false;                // UDP_SEGMENT accepted (may still fall back at send time)
  std::size_t max_gso_segments = 1;
  bool gro = false;                // UDP_GRO enabled on this socket
  bool ecn = false;                // ECN is read on receive (IP_RECVTOS / IPV6_RECVTCLASS)
  bool pktinfo = false;            // local destination address is reported on receive
  int recv_buffer_size = 0;        // as the kernel reports it (getsockopt)
  int send_buffer_size = 0;
};

struct Transmit {
  SocketAddress destination;
  std::span<const std::uint8_t> contents;
  Ecn ecn = Ecn::not_ect;
  // 0: one datagram of contents.size() bytes. Otherwise contents is split into datagrams of
  // segment_size bytes (the last may be shorter), sent with GSO when available. At most
  // kMaxGsoSegments segments; when their sum exceeds what one IP packet can carry (e.g. 64 x
  // 1200 bytes), the socket hands them to the kernel as several super-datagrams.
  std::size_t segment_size = 0;
  std::optional<IpAddress> source_ip;  // source address via IP_PKTINFO; empty: the kernel picks
};

// Addresses of IPv4 peers on a dual-stack IPv6 socket are reported as IPv4 (unmapped), and a
// Transmit to an IPv4 destination on such a socket is sent v4-mapped, so a peer has one
// SocketAddress whichever kind of socket carries it.
struct RecvMeta {
  SocketAddress source;
  std::optional<IpAddress> destination;  // the local address the datagram was sent to
  Ecn ecn = Ecn::not_ect;
  std::size_t len = 0;     // bytes written into the buffer; 0 when the datagram was dropped
                           // (truncated_payload) or was empty
  std::size_t stride = 0;  // bytes per datagram; len/stride datagrams (rounded up) when GRO
                           // coalesced several, stride == len for a single datagram
};

struct SocketCounters {
  std::uint64_t datagrams_sent = 0;     // datagrams on the wire (each GSO segment counts)
  std::uint64_t bytes_sent = 0;
  std::uint64_t datagrams_received = 0; // after GRO splitting
  std::uint64_t bytes_received = 0;
  std::uint64_t gso_sends = 0;          // super-datagrams handed to the kernel with UDP_SEGMENT
  std::uint64_t gso_segments = 0;       // segments sent inside them
  std::uint64_t gso_fallbacks = 0;      // times the kernel refused GSO and the socket split
  std::uint64_t gro_receives = 0;       // buffers that held more than one datagram
  std::uint64_t gro_segments = 0;       // datagrams that arrived inside them
  std::uint64_t truncated_control = 0;  // receives whose control data the kernel truncated
  std::uint64_t truncated_payload = 0;  // datagrams longer than the buffer (dropped)
  std::uint64_t send_errors = 0;        // system calls that failed (not EAGAIN) plus rejected
                                        // transmits (invalid argument / too large)
  std::uint64_t recv_errors = 0;        // failed recvmmsg calls (not EAGAIN), bad source addresses
  std::uint64_t send_calls = 0;         // sendmmsg(2) calls made
  std::uint64_t recv_calls = 0;         // recvmmsg(2) calls made
  std::uint64_t send_would_block = 0;   // sends that stopped on EAGAIN
  std::uint64_t recv_would_block = 0;   // receives that found nothing queued
};

class UdpSocket {
 public:
  // Opens, configures and binds. Errors name the OS failure (EADDRINUSE for a port in use).
  static Result<UdpSocket> open(const SocketConfig& config);

  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int native_handle() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  const SocketAddress& local_address() const noexcept { return local_; }
  const Capabilities& capabilities() const noexcept { return caps_; }
  const SocketCounters& counters() const noexcept { return counters_; }

  // Hands the transmits to the kernel in order. Returns how many were sent completely (a
  // prefix of `transmits`); Errc::would_block when none could be sent now; another error when
  // the first transmit failed (a later failure shortens the count instead).
  // A Transmit larger than the socket can carry fails with Errc::message_too_large.
  Result<std::size_t> send(std::span<const Transmit> transmits);

  // Receives up to min(buffers.size(), meta.size()) datagrams. Returns the number of buffers
  // filled, meta[i] describing buffers[i]; Errc::would_block when nothing is queued.
  // Buffers should be kMaxUdpPayload bytes when GRO is on; a shorter buffer still works but a
  // datagram longer than it is dropped and counted in truncated_payload.
  Result<std::size_t> recv(std::span<const std::span<std::uint8_t>> buffers,
                           std::span<RecvMeta> meta);

  void close() noexcept;

  // True once the kernel refused GSO at send time; later sends split segments themselves.
  bool gso_disabled_at_runtime() const noexcept { return gso_disabled_at_runtime_; }

  // Test seam: the next `count` super-datagrams that would carry UDP_SEGMENT fail as if the
  // kernel had answered EIO, which exercises the runtime fallback on kernels that accept GSO.
  void refuse_gso_for_testing(std::size_t count = 1) noexcept { refuse_gso_for_testing_ = count; }

 private:
  struct Scratch;  // sendmmsg/recvmmsg arrays, allocated once at open (udp_socket_linux.cpp)

  UdpSocket();
  int fd_ = -1;
  SocketAddress local_;
  Capabilities caps_;
  SocketCounters counters_;
  bool v6_only_ = false;
  bool gso_disabled_at_runtime_ = false;
  std::size_t refuse_gso_for_testing_ = 0;
  std::unique_ptr<Scratch> scratch_;
};

// Calls `fn(std::span<const std::uint8_t>)` for each datagram in a received buffer (one, or
// several when GRO coalesced them).
template <typename Fn>
void for_each_datagram(std::span<const std::uint8_t> buffer, const RecvMeta& meta, Fn&& fn) {
  const std::size_t len = meta.len < buffer.size() ? meta.len : buffer.size();
  const std::size_t stride = meta.stride == 0 ? len : meta.stride;
  for (std::size_t off = 0; off < len; off += stride) {
    const std::size_t n = (len - off) < stride ? (len - off) : stride;
    fn(buffer.subspan(off, n));
  }
}

}  // namespace gquic::udp
