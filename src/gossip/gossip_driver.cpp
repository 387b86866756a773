// GossipDriver: SwimCore over UDP and TCP (gossip_driver.h).
#include "gquic/gossip/gossip_driver.h"

#include <array>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace gquic::gossip {
namespace net = asio::net;
using udp = net::ip::udp;
using tcp = net::ip::tcp;

namespace {
net::ip::address to_address(const IpAddress& ip) {
  if (ip.is_v4()) return net::ip::address_v4(ntohl(ip.to_in_addr().s_addr));
  net::ip::address_v6::bytes_type b;
  std::copy(ip.bytes().begin(), ip.bytes().end(), b.begin());
  return net::ip::address_v6(b);
}
SocketAddress from_address(const net::ip::address& a, std::uint16_t port) {
  if (a.is_v4()) return SocketAddress(IpAddress::v4(a.to_v4().to_uint()), port);
  in6_addr x{};
  auto b = a.to_v6().to_bytes();
  std::copy(b.begin(), b.end(), reinterpret_cast<std::uint8_t*>(&x));
  return SocketAddress(IpAddress::v6(x), port);
}
std::array<std::uint8_t, 4> length_prefix(std::size_t n) {
  return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}
}  // namespace

struct GossipDriver::Impl : std::enable_shared_from_this<Impl> {
  GossipDriver* self = nullptr;
  net::io_context& io;
  const Clock& clock;
  GossipDriverConfig config;
  RandomSource& rng;
  udp::socket socket;
  tcp::acceptor acceptor;
  net::steady_timer timer;
  std::unique_ptr<SwimCore> core;
  GossipDriverCounters counters;
  std::size_t active_streams = 0;
  bool stopped = false;

  Impl(net::io_context& io_, GossipDriverConfig c, RandomSource& r, const Clock& clk)
      : io(io_), clock(clk), config(std::move(c)), rng(r), socket(io_), acceptor(io_), timer(io_) {}

  void flush() {
    if (stopped) return;
    while (auto t = core->poll_transmit()) {
      if (t->stream) {
        ++counters.streams_out;
        net::co_spawn(io, push_pull(shared_from_this(), t->destination, std::move(t->bytes)), net::detached);
        continue;
      }
      boost::system::error_code ec;
      socket.send_to(net::buffer(t->bytes), udp::endpoint(to_address(t->destination.ip()), t->destination.port()), 0, ec);
      if (ec) ++counters.send_errors;
      else ++counters.datagrams_out;
    }
    while (auto e = core->poll_event()) {
      if (self && self->on_event) self->on_event(*e);
    }
  }

  // Reads one length-prefixed frame; empty on error, timeout (the watchdog closes the
  // socket) or a frame over the limit.
  static net::awaitable<std::optional<std::vector<std::uint8_t>>> read_frame(tcp::socket& s, std::size_t limit) {
    std::array<std::uint8_t, 4> len{};
    auto [ec, n] = co_await net::async_read(s, net::buffer(len), asio::nothrow);
    if (ec) co_return std::nullopt;
    std::size_t size = std::size_t{len[0]} << 24 | std::size_t{len[1]} << 16 | std::size_t{len[2]} << 8 | len[3];
    if (size == 0 || size > limit) co_return std::nullopt;
    std::vector<std::uint8_t> body(size);
    auto [ec2, m] = co_await net::async_read(s, net::buffer(body), asio::nothrow);
    if (ec2) co_return std::nullopt;
    co_return body;
  }

  static net::awaitable<bool> write_frame(tcp::socket& s, const std::vector<std::uint8_t>& bytes) {
    auto len = length_prefix(bytes.size());
    std::array<net::const_buffer, 2> bufs{net::buffer(len), net::buffer(bytes)};
    auto [ec, n] = co_await net::async_write(s, bufs, asio::nothrow);
    co_return !ec;
  }

