// The Linux WireGuard device driver; see device_driver.h.
#include "gquic/wireguard/device_driver.h"

#include <cerrno>
#include <chrono>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "gquic/core/clock.h"
#include "gquic/core/log.h"
#include "gquic/udp/udp_socket.h"
#include "gquic/wireguard/netlink_io.h"
#include "gquic/wireguard/tun_io.h"
#include "gquic/wireguard/uapi_server.h"

namespace gquic::wireguard {

namespace net = asio::net;
using asio::awaitable;
using asio::nothrow;
using Descriptor = net::posix::stream_descriptor;

namespace {

// Handshake initiations per 100 ms beyond which the device demands cookies for a second.
constexpr std::size_t kUnderLoadInitiations = 512;
constexpr auto kUnderLoadWindow = std::chrono::milliseconds(100);
constexpr auto kUnderLoadHold = std::chrono::seconds(1);

std::chrono::nanoseconds wall_offset(TimePoint steady_now) {
  // The only place the wall clock is read: TAI64N timestamps and last-handshake times.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()) -
         std::chrono::duration_cast<std::chrono::nanoseconds>(steady_now.time_since_epoch());
}

}  // namespace

struct DeviceDriver::Impl : std::enable_shared_from_this<DeviceDriver::Impl> {
  Impl(net::io_context& io_, const DeviceDriverConfig& cfg, const DeviceConfig& core_config,
       RandomSource& rng, TunDevice tun_dev)
      : io(io_), config(cfg), core(core_config, rng), tun(std::move(tun_dev)), timer(io_) {}

  net::io_context& io;
  DeviceDriverConfig config;
  DeviceCore core;
  UapiDeviceSettings settings;
  TunDevice tun;
  std::unique_ptr<Descriptor> tun_sd;
  std::optional<udp::UdpSocket> udp;
  std::unique_ptr<Descriptor> udp_sd;
  std::vector<std::unique_ptr<Descriptor>> retired;  // descriptors of replaced sockets
  std::uint64_t udp_generation = 0;
  std::unique_ptr<UapiServer> uapi;
  net::steady_timer timer;
  std::optional<TimePoint> armed;
  DriverCounters counters;
  bool flushing = false;
  bool stopping = false;
  std::function<void(std::error_code)> on_stopped;

  // Under-load detection.
  TimePoint window_start{};
  std::size_t window_initiations = 0;
  std::optional<TimePoint> under_load_until;

  // Flush scratch.
  std::vector<Transmit> pending;
  std::vector<std::uint8_t> gso_stage;
  std::vector<udp::Transmit> batch;
  std::vector<std::vector<std::uint8_t>> tun_pending;

  TimePoint now() const { return SteadyClock::instance().now(); }

  Result<void> bind_udp(std::uint16_t port) {
    udp::SocketConfig sc;
    sc.bind_address = SocketAddress(IpAddress::any(IpAddress::Family::v6), port);
    sc.recv_buffer_size = 8 << 20;
    sc.send_buffer_size = 8 << 20;
    auto sock = udp::UdpSocket::open(sc);
    if (!sock) {
      sc.bind_address = SocketAddress(IpAddress::any(IpAddress::Family::v4), port);
      sock = udp::UdpSocket::open(sc);  // no IPv6 in this namespace
      if (!sock) return sock.error();
    }
    if (udp_sd) {
      udp_sd->cancel();
      (void)udp_sd->release();
      retired.push_back(std::move(udp_sd));
    }
    udp = std::move(*sock);
    udp_sd = std::make_unique<Descriptor>(io, udp->native_handle());
    settings.listen_port = udp->local_address().port();
    ++udp_generation;
    return {};
  }

  void rearm() {
    const auto d = core.next_deadline();
    if (d && (!armed || *d < *armed)) timer.cancel();
  }

