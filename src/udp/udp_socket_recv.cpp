// UdpSocket::recv: one recvmmsg(2) into the caller's buffers, then each message's control
// data (GRO stride, ECN, destination address) decoded by decode_control().
//
// meta[i] always describes buffers[i]. A datagram that did not fit its buffer (MSG_TRUNC) is
// dropped in place: meta[i].len is 0 and truncated_payload counts it. Control data cut short
// (MSG_CTRUNC) is counted in truncated_control and the datagram is delivered with whatever
// records were read.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "gquic/udp/udp_socket.h"
#include "gquic/udp/udp_socket_cmsg.h"
#include "udp_socket_scratch.h"

namespace gquic::udp {

Result<std::size_t> UdpSocket::recv(std::span<const std::span<std::uint8_t>> buffers,
                                    std::span<RecvMeta> meta) {
  if (fd_ < 0) return Errc::closed;
  const std::size_t n = std::min({buffers.size(), meta.size(), Scratch::N});
  if (n == 0) return std::size_t{0};
  Scratch& s = *scratch_;

  for (std::size_t i = 0; i < n; ++i) {
    s.recv_iov[i].iov_base = buffers[i].data();
    s.recv_iov[i].iov_len = buffers[i].size();
    msghdr& h = s.recv_msgs[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &s.recv_addr[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &s.recv_iov[i];
    h.msg_iovlen = 1;
    h.msg_control = s.recv_control[i].data();
    h.msg_controllen = s.recv_control[i].size();
    s.recv_msgs[i].msg_len = 0;
  }

  int r = 0;
  do {
    ++counters_.recv_calls;
    r = ::recvmmsg(fd_, s.recv_msgs.data(), static_cast<unsigned>(n), 0, nullptr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ++counters_.recv_would_block;
      return Errc::would_block;
    }
    ++counters_.recv_errors;
    return last_system_error();
  }

  const auto got = static_cast<std::size_t>(r);
  for (std::size_t i = 0; i < got; ++i) {
    const msghdr& h = s.recv_msgs[i].msg_hdr;
    RecvMeta& m = meta[i];
    m = RecvMeta{};

    auto source = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&s.recv_addr[i]),
                                               h.msg_namelen);
    if (!source) {
      ++counters_.recv_errors;
      continue;
    }
    m.source = SocketAddress(unmap_v4(source->ip()), source->port());

    if ((h.msg_flags & MSG_CTRUNC) != 0) ++counters_.truncated_control;
    if ((h.msg_flags & MSG_TRUNC) != 0) {
      ++counters_.truncated_payload;
      continue;
    }
    const std::size_t control_len = std::min<std::size_t>(h.msg_controllen,
                                                          s.recv_control[i].size());
    const DecodedControl control =
        decode_control(std::span(s.recv_control[i].data(), control_len), ControlDirection::receive);
    if (control.data.address) m.destination = unmap_v4(*control.data.address);
    m.ecn = control.data.ecn;

    const std::size_t len = std::min<std::size_t>(s.recv_msgs[i].msg_len, buffers[i].size());
    std::size_t stride = control.data.segment_size;
    if (stride == 0 || stride > len) stride = len;
    m.len = len;
    m.stride = stride;

    const std::size_t datagrams = (len == 0) ? 1 : (len + stride - 1) / stride;
    counters_.datagrams_received += datagrams;
    counters_.bytes_received += len;
    if (datagrams > 1) {
      ++counters_.gro_receives;
      counters_.gro_segments += datagrams;
    }
  }
  return got;
}

}  // namespace gquic::udp
