// MdnsDriver: the mDNS cores on a UDP multicast socket (mdns_driver.h).
#include "gquic/mdns/mdns_driver.h"

#include <array>

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

namespace gquic::mdns {
namespace net = asio::net;
using udp = net::ip::udp;

namespace {
udp::endpoint to_endpoint(const SocketAddress& a, unsigned scope) {
  if (a.is_v4()) return {net::ip::address_v4(ntohl(a.ip().to_in_addr().s_addr)), a.port()};
  net::ip::address_v6::bytes_type b;
  std::copy(a.ip().bytes().begin(), a.ip().bytes().end(), b.begin());
  net::ip::address_v6 v6(b);
  if (v6.is_link_local() || v6.is_multicast_link_local()) v6.scope_id(scope);
  return {v6, a.port()};
}
SocketAddress from_endpoint(const udp::endpoint& e) {
  if (e.address().is_v4()) return SocketAddress(IpAddress::v4(e.address().to_v4().to_uint()), e.port());
  in6_addr a{};
  auto b = e.address().to_v6().to_bytes();
  std::copy(b.begin(), b.end(), reinterpret_cast<std::uint8_t*>(&a));
  return SocketAddress(IpAddress::v6(a), e.port());
}
}  // namespace

struct MdnsDriver::Impl {
  MdnsDriver* self = nullptr;
  net::io_context& io;
  const Clock& clock;
  MdnsDriverConfig config;
  udp::socket socket;   // IPv4
  udp::socket socket6;  // IPv6
  net::steady_timer timer;
  MdnsResponder responder;
  MdnsBrowser browser;
  MdnsDriverCounters counters;
  bool stopped = false;

  Impl(net::io_context& io_, MdnsDriverConfig c, const Clock& clk)
      : io(io_), clock(clk), config(std::move(c)), socket(io_), socket6(io_), timer(io_),
        responder(config.responder), browser(config.browser) {}

  void flush() {
    auto send_on = [&](udp::socket& s, const Transmit& t, const SocketAddress& to) {
      boost::system::error_code ec;
      s.send_to(net::buffer(t.bytes), to_endpoint(to, config.interface_index), 0, ec);
      if (ec) ++counters.send_errors;
      else ++counters.sent;
    };
    auto send = [&](const Transmit& t) {
      if (t.multicast) {
        if (socket.is_open()) send_on(socket, t, mdns_group_v4());
        if (socket6.is_open()) send_on(socket6, t, mdns_group_v6());
      } else if (t.destination.is_v4() ? socket.is_open() : socket6.is_open()) {
        send_on(t.destination.is_v4() ? socket : socket6, t, t.destination);
      }
    };
    while (auto t = responder.poll_transmit()) send(*t);
    while (auto t = browser.poll_transmit()) send(*t);
    while (auto e = responder.poll_event()) {
      if (self->on_responder_event) self->on_responder_event(*e);
    }
    while (auto e = browser.poll_event()) {
      if (self->on_browser_event) self->on_browser_event(*e);
    }
  }

  asio::awaitable<void> receive_loop(udp::socket& sock) {
    std::vector<std::uint8_t> buf(kMaxMessageSize);
    udp::endpoint from;
    while (!stopped) {
      auto [ec, n] = co_await sock.async_receive_from(net::buffer(buf), from, asio::nothrow);
      if (ec == net::error::operation_aborted || stopped) co_return;
      if (ec) continue;
      ++counters.received;
      TimePoint now = clock.now();
      auto src = from_endpoint(from);
      std::span<const std::uint8_t> bytes(buf.data(), n);
      responder.handle_datagram(now, src, bytes);
      browser.handle_datagram(now, src, bytes);
      flush();
      timer.cancel();  // re-arm for new deadlines
    }
  }

