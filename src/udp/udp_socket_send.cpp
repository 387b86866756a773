// UdpSocket::send: turns a span of Transmits into sendmmsg(2) messages.
//
// Each Transmit becomes one or more "pieces" (SendPiece):
//   * no segment_size (or one segment): one datagram;
//   * segments with GSO: super-datagrams of up to kMaxGsoSegments segments whose sum fits one
//     IP packet (64 x 1200 bytes needs two), each with a UDP_SEGMENT record;
//   * segments without GSO (disabled, unsupported, or refused at run time): one message per
//     segment, all in the same sendmmsg batch.
// The pieces go out in chunks of at most kMaxBatchMessages. When the kernel refuses a piece
// that carries UDP_SEGMENT with EIO or EINVAL, the socket switches to the per-segment path,
// rebuilds the batch from that piece on and carries on. The switch is confirmed (counted in
// gso_fallbacks, kept for the rest of the socket's life) when the first segment sent alone
// gets through; if that segment fails too, the fault was the transmit's own (a bad
// destination, say) and GSO stays on.
//
// The result is the number of Transmits whose every piece the kernel took. A Transmit the
// kernel took only part of (EAGAIN between its pieces) is not counted: its first datagrams
// are on the wire and a retry sends them again, which QUIC discards as duplicates.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "gquic/core/assert.h"
#include "gquic/core/log.h"
#include "gquic/udp/udp_socket.h"
#include "gquic/udp/udp_socket_cmsg.h"
#include "udp_socket_scratch.h"

