#pragma once
// Helpers shared by the UdpSocket loopback tests: numbered datagrams with a pattern derived
// from their number, and a receiver that waits with poll(2) as a hang guard.

#include <poll.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "gquic/udp/udp_socket.h"

namespace gquic::udp::testing {

inline constexpr int kHangGuardMs = 5000;  // poll timeout; not a timing assertion

// Datagram layout: seq (4 bytes, big endian), length (2 bytes), then pattern bytes.
inline void fill_datagram(std::span<std::uint8_t> out, std::uint32_t seq) {
  const auto len = static_cast<std::uint16_t>(out.size());
  out[0] = static_cast<std::uint8_t>(seq >> 24);
  out[1] = static_cast<std::uint8_t>(seq >> 16);
  out[2] = static_cast<std::uint8_t>(seq >> 8);
  out[3] = static_cast<std::uint8_t>(seq);
  out[4] = static_cast<std::uint8_t>(len >> 8);
  out[5] = static_cast<std::uint8_t>(len);
  for (std::size_t i = 6; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(seq * 131u + i * 7u + (seq >> 8));
  }
}

// The sequence number of a well-formed datagram, or -1 when any byte is off.
inline std::int64_t check_datagram(std::span<const std::uint8_t> d) {
  if (d.size() < 6) return -1;
  const std::uint32_t seq = (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) |
                            (std::uint32_t{d[2]} << 8) | d[3];
  const std::size_t len = (std::size_t{d[4]} << 8) | d[5];
  if (len != d.size()) return -1;
  for (std::size_t i = 6; i < d.size(); ++i) {
    if (d[i] != static_cast<std::uint8_t>(seq * 131u + i * 7u + (seq >> 8))) return -1;
  }
  return seq;
}

inline bool wait_readable(int fd, int timeout_ms = kHangGuardMs) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// kMaxUdpPayload-sized receive buffers, as GRO needs.
struct RecvBuffers {
  explicit RecvBuffers(std::size_t count, std::size_t size = kMaxUdpPayload)
      : storage(count * size), spans(count), meta(count) {
    for (std::size_t i = 0; i < count; ++i) spans[i] = std::span(storage).subspan(i * size, size);
  }
  std::vector<std::uint8_t> storage;
  std::vector<std::span<std::uint8_t>> spans;
  std::vector<RecvMeta> meta;
};

// Receives one batch, waiting up to the hang guard. Returns the buffers filled (0 on timeout).
inline std::size_t recv_batch(UdpSocket& s, RecvBuffers& b) {
  for (;;) {
    auto r = s.recv(b.spans, b.meta);
    if (r) return *r;
    if (r.error() != Errc::would_block) return 0;
    if (!wait_readable(s.native_handle())) return 0;
  }
}

}  // namespace gquic::udp::testing