  asio::awaitable<void> timer_loop() {
    while (!stopped) {
      TimePoint now = clock.now();
      auto a = responder.next_deadline();
      auto b = browser.next_deadline();
      if (a && *a <= now) responder.handle_timeout(now);
      if (b && *b <= now) browser.handle_timeout(now);
      flush();
      a = responder.next_deadline();
      b = browser.next_deadline();
      std::optional<TimePoint> next = a;
      if (b && (!next || *b < *next)) next = b;
      Duration wait = next ? std::max(Duration::zero(), *next - clock.now()) : std::chrono::seconds(60);
      timer.expires_after(std::min<Duration>(wait, std::chrono::seconds(60)));
      auto [ec] = co_await timer.async_wait(asio::nothrow);
      (void)ec;  // cancelled: something changed, recompute
    }
  }
};

MdnsDriver::MdnsDriver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->self = this; }
MdnsDriver::~MdnsDriver() = default;

Result<std::unique_ptr<MdnsDriver>> MdnsDriver::open(net::io_context& io, MdnsDriverConfig config,
                                                     const Clock& clock) {
  auto impl = std::make_unique<Impl>(io, std::move(config), clock);
  const auto& cfg = impl->config;
  boost::system::error_code ec;
  auto reuse = [&](udp::socket& s) {
    s.set_option(net::socket_base::reuse_address(true), ec);
    int one = 1;
    if (!ec && ::setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  };
  if (cfg.ipv4) {
    auto& s = impl->socket;
    s.open(udp::v4(), ec);
    if (!ec) reuse(s);
    if (!ec) s.bind(udp::endpoint(net::ip::address_v4::any(), cfg.port), ec);
    auto ifaddr = net::ip::address_v4(ntohl(cfg.interface_address.to_in_addr().s_addr));
    auto group = net::ip::make_address_v4("224.0.0.251");
    if (!ec) s.set_option(net::ip::multicast::join_group(group, ifaddr), ec);
    if (!ec && !ifaddr.is_unspecified()) s.set_option(net::ip::multicast::outbound_interface(ifaddr), ec);
    if (!ec) s.set_option(net::ip::multicast::hops(255), ec);
    if (!ec) s.set_option(net::ip::multicast::enable_loopback(true), ec);
    if (ec) return std::error_code(ec.value(), std::system_category());
  }
  if (cfg.ipv6) {
    auto& s = impl->socket6;
    s.open(udp::v6(), ec);
    if (!ec) s.set_option(net::ip::v6_only(true), ec);
    if (!ec) reuse(s);
    if (!ec) s.bind(udp::endpoint(net::ip::address_v6::any(), cfg.port), ec);
    auto group = net::ip::make_address_v6("ff02::fb");
    if (!ec) s.set_option(net::ip::multicast::join_group(group, cfg.interface_index), ec);
    if (!ec && cfg.interface_index != 0) s.set_option(net::ip::multicast::outbound_interface(cfg.interface_index), ec);
    if (!ec) s.set_option(net::ip::multicast::hops(255), ec);
    if (!ec) s.set_option(net::ip::multicast::enable_loopback(true), ec);
    if (ec) return std::error_code(ec.value(), std::system_category());
  }
  if (!cfg.ipv4 && !cfg.ipv6) return make_error_code(Errc::invalid_argument);
  return std::unique_ptr<MdnsDriver>(new MdnsDriver(std::move(impl)));
}

MdnsResponder& MdnsDriver::responder() noexcept { return impl_->responder; }
MdnsBrowser& MdnsDriver::browser() noexcept { return impl_->browser; }
TimePoint MdnsDriver::now() const noexcept { return impl_->clock.now(); }
const MdnsDriverCounters& MdnsDriver::counters() const noexcept { return impl_->counters; }

void MdnsDriver::start() {
  if (impl_->socket.is_open()) net::co_spawn(impl_->io, impl_->receive_loop(impl_->socket), net::detached);
  if (impl_->socket6.is_open()) net::co_spawn(impl_->io, impl_->receive_loop(impl_->socket6), net::detached);
  net::co_spawn(impl_->io, impl_->timer_loop(), net::detached);
}

void MdnsDriver::poke() {
  impl_->flush();
  impl_->timer.cancel();
}

void MdnsDriver::stop() {
  impl_->stopped = true;
  impl_->flush();
  boost::system::error_code ec;
  impl_->socket.close(ec);
  impl_->socket6.close(ec);
  impl_->timer.cancel();
}

}  // namespace gquic::mdns
