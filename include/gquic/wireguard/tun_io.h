#pragma once
// A Linux TUN interface (/dev/net/tun, IFF_TUN | IFF_NO_PI): one IP packet per read(2) or
// write(2), non-blocking, in batches. The driver waits for readiness on native_handle().
//
// Offloads come next: with IFF_VNET_HDR + TUNSETOFFLOAD the kernel hands over TSO
// super-packets behind a virtio_net_hdr and accepts coalesced ones; read_batch/write_batch
// keep their shape then, splitting and coalescing inside this class.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gquic/core/error.h"

namespace gquic::wireguard {

struct TunCounters {
  std::uint64_t packets_read = 0;
  std::uint64_t packets_written = 0;
  std::uint64_t write_errors = 0;  // packets the kernel refused (not EAGAIN)
};

class TunDevice {
 public:
  // Creates (or attaches to) the interface `name` (at most 15 bytes). Needs CAP_NET_ADMIN.
  static Result<TunDevice> open(std::string_view name);

  TunDevice(TunDevice&& other) noexcept;
  TunDevice& operator=(TunDevice&& other) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();

  int native_handle() const noexcept { return fd_; }
  const std::string& name() const noexcept { return name_; }
  const TunCounters& counters() const noexcept { return counters_; }

  // Reads up to buffers.size() packets; sizes[i] is the length of buffers[i]. Returns the
  // count, Errc::would_block when none is queued, or the OS error (EBADFD once the interface
  // was deleted).
  Result<std::size_t> read_batch(std::span<std::vector<std::uint8_t>> buffers,
                                 std::span<std::size_t> sizes);
  // Writes packets in order; returns how many were taken (a prefix), Errc::would_block when
  // none, or the OS error of the first. A packet the kernel rejects is counted and skipped.
  Result<std::size_t> write_batch(std::span<const std::span<const std::uint8_t>> packets);

  void close() noexcept;

 private:
  TunDevice(int fd, std::string name) noexcept : fd_(fd), name_(std::move(name)) {}
  int fd_ = -1;
  std::string name_;
  TunCounters counters_;
};

}  // namespace gquic::wireguard
