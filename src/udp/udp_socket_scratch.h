#pragma once
// The arrays a UdpSocket hands to sendmmsg(2)/recvmmsg(2), allocated once at open so the data
// path never allocates. Private to src/udp/udp_socket_*.cpp.

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "gquic/udp/udp_socket.h"
#include "gquic/udp/udp_socket_cmsg.h"

namespace gquic::udp {

// One message handed to sendmmsg: a whole datagram, a GSO super-datagram, or (on the fallback
// path) one segment of a Transmit.
struct SendPiece {
  std::size_t transmit = 0;  // index into the caller's span
  std::size_t offset = 0;    // first byte of the piece within the transmit's contents
  std::size_t len = 0;
  std::size_t segments = 1;  // datagrams on the wire
  bool gso = false;          // carries UDP_SEGMENT
};

struct UdpSocket::Scratch {
  static constexpr std::size_t N = kMaxBatchMessages;

  std::array<mmsghdr, N> send_msgs{};
  std::array<iovec, N> send_iov{};
  std::array<sockaddr_storage, N> send_addr{};
  alignas(cmsghdr) std::array<std::array<std::uint8_t, kSendControlSpace>, N> send_control{};
  std::array<SendPiece, N> send_pieces{};

  std::array<mmsghdr, N> recv_msgs{};
  std::array<iovec, N> recv_iov{};
  std::array<sockaddr_storage, N> recv_addr{};
  alignas(cmsghdr) std::array<std::array<std::uint8_t, kRecvControlSpace>, N> recv_control{};
};

static_assert(kSendControlSpace % alignof(cmsghdr) == 0);
static_assert(kRecvControlSpace % alignof(cmsghdr) == 0);

}  // namespace gquic::udp
