// TUN interface I/O; see tun_io.h.
#include "gquic/wireguard/tun_io.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace gquic::wireguard {

Result<TunDevice> TunDevice::open(std::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return Errc::invalid_argument;
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return last_system_error();
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
    const auto ec = last_system_error();
    ::close(fd);
    return ec;
  }
  return TunDevice(fd, std::string(ifr.ifr_name));
}

TunDevice::TunDevice(TunDevice&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      counters_(other.counters_) {}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    counters_ = other.counters_;
  }
  return *this;
}

TunDevice::~TunDevice() { close(); }

void TunDevice::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<std::size_t> TunDevice::read_batch(std::span<std::vector<std::uint8_t>> buffers,
                                          std::span<std::size_t> sizes) {
  const std::size_t max = std::min(buffers.size(), sizes.size());
  std::size_t n = 0;
  while (n < max) {
    const ssize_t r = ::read(fd_, buffers[n].data(), buffers[n].size());
    if (r < 0) {
      if (errno == EINTR) continue;
      if (n > 0) break;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Errc::would_block;
      return last_system_error();
    }
    if (r == 0) continue;
    sizes[n++] = static_cast<std::size_t>(r);
  }
  counters_.packets_read += n;
  return n;
}

Result<std::size_t> TunDevice::write_batch(
    std::span<const std::span<const std::uint8_t>> packets) {
  std::size_t n = 0;
  while (n < packets.size()) {
    const ssize_t r = ::write(fd_, packets[n].data(), packets[n].size());
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (n > 0) break;
        return Errc::would_block;
      }
      if (errno == EBADFD || errno == EBADF || errno == EIO) {
        if (n > 0) break;
        return last_system_error();
      }
      ++counters_.write_errors;  // e.g. EINVAL for a packet the kernel does not accept
    } else {
      ++counters_.packets_written;
    }
    ++n;
  }
  return n;
}

}  // namespace gquic::wireguard