  void after_uapi() {
    if (stopping) return;
    if (settings.listen_port == 0) settings.listen_port = udp->local_address().port();
    if (settings.listen_port != udp->local_address().port()) {
      const std::uint16_t wanted = settings.listen_port;
      if (auto r = bind_udp(wanted); !r) {
        log::get("wireguard")->error("{}: cannot bind UDP port {}: {}", config.ifname, wanted,
                                     r.error().message());
        settings.listen_port = udp->local_address().port();
      } else {
        ++counters.rebinds;
        net::co_spawn(io, udp_loop(), net::detached);
      }
    }
    net::co_spawn(io, flush(), net::detached);  // keepalives or staged packets may be due
    rearm();
  }

  void fail(std::error_code ec) {
    if (stopping) return;
    log::get("wireguard")->info("{}: stopping: {}", config.ifname, ec.message());
    stop(ec);
  }

  void stop(std::error_code ec) {
    if (stopping) return;
    stopping = true;
    timer.cancel();
    if (tun_sd) {
      tun_sd->cancel();
      (void)tun_sd->release();
    }
    if (udp_sd) {
      udp_sd->cancel();
      (void)udp_sd->release();
    }
    if (uapi) uapi->stop();
    if (udp) udp->close();
    tun.close();
    if (on_stopped) {
      auto cb = std::move(on_stopped);
      on_stopped = nullptr;
      net::post(io, [cb = std::move(cb), ec] { cb(ec); });
    }
  }

  void note_datagram(TimePoint t, std::span<const std::uint8_t> d) {
    if (d.empty() || d[0] != 1) return;  // handshake initiation
    if (t - window_start > kUnderLoadWindow) {
      window_start = t;
      window_initiations = 0;
    }
    if (++window_initiations == kUnderLoadInitiations) {
      if (!under_load_until) ++counters.under_load_periods;
      under_load_until = t + kUnderLoadHold;
      core.set_under_load(true);
    }
  }

  void check_load(TimePoint t) {
    if (under_load_until && t >= *under_load_until) {
      under_load_until.reset();
      core.set_under_load(false);
    }
  }

  // Moves everything the core wants sent or delivered; one flusher at a time.
  awaitable<void> flush() {
    auto self = shared_from_this();  // the driver may be destroyed before this ends
    rearm();
    if (flushing || stopping) co_return;
    flushing = true;
    for (;;) {
      pending.clear();
      while (pending.size() < udp::kMaxBatchMessages) {
        auto t = core.poll_transmit();
        if (!t) break;
        pending.push_back(std::move(*t));
      }
      tun_pending.clear();
      while (tun_pending.size() < 256) {
        auto p = core.poll_tun_write();
        if (!p) break;
        tun_pending.push_back(std::move(*p));
      }
      if (pending.empty() && tun_pending.empty()) break;
      if (!pending.empty()) co_await send_pending();
      if (!tun_pending.empty()) co_await write_tun();
      if (stopping) break;
    }
    while (auto e = core.poll_event()) {
      if (e->kind == DeviceEvent::Kind::handshake_completed) {
        log::get("wireguard")->debug("{}: handshake with peer {} completed", config.ifname,
                                     e->peer);
      }
    }
    flushing = false;
    rearm();
  }