  static void watchdog(const std::shared_ptr<tcp::socket>& s, const std::shared_ptr<net::steady_timer>& t,
                       Duration after) {
    t->expires_after(after);
    t->async_wait([s](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        s->close(ignored);
      }
    });
  }

  static net::awaitable<void> push_pull(std::shared_ptr<Impl> me, SocketAddress to, std::vector<std::uint8_t> bytes) {
    auto s = std::make_shared<tcp::socket>(me->io);
    auto t = std::make_shared<net::steady_timer>(me->io);
    watchdog(s, t, me->config.stream_timeout);
    auto [ec] = co_await s->async_connect(tcp::endpoint(to_address(to.ip()), to.port()), asio::nothrow);
    std::optional<std::vector<std::uint8_t>> reply;
    if (!ec && co_await write_frame(*s, bytes)) reply = co_await read_frame(*s, me->config.max_stream_bytes);
    t->cancel();
    if (!reply) {
      ++me->counters.stream_errors;
      co_return;
    }
    if (me->stopped) co_return;
    me->core->handle_stream_reply(me->clock.now(), to, *reply);
    me->flush();
    me->timer.cancel();
  }

  static net::awaitable<void> serve(std::shared_ptr<Impl> me, std::shared_ptr<tcp::socket> s) {
    auto t = std::make_shared<net::steady_timer>(me->io);
    watchdog(s, t, me->config.stream_timeout);
    boost::system::error_code ec;
    auto peer = s->remote_endpoint(ec);
    auto request = co_await read_frame(*s, me->config.max_stream_bytes);
    if (request && !me->stopped) {
      ++me->counters.streams_in;
      auto reply = me->core->handle_stream(me->clock.now(), from_address(peer.address(), peer.port()), *request);
      me->flush();
      me->timer.cancel();
      if (reply) co_await write_frame(*s, *reply);
    } else {
      ++me->counters.stream_errors;
    }
    t->cancel();
    s->close(ec);
    --me->active_streams;
  }

  static net::awaitable<void> accept_loop(std::shared_ptr<Impl> me) {
    while (!me->stopped) {
      auto s = std::make_shared<tcp::socket>(me->io);
      auto [ec] = co_await me->acceptor.async_accept(*s, asio::nothrow);
      if (me->stopped || ec == net::error::operation_aborted) co_return;
      if (ec) continue;
      if (me->active_streams >= me->config.max_streams) {
        ++me->counters.streams_refused;
        s->close(ec);
        continue;
      }
      ++me->active_streams;
      net::co_spawn(me->io, serve(me, s), net::detached);
    }
  }

  static net::awaitable<void> receive_loop(std::shared_ptr<Impl> me) {
    std::vector<std::uint8_t> buf(65536);
    udp::endpoint from;
    while (!me->stopped) {
      auto [ec, n] = co_await me->socket.async_receive_from(net::buffer(buf), from, asio::nothrow);
      if (me->stopped || ec == net::error::operation_aborted) co_return;
      if (ec) continue;
      ++me->counters.datagrams_in;
      me->core->handle_datagram(me->clock.now(), from_address(from.address(), from.port()),
                                std::span<const std::uint8_t>(buf.data(), n));
      me->flush();
      me->timer.cancel();
    }
  }

  static net::awaitable<void> timer_loop(std::shared_ptr<Impl> me) {
    while (!me->stopped) {
      TimePoint now = me->clock.now();
      if (auto dl = me->core->next_deadline(); dl && *dl <= now) me->core->handle_timeout(now);
      me->flush();
      auto dl = me->core->next_deadline();
      Duration wait = dl ? std::max(Duration::zero(), *dl - me->clock.now()) : std::chrono::seconds(1);
      me->timer.expires_after(std::min<Duration>(wait, std::chrono::seconds(1)));
      auto [ec] = co_await me->timer.async_wait(asio::nothrow);
      (void)ec;
    }
  }
};

GossipDriver::GossipDriver(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->self = this; }
GossipDriver::~GossipDriver() {
  stop();
  impl_->self = nullptr;
}

Result<std::unique_ptr<GossipDriver>> GossipDriver::open(net::io_context& io, GossipDriverConfig config,
                                                         RandomSource& rng, const Clock& clock) {
  auto impl = std::make_shared<Impl>(io, std::move(config), rng, clock);
  auto& adv = impl->config.swim.advertise;
  boost::system::error_code ec;
  auto ip = to_address(adv.ip());
  std::uint16_t port = adv.port();
  // UDP and TCP on one port: with port 0 retry until both binds succeed.
  for (int attempt = 0; attempt < 20; ++attempt) {
    ec.clear();
    impl->socket = udp::socket(io);
    impl->acceptor = tcp::acceptor(io);
    impl->socket.open(ip.is_v4() ? udp::v4() : udp::v6(), ec);
    if (!ec) impl->socket.bind(udp::endpoint(ip, port), ec);
    std::uint16_t bound = ec ? 0 : impl->socket.local_endpoint().port();
    if (!ec) impl->acceptor.open(ip.is_v4() ? tcp::v4() : tcp::v6(), ec);
    if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(tcp::endpoint(ip, bound), ec);
    if (!ec) impl->acceptor.listen(128, ec);
    if (!ec) {
      adv = SocketAddress(adv.ip(), bound);
      break;
    }
    if (port != 0) break;
  }
  if (ec) return std::error_code(ec.value(), std::system_category());
  impl->core = std::make_unique<SwimCore>(impl->config.swim, rng, clock.now());
  return std::unique_ptr<GossipDriver>(new GossipDriver(std::move(impl)));
}

SwimCore& GossipDriver::core() noexcept { return *impl_->core; }
SocketAddress GossipDriver::local_address() const noexcept { return impl_->config.swim.advertise; }
TimePoint GossipDriver::now() const noexcept { return impl_->clock.now(); }
const GossipDriverCounters& GossipDriver::counters() const noexcept { return impl_->counters; }

void GossipDriver::start() {
  auto& me = impl_;
  if (!me->config.seeds.empty()) me->core->join(me->clock.now(), me->config.seeds);
  net::co_spawn(me->io, Impl::receive_loop(me), net::detached);
  net::co_spawn(me->io, Impl::accept_loop(me), net::detached);
  net::co_spawn(me->io, Impl::timer_loop(me), net::detached);
}

void GossipDriver::poke() {
  impl_->flush();
  impl_->timer.cancel();
}

void GossipDriver::stop() {
  if (impl_->stopped) return;
  impl_->flush();
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->socket.close(ec);
  impl_->acceptor.close(ec);
  impl_->timer.cancel();
}

}  // namespace gquic::gossip