namespace gquic::udp {
namespace {

// A Transmit checked against the socket, with its destination in kernel form.
struct Prepared {
  sockaddr_storage addr;
  socklen_t addr_len = 0;
  bool ipv4_path = false;     // IP_TOS / IP_PKTINFO rather than the IPv6 records
  std::size_t segment = 0;    // 0: a single datagram
  std::size_t gso_max_segments = 1;  // segments per super-datagram
  std::optional<IpAddress> source;
};

Result<Prepared> prepare(const Transmit& t, bool socket_v6, bool v6_only) {
  if (t.contents.empty()) return Errc::invalid_argument;
  Prepared p;
  IpAddress dst = t.destination.ip();
  if (socket_v6) {
    if (dst.is_v4()) {
      if (v6_only) return Errc::invalid_argument;
      dst = map_v4(dst);
    }
    p.ipv4_path = is_v4_mapped(dst);
  } else {
    dst = unmap_v4(dst);
    if (!dst.is_v4()) return Errc::invalid_argument;
    p.ipv4_path = true;
  }
  p.addr_len = SocketAddress(dst, t.destination.port()).to_sockaddr(p.addr);

  if (t.source_ip) {
    const IpAddress src = p.ipv4_path ? unmap_v4(*t.source_ip) : *t.source_ip;
    if (p.ipv4_path ? !src.is_v4() : !src.is_v6()) return Errc::invalid_argument;
    p.source = src;
  }

  const std::size_t limit = p.ipv4_path ? kMaxUdpPayloadV4 : kMaxUdpPayload;
  const std::size_t size = t.contents.size();
  if (t.segment_size == 0 || t.segment_size >= size) {
    if (size > limit) return Errc::message_too_large;
    return p;
  }
  if (t.segment_size > limit) return Errc::message_too_large;
  if ((size + t.segment_size - 1) / t.segment_size > kMaxGsoSegments) {
    return Errc::message_too_large;
  }
  p.segment = t.segment_size;
  p.gso_max_segments = std::min(kMaxGsoSegments, limit / t.segment_size);
  return p;
}

}  // namespace

Result<std::size_t> UdpSocket::send(std::span<const Transmit> transmits) {
  if (fd_ < 0) return Errc::closed;
  if (transmits.empty()) return std::size_t{0};
  Scratch& s = *scratch_;
  const bool socket_v6 = local_.is_v6();

  std::size_t limit = transmits.size();  // transmits at and after `limit` are not attempted
  std::error_code invalid;               // why transmits[limit] was rejected
  std::size_t next = 0;                  // next transmit to cut into pieces
  std::size_t next_offset = 0;           // and the first byte of it not yet cut
  std::optional<Prepared> prepared;
  std::size_t prepared_index = 0;
  int failure = 0;                       // errno that stopped the send
  std::size_t failed_transmit = 0;
  bool fallback_unconfirmed = false;     // GSO just refused; the next result tells why

  while (next < limit && failure == 0) {
    // Cut the next chunk of pieces.
    std::size_t n = 0;
    while (n < Scratch::N && next < limit) {
      if (!prepared || prepared_index != next) {
        auto p = prepare(transmits[next], socket_v6, v6_only_);
        if (!p) {
          invalid = p.error();
          ++counters_.send_errors;
          limit = next;
          break;
        }
        prepared = *p;
        prepared_index = next;
      }
      const Transmit& t = transmits[next];
      const Prepared& p = *prepared;
      const bool gso = p.segment > 0 && caps_.gso && !gso_disabled_at_runtime_;
      while (n < Scratch::N && next_offset < t.contents.size()) {
        const std::size_t remaining = t.contents.size() - next_offset;
        SendPiece& piece = s.send_pieces[n];
        piece.transmit = next;
        piece.offset = next_offset;
        if (p.segment == 0) {
          piece.len = remaining;
          piece.segments = 1;
        } else if (gso) {
          piece.len = std::min(remaining, p.segment * p.gso_max_segments);
          piece.segments = (piece.len + p.segment - 1) / p.segment;
        } else {
          piece.len = std::min(remaining, p.segment);
          piece.segments = 1;
        }
        piece.gso = piece.segments > 1;

        std::memcpy(&s.send_addr[n], &p.addr, p.addr_len);
        s.send_iov[n].iov_base = const_cast<std::uint8_t*>(t.contents.data() + next_offset);
        s.send_iov[n].iov_len = piece.len;
        ControlData control{piece.gso ? p.segment : 0, t.ecn, p.source};
        auto control_len = encode_send_control(control, p.ipv4_path, s.send_control[n]);
        GQUIC_ASSERT(control_len.has_value());
        msghdr& h = s.send_msgs[n].msg_hdr;
        h = msghdr{};
        h.msg_name = &s.send_addr[n];
        h.msg_namelen = p.addr_len;
        h.msg_iov = &s.send_iov[n];
        h.msg_iovlen = 1;
        const std::size_t clen = control_len ? *control_len : 0;
        h.msg_control = clen > 0 ? s.send_control[n].data() : nullptr;
        h.msg_controllen = clen;
        s.send_msgs[n].msg_len = 0;
        next_offset += piece.len;
        ++n;
      }
      if (next_offset >= t.contents.size()) {
        ++next;
        next_offset = 0;
      }
    }
    if (n == 0) break;

    // Hand the chunk to the kernel.
    std::size_t i = 0;
    while (i < n) {
      std::size_t count = n - i;
      int r = 0;
      int err = 0;
      if (refuse_gso_for_testing_ > 0) {
        std::size_t j = i;
        while (j < n && !s.send_pieces[j].gso) ++j;
        if (j == i) {
          --refuse_gso_for_testing_;
          r = -1;
          err = EIO;
        } else {
          count = j - i;
        }
      }
      if (err == 0) {
        ++counters_.send_calls;
        r = ::sendmmsg(fd_, &s.send_msgs[i], static_cast<unsigned>(count), 0);
        err = r < 0 ? errno : 0;
        if (r == 0) {  // not expected for a non-empty vector; do not spin on it
          r = -1;
          err = EAGAIN;
        }
      }
      if (r > 0 && fallback_unconfirmed) {
        fallback_unconfirmed = false;
        ++counters_.gso_fallbacks;
        log::get("udp")->warn("udp socket {}: kernel refused GSO; sending segments one by one",
                              local_.to_string());
      }
      if (r > 0) {
        for (std::size_t k = i; k < i + static_cast<std::size_t>(r); ++k) {
          const SendPiece& piece = s.send_pieces[k];
          counters_.datagrams_sent += piece.segments;
          counters_.bytes_sent += piece.len;
          if (piece.gso) {
            ++counters_.gso_sends;
            counters_.gso_segments += piece.segments;
          }
        }
        i += static_cast<std::size_t>(r);
        continue;
      }
      if (err == EINTR) continue;
      const SendPiece& piece = s.send_pieces[i];
      if (piece.gso && (err == EIO || err == EINVAL) && !gso_disabled_at_runtime_) {
        gso_disabled_at_runtime_ = true;
        fallback_unconfirmed = true;
        next = piece.transmit;
        next_offset = piece.offset;
        break;  // the outer loop cuts the rest again from `next`/`next_offset`
      }
      if (fallback_unconfirmed) {
        gso_disabled_at_runtime_ = false;  // not GSO's fault, or not known yet (EAGAIN)
        fallback_unconfirmed = false;
      }
      failure = err;
      failed_transmit = piece.transmit;
      break;
    }
  }

  if (failure != 0) {
    if (failure == EAGAIN || failure == EWOULDBLOCK) {
      ++counters_.send_would_block;
      if (failed_transmit == 0) return Errc::would_block;
    } else {
      ++counters_.send_errors;
      if (failed_transmit == 0) return std::error_code(failure, std::system_category());
    }
    return failed_transmit;
  }
  if (limit < transmits.size() && limit == 0) return invalid;
  return limit;
}

}  // namespace gquic::udp