  // Groups runs of datagrams to one destination (equal sizes, the last may be shorter) into
  // GSO super-datagrams, then sends in sendmmsg batches.
  awaitable<void> send_pending() {
    std::size_t total = 0;
    for (const auto& t : pending) total += t.bytes.size();
    gso_stage.clear();
    gso_stage.reserve(total);  // spans below point into it: no reallocation
    batch.clear();
    const bool gso = udp->capabilities().gso;
    const std::size_t max_segments = std::min(udp->capabilities().max_gso_segments,
                                              udp::kMaxGsoSegments);
    for (std::size_t i = 0; i < pending.size();) {
      const std::size_t start = gso_stage.size();
      const std::size_t seg = pending[i].bytes.size();
      std::size_t j = i;
      std::size_t bytes = 0;
      while (j < pending.size() && (j == i || (gso && j - i < max_segments &&
                                              pending[j].destination == pending[i].destination &&
                                              pending[j].bytes.size() <= seg &&
                                              pending[j - 1].bytes.size() == seg &&
                                              bytes + pending[j].bytes.size() <=
                                                  udp::kMaxUdpPayloadV4))) {
        gso_stage.insert(gso_stage.end(), pending[j].bytes.begin(), pending[j].bytes.end());
        bytes += pending[j].bytes.size();
        ++j;
      }
      udp::Transmit t;
      t.destination = pending[i].destination;
      t.contents = std::span<const std::uint8_t>(gso_stage.data() + start, bytes);
      t.segment_size = j - i > 1 ? seg : 0;
      batch.push_back(t);
      i = j;
    }
    std::size_t done = 0;
    while (done < batch.size() && !stopping) {
      auto r = udp->send(std::span(batch).subspan(done));
      if (r) {
        done += *r;
        continue;
      }
      if (r.error() == Errc::would_block) {
        ++counters.udp_would_block;
        auto* sd = udp_sd.get();
        auto [ec] = co_await sd->async_wait(Descriptor::wait_write, nothrow);
        if (ec) break;
        continue;
      }
      ++counters.udp_send_errors;  // e.g. unreachable destination: drop this one
      ++done;
    }
  }

  awaitable<void> write_tun() {
    std::vector<std::span<const std::uint8_t>> spans(tun_pending.begin(), tun_pending.end());
    std::size_t done = 0;
    while (done < spans.size() && !stopping) {
      auto r = tun.write_batch(std::span(spans).subspan(done));
      if (r) {
        done += *r;
        continue;
      }
      if (r.error() == Errc::would_block) {
        ++counters.tun_would_block;
        auto [ec] = co_await tun_sd->async_wait(Descriptor::wait_write, nothrow);
        if (ec) break;
        continue;
      }
      fail(r.error());
      break;
    }
  }

  awaitable<void> tun_loop() {
    auto self = shared_from_this();  // the driver may be destroyed before this ends
    std::vector<std::vector<std::uint8_t>> bufs(config.batch,
                                                std::vector<std::uint8_t>(65535));
    std::vector<std::size_t> sizes(config.batch);
    while (!stopping) {
      auto [ec] = co_await tun_sd->async_wait(Descriptor::wait_read, nothrow);
      if (stopping) break;
      if (ec) {
        fail(ec);
        break;
      }
      for (int rounds = 0; rounds < 4 && !stopping; ++rounds) {
        auto n = tun.read_batch(bufs, sizes);
        if (!n) {
          if (n.error() != Errc::would_block) fail(n.error());
          break;
        }
        const TimePoint t = now();
        for (std::size_t i = 0; i < *n; ++i)
          core.handle_tun_packet(t, std::span(bufs[i].data(), sizes[i]));
        co_await flush();
      }
    }
  }

  awaitable<void> udp_loop() {
    auto self = shared_from_this();  // the driver may be destroyed before this ends
    const std::uint64_t generation = udp_generation;
    const std::size_t count = std::min(config.batch, udp::kMaxBatchMessages);
    std::vector<std::vector<std::uint8_t>> bufs(count,
                                                std::vector<std::uint8_t>(udp::kMaxUdpPayload));
    std::vector<std::span<std::uint8_t>> spans(bufs.begin(), bufs.end());
    std::vector<udp::RecvMeta> meta(count);
    while (!stopping && generation == udp_generation) {
      auto* sd = udp_sd.get();
      auto [ec] = co_await sd->async_wait(Descriptor::wait_read, nothrow);
      if (stopping || generation != udp_generation) break;
      if (ec) {
        fail(ec);
        break;
      }
      for (int rounds = 0; rounds < 4 && !stopping && generation == udp_generation; ++rounds) {
        auto n = udp->recv(spans, meta);
        if (!n) break;  // would_block, or an error the socket counted
        const TimePoint t = now();
        check_load(t);
        for (std::size_t i = 0; i < *n; ++i) {
          const auto& m = meta[i];
          const std::size_t stride = m.stride == 0 ? m.len : m.stride;
          for (std::size_t off = 0; off < m.len && stride > 0; off += stride) {
            const auto d = std::span<const std::uint8_t>(bufs[i].data() + off,
                                                         std::min(stride, m.len - off));
            note_datagram(t, d);
            core.handle_datagram(t, m.source, d);
          }
        }
        co_await flush();
      }
    }
  }

