// Opening, configuring and closing a UdpSocket on Linux: socket options, the capability probes
// (GSO, GRO, ECN, pktinfo) and buffer sizes. Sending and receiving live in
// udp_socket_send.cpp and udp_socket_recv.cpp.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "gquic/core/log.h"
#include "gquic/udp/udp_socket.h"
#include "udp_socket_scratch.h"

namespace gquic::udp {
namespace {

bool set_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

std::optional<int> get_int(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return std::nullopt;
  return value;
}

// SO_RCVBUFFORCE/SO_SNDBUFFORCE pass the rmem_max/wmem_max caps but need CAP_NET_ADMIN; without
// it (EPERM) the ordinary option applies, capped by the sysctl.
Result<void> set_buffer(int fd, int force_name, int name, int size) {
  if (size <= 0) return {};
  if (set_int(fd, SOL_SOCKET, force_name, size)) return {};
  if (!set_int(fd, SOL_SOCKET, name, size)) return last_system_error();
  return {};
}

// A failed setup step closes the descriptor and reports the OS error.
std::error_code fail(int fd) {
  const std::error_code ec = last_system_error();
  ::close(fd);
  return ec;
}

}  // namespace

UdpSocket::UdpSocket() = default;

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      local_(other.local_),
      caps_(other.caps_),
      counters_(other.counters_),
      v6_only_(other.v6_only_),
      gso_disabled_at_runtime_(other.gso_disabled_at_runtime_),
      refuse_gso_for_testing_(other.refuse_gso_for_testing_),
      scratch_(std::move(other.scratch_)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    local_ = other.local_;
    caps_ = other.caps_;
    counters_ = other.counters_;
    v6_only_ = other.v6_only_;
    gso_disabled_at_runtime_ = other.gso_disabled_at_runtime_;
    refuse_gso_for_testing_ = other.refuse_gso_for_testing_;
    scratch_ = std::move(other.scratch_);
  }
  return *this;
}

UdpSocket::~UdpSocket() { close(); }

void UdpSocket::close() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Result<UdpSocket> UdpSocket::open(const SocketConfig& config) {
  if (config.recv_buffer_size < 0 || config.send_buffer_size < 0) return Errc::invalid_argument;
  const bool v6 = config.bind_address.is_v6();
  if (config.v6_only && !v6) return Errc::invalid_argument;

  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          IPPROTO_UDP);
  if (fd < 0) return last_system_error();

  if (v6 && !set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, config.v6_only ? 1 : 0)) return fail(fd);
  if (config.reuse_port && !set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1)) return fail(fd);
  if (auto r = set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, config.recv_buffer_size); !r) {
    ::close(fd);
    return r.error();
  }
  if (auto r = set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, config.send_buffer_size); !r) {
    ::close(fd);
    return r.error();
  }

  sockaddr_storage ss;
  const socklen_t ss_len = config.bind_address.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), ss_len) != 0) return fail(fd);
  socklen_t got_len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got_len) != 0) return fail(fd);
  auto local = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), got_len);
  if (!local) {
    ::close(fd);
    return local.error();
  }

  UdpSocket s;
  s.fd_ = fd;
  s.local_ = *local;
  s.v6_only_ = v6 && config.v6_only;
  s.scratch_ = std::make_unique<Scratch>();

  Capabilities& caps = s.caps_;
  // GSO: the option exists when getsockopt(UDP_SEGMENT) answers (Linux 4.18+).
  if (config.enable_gso && get_int(fd, SOL_UDP, UDP_SEGMENT)) {
    caps.gso = true;
    caps.max_gso_segments = kMaxGsoSegments;
  }
  if (config.enable_gro) caps.gro = set_int(fd, SOL_UDP, UDP_GRO, 1);
  if (v6) {
    caps.ecn = set_int(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
    // IPv4 datagrams on a dual-stack socket carry their TOS byte only with the IPv4 option.
    if (!s.v6_only_) caps.ecn = set_int(fd, IPPROTO_IP, IP_RECVTOS, 1) && caps.ecn;
    // IPV6_PKTINFO also reports IPv4 destinations (v4-mapped) on a dual-stack socket.
    caps.pktinfo = set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  } else {
    caps.ecn = set_int(fd, IPPROTO_IP, IP_RECVTOS, 1);
    caps.pktinfo = set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
  }
  caps.recv_buffer_size = get_int(fd, SOL_SOCKET, SO_RCVBUF).value_or(0);
  caps.send_buffer_size = get_int(fd, SOL_SOCKET, SO_SNDBUF).value_or(0);

  log::get("udp")->debug(
      "udp socket {} fd={} gso={} gro={} ecn={} pktinfo={} rcvbuf={} sndbuf={}",
      s.local_.to_string(), fd, caps.gso, caps.gro, caps.ecn, caps.pktinfo,
      caps.recv_buffer_size, caps.send_buffer_size);
  return s;
}

}  // namespace gquic::udp