  awaitable<void> timer_loop() {
    auto self = shared_from_this();  // the driver may be destroyed before this ends
    while (!stopping) {
      armed = core.next_deadline();
      timer.expires_at(armed ? *armed : TimePoint::max());
      auto [ec] = co_await timer.async_wait(nothrow);
      (void)ec;  // cancelled to re-arm, or expired: the deadline decides
      if (stopping) break;
      const TimePoint t = now();
      check_load(t);
      if (armed && t >= *armed) {
        core.handle_timeout(t);
        co_await flush();
      }
    }
  }
};

DeviceDriver::DeviceDriver(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

DeviceDriver::~DeviceDriver() {
  if (impl_) impl_->stop({});
}

Result<std::unique_ptr<DeviceDriver>> DeviceDriver::open(net::io_context& io,
                                                        const DeviceDriverConfig& config,
                                                        RandomSource& rng) {
  auto tun = TunDevice::open(config.ifname);
  if (!tun) return tun.error();
  if (auto r = netlink::set_link_up(tun->name(), config.mtu); !r) return r.error();
  DeviceConfig core_config;  // keyless until configured
  core_config.mtu = config.mtu;
  core_config.unix_time_offset = wall_offset(SteadyClock::instance().now());
  auto impl = std::make_shared<Impl>(io, config, core_config, rng, std::move(*tun));
  impl->config.ifname = impl->tun.name();
  if (auto r = impl->bind_udp(config.listen_port); !r) return r.error();
  impl->tun_sd = std::make_unique<Descriptor>(io, impl->tun.native_handle());
  if (!config.uapi_dir.empty()) {
    Impl* raw = impl.get();
    auto server = UapiServer::open(io, uapi_socket_path(config.uapi_dir, impl->config.ifname),
                                   impl->core, impl->settings, [raw] { raw->after_uapi(); });
    if (!server) return server.error();
    impl->uapi = std::move(*server);
  }
  return std::unique_ptr<DeviceDriver>(new DeviceDriver(std::move(impl)));
}

DeviceCore& DeviceDriver::core() noexcept { return impl_->core; }
const std::string& DeviceDriver::ifname() const noexcept { return impl_->config.ifname; }
std::uint16_t DeviceDriver::listen_port() const noexcept {
  return impl_->udp ? impl_->udp->local_address().port() : 0;
}
const DriverCounters& DeviceDriver::counters() const noexcept { return impl_->counters; }

std::string DeviceDriver::apply_uapi(std::string_view request) {
  UapiSession session(impl_->core, impl_->settings);
  std::string out;
  session.receive(request, out);
  impl_->after_uapi();
  return out;
}

void DeviceDriver::start() {
  net::co_spawn(impl_->io, impl_->tun_loop(), net::detached);
  net::co_spawn(impl_->io, impl_->udp_loop(), net::detached);
  net::co_spawn(impl_->io, impl_->timer_loop(), net::detached);
  if (impl_->uapi) impl_->uapi->start();
}

void DeviceDriver::wake() { impl_->after_uapi(); }

void DeviceDriver::stop() { impl_->stop({}); }

void DeviceDriver::set_on_stopped(std::function<void(std::error_code)> cb) {
  impl_->on_stopped = std::move(cb);
}

}  // namespace gquic::wireguard
