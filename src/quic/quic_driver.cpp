#include "gquic/quic/quic_driver.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "gquic/core/clock.h"
#include "gquic/core/log.h"
#include "gquic/observability/metrics.h"
#include "gquic/observability/publish.h"

namespace gquic::quic {

namespace net = boost::asio;
using asio::awaitable;
using asio::nothrow;

namespace detail {

namespace obs = observability;

// Prometheus series of one driver, refreshed by its loop.
struct DriverMetrics {
  struct Families {
    Result<std::reference_wrapper<obs::GaugeFamily>> srtt = Errc::closed, rttvar = Errc::closed,
        cwnd = Errc::closed, in_flight = Errc::closed;
    Result<std::reference_wrapper<obs::CounterFamily>> sent = Errc::closed,
        received = Errc::closed, key_updates = Errc::closed;
  };
  struct PerConnection {
    obs::Gauge *srtt = nullptr, *rttvar = nullptr, *cwnd = nullptr, *in_flight = nullptr;
    obs::CounterMirror sent, received, key_updates;
  };
  std::string name;
  Duration interval{};
  std::size_t max_series = 0;
  TimePoint last{};
  Families f;
  obs::Gauge* connections = nullptr;
  obs::CounterMirror datagrams_sent, datagrams_received, bytes_sent, bytes_received,
      transmits_dropped;
  std::array<obs::CounterMirror, static_cast<std::size_t>(DropReason::count_)> drops;
  std::map<std::uint64_t, PerConnection> conns;
};

const char* drop_name(DropReason r) {
  switch (r) {
    case DropReason::malformed: return "malformed";
    case DropReason::unknown_connection: return "unknown_connection";
    case DropReason::too_many_connections: return "too_many_connections";
    case DropReason::accept_failed: return "accept_failed";
    case DropReason::connection_error: return "connection_error";
    case DropReason::invalid_token: return "invalid_token";
    case DropReason::count_: break;
  }
  return "unknown";
}

// What the driver remembers of one connection besides its core.
struct Slot {
  std::deque<std::int64_t> incoming;               // streams the peer opened, not yet accepted
  std::deque<std::vector<std::uint8_t>> datagrams;  // received, not yet taken
  bool handshake = false;
  bool closed = false;
  std::error_code close_error;
  TimePoint started{};
  Duration handshake_time{};
};

struct DriverState : std::enable_shared_from_this<DriverState> {
  static constexpr std::size_t kRecvBuffers = 16;
  static constexpr std::size_t kPacketRoom = 1500;       // one QUIC packet in the send buffer
  static constexpr std::size_t kSendBuffer = 256 * 1024;  // bytes collected per sendmmsg
  static constexpr std::size_t kMaxPacketsPerFlush = 2048;

  DriverState(net::io_context& ctx, udp::UdpSocket s)
      : io(ctx), sock(std::move(s)), timer(ctx), wake(ctx),
        desc(std::make_unique<net::posix::stream_descriptor>(ctx, sock.native_handle())) {
    wake.expires_at(net::steady_timer::time_point::max());
    recv_storage.resize(kRecvBuffers * udp::kMaxUdpPayload);
    send_storage.resize(kSendBuffer);
  }

  ~DriverState() { desc->release(); }  // the UdpSocket owns and closes the descriptor

  net::io_context& io;
  udp::UdpSocket sock;
  net::steady_timer timer;  // the core's deadline, or now when kicked
  net::steady_timer wake;   // never expires; cancelled to wake waiting application calls
  std::unique_ptr<net::posix::stream_descriptor> desc;

  std::shared_ptr<TlsContext> tls;
  std::unique_ptr<Endpoint> endpoint;    // server role
  std::unique_ptr<Connection> client;    // client role (handle 1)
  std::map<std::uint64_t, Slot> slots;
  std::deque<std::uint64_t> accept_queue;
  bool stopped = false;
  bool kicked = false;
  bool running = false;
  std::uint64_t iterations = 0;
  std::uint64_t transmits_dropped = 0;
  std::vector<std::uint8_t> recv_storage;
  std::vector<std::uint8_t> send_storage;
  std::unique_ptr<DriverMetrics> metrics;

  void publish_connection(std::uint64_t h, Connection& c) {
    auto& m = *metrics;
    auto it = m.conns.find(h);
    if (it == m.conns.end()) {
      if (m.conns.size() >= m.max_series) return;
      const std::string label = std::to_string(h);
      DriverMetrics::PerConnection p;
      p.srtt = obs::series_or_null(m.f.srtt, {m.name, label});
      p.rttvar = obs::series_or_null(m.f.rttvar, {m.name, label});
      p.cwnd = obs::series_or_null(m.f.cwnd, {m.name, label});
      p.in_flight = obs::series_or_null(m.f.in_flight, {m.name, label});
      p.sent = obs::CounterMirror(obs::series_or_null(m.f.sent, {m.name, label}));
      p.received = obs::CounterMirror(obs::series_or_null(m.f.received, {m.name, label}));
      p.key_updates = obs::CounterMirror(obs::series_or_null(m.f.key_updates, {m.name, label}));
      it = m.conns.emplace(h, p).first;
    }
    const auto st = c.stats();
    auto& p = it->second;
    obs::set_gauge(p.srtt, std::chrono::duration<double>(st.smoothed_rtt).count());
    obs::set_gauge(p.rttvar, std::chrono::duration<double>(st.rtt_variance).count());
    obs::set_gauge(p.cwnd, static_cast<double>(st.cwnd));
    obs::set_gauge(p.in_flight, static_cast<double>(st.bytes_in_flight));
    p.sent.update(st.datagrams_sent);
    p.received.update(st.datagrams_received);
    p.key_updates.update(st.key_updates);
  }

  void publish(TimePoint now) {
    if (!metrics || now - metrics->last < metrics->interval) return;
    auto& m = *metrics;
    m.last = now;
    const auto& sc = sock.counters();
    m.datagrams_sent.update(sc.datagrams_sent);
    m.datagrams_received.update(sc.datagrams_received);
    m.bytes_sent.update(sc.bytes_sent);
    m.bytes_received.update(sc.bytes_received);
    m.transmits_dropped.update(transmits_dropped);
    std::size_t open = 0;
    if (endpoint) {
      for (std::size_t r = 0; r < m.drops.size(); ++r) {
        m.drops[r].update(endpoint->drops(static_cast<DropReason>(r)));
      }
      for (auto& [h, slot] : slots) {
        if (Connection* c = endpoint->connection(h); c != nullptr && !c->is_closed()) {
          ++open;
          publish_connection(h, *c);
        }
      }
    } else if (client && !client->is_closed()) {
      open = 1;
      publish_connection(1, *client);
    }
    obs::set_gauge(m.connections, static_cast<double>(open));
  }

  Clock& clock() { return SteadyClock::instance(); }

  Connection* conn(std::uint64_t h) {
    if (endpoint) return endpoint->connection(h);
    return h == 1 ? client.get() : nullptr;
  }
  Slot* slot(std::uint64_t h) {
    auto it = slots.find(h);
    return it == slots.end() ? nullptr : &it->second;
  }

  // Application made progress possible: let the loop run now.
  void kick() {
    if (kicked || stopped) return;
    kicked = true;
    timer.cancel();
  }
  void notify() { wake.cancel(); }
  awaitable<void> wait_progress() { co_await wake.async_wait(nothrow); }

  void on_event(std::uint64_t h, Event ev, TimePoint now) {
    Slot& s = slots[h];
    switch (ev.kind) {
      case EventKind::handshake_completed:
        s.handshake = true;
        s.handshake_time = now - s.started;
        if (endpoint) accept_queue.push_back(h);
        break;
      case EventKind::stream_opened:
        s.incoming.push_back(ev.stream_id);
        break;
      case EventKind::datagram_received:
        s.datagrams.push_back(std::move(ev.data));
        break;
      case EventKind::connection_closed:
        s.closed = true;
        s.close_error = ev.error ? ev.error : make_error_code(Errc::closed);
        break;
      default:
        break;
    }
  }

  void collect_events(TimePoint now) {
    if (endpoint) {
      while (auto e = endpoint->poll_event()) {
        if (!slots.contains(e->connection)) slots[e->connection].started = now;
        on_event(e->connection, std::move(e->event), now);
      }
      // Forget connections the endpoint dropped once nobody can want their state.
      for (auto it = slots.begin(); it != slots.end();) {
        if (it->second.closed && endpoint->connection(it->first) == nullptr &&
            it->second.datagrams.empty() && it->second.incoming.empty()) {
          it = slots.erase(it);
        } else {
          ++it;
        }
      }
    } else if (client) {
      while (auto e = client->poll_event()) on_event(1, std::move(*e), now);
    }
  }

  std::optional<TimePoint> next_deadline() const {
    if (endpoint) return endpoint->next_deadline();
    if (client) return client->next_deadline();
    return std::nullopt;
  }

  void feed(TimePoint now, const udp::RecvMeta& meta, std::span<const std::uint8_t> bytes) {
    Path path;
    path.local = sock.local_address();
    if (meta.destination) path.local = SocketAddress(*meta.destination, path.local.port());
    path.remote = meta.source;
    const auto ecn = static_cast<Ecn>(meta.ecn);
    udp::for_each_datagram(bytes, meta, [&](std::span<const std::uint8_t> d) {
      if (endpoint) {
        (void)endpoint->handle_datagram(now, path, d, ecn);
      } else if (client) {
        (void)client->handle_datagram(now, path, d, ecn);
      }
    });
  }

  // Receives until the socket is empty (bounded, so sending gets its turn).
  void receive(TimePoint now) {
    std::array<std::span<std::uint8_t>, kRecvBuffers> bufs;
    std::array<udp::RecvMeta, kRecvBuffers> meta;
    for (std::size_t i = 0; i < kRecvBuffers; ++i) {
      bufs[i] = std::span(recv_storage).subspan(i * udp::kMaxUdpPayload, udp::kMaxUdpPayload);
    }
    for (int round = 0; round < 8; ++round) {
      auto got = sock.recv(bufs, meta);
      if (!got) return;
      for (std::size_t i = 0; i < *got; ++i) {
        if (meta[i].len == 0) continue;
        feed(now, meta[i], std::span<const std::uint8_t>(bufs[i]).first(meta[i].len));
      }
      if (*got < kRecvBuffers) return;
    }
    kicked = true;  // more may be queued: come back at once
  }

  std::optional<Transmit> poll(TimePoint now, std::span<std::uint8_t> buf) {
    if (endpoint) return endpoint->poll_transmit(now, buf);
    if (client) return client->poll_transmit(now, buf);
    return std::nullopt;
  }

  // Sends `out` completely, waiting for the socket when the kernel is full.
  awaitable<void> send_all(std::vector<udp::Transmit>& out) {
    std::size_t done = 0;
    while (done < out.size() && !stopped) {
      auto r = sock.send(std::span(out).subspan(done));
      if (r) {
        done += *r;
        continue;
      }
      if (r.error() == Errc::would_block) {
        auto [ec] = co_await desc->async_wait(net::posix::descriptor_base::wait_write, nothrow);
        if (ec) break;
        continue;
      }
      ++transmits_dropped;  // this one is lost; QUIC's recovery resends its frames
      ++done;
    }
    out.clear();
  }

  // Drains the core's transmits into GSO batches.
  awaitable<void> flush(TimePoint now) {
    std::vector<udp::Transmit> out;
    std::size_t used = 0;
    std::size_t packets = 0;
    while (!stopped) {
      if (used + kPacketRoom > send_storage.size() || out.size() >= udp::kMaxBatchMessages) {
        co_await send_all(out);
        used = 0;
      }
      auto buf = std::span(send_storage).subspan(used, kPacketRoom);
      auto t = poll(now, buf);
      if (!t) break;
      if (t->size == 0) continue;
      const auto ecn = static_cast<udp::Ecn>(t->ecn);
      bool merged = false;
      if (!out.empty()) {
        auto& last = out.back();
        const std::size_t seg = last.segment_size == 0 ? last.contents.size() : last.segment_size;
        const std::size_t segs = last.contents.size() / seg;
        if (last.destination == t->destination && last.ecn == ecn &&
            last.contents.size() % seg == 0 && t->size <= seg &&
            segs < udp::kMaxGsoSegments && last.contents.size() + t->size <= 60000 &&
            last.contents.data() + last.contents.size() == buf.data()) {
          last.contents = std::span(last.contents.data(), last.contents.size() + t->size);
          last.segment_size = seg;
          merged = true;
        }
      }
      if (!merged) {
        out.push_back(udp::Transmit{.destination = t->destination,
                                    .contents = buf.first(t->size),
                                    .ecn = ecn});
      }
      used += t->size;
      if (++packets >= kMaxPacketsPerFlush) {
        kicked = true;  // the core has more: let receiving (ACKs) interleave
        break;
      }
    }
    // A GSO transmit of one segment must not carry a segment size.
    for (auto& t : out) {
      if (t.segment_size == t.contents.size()) t.segment_size = 0;
    }
    if (!out.empty()) co_await send_all(out);
  }

  awaitable<void> run() {
    using namespace net::experimental::awaitable_operators;
    auto self = shared_from_this();
    running = true;
    while (!stopped) {
      auto now = clock().now();
      collect_events(now);
      co_await flush(now);
      collect_events(clock().now());
      publish(clock().now());
      notify();
      ++iterations;
      if (stopped) break;
      if (kicked) {
        timer.expires_at(net::steady_timer::time_point::min());
      } else if (auto d = next_deadline()) {
        timer.expires_at(*d);
      } else {
        timer.expires_at(net::steady_timer::time_point::max());
      }
      kicked = false;
      auto which = co_await (desc->async_wait(net::posix::descriptor_base::wait_read, nothrow) ||
                             timer.async_wait(nothrow));
      if (stopped) break;
      now = clock().now();
      if (which.index() == 0) {
        receive(now);
      } else {
        receive(now);  // cheap when empty; keeps ACKs flowing under a busy sender
      }
      if (auto d = next_deadline(); d && *d <= now) {
        if (endpoint) endpoint->handle_timeout(now);
        if (client) client->handle_timeout(now);
      }
    }
    running = false;
    notify();
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    boost::system::error_code ignored;
    timer.cancel();
    desc->cancel(ignored);
    notify();
  }

  // Waits until `ready()` or the connection closed; returns its close error in that case.
  template <typename Ready>
  awaitable<std::error_code> wait_for(std::uint64_t h, Ready ready) {
    for (;;) {
      Slot* s = slot(h);
      if (ready()) co_return std::error_code{};
      if (s == nullptr || s->closed || stopped) {
        co_return s != nullptr && s->close_error ? s->close_error : make_error_code(Errc::closed);
      }
      co_await wait_progress();
    }
  }
};

}  // namespace detail

using detail::DriverState;

namespace {

Result<udp::UdpSocket> open_socket(const DriverConfig& c) {
  return udp::UdpSocket::open({.bind_address = c.bind,
                               .recv_buffer_size = c.socket_buffer,
                               .send_buffer_size = c.socket_buffer,
                               .enable_gso = c.enable_gso,
                               .enable_gro = c.enable_gro});
}

}  // namespace

// --- EndpointDriver ---

Result<std::unique_ptr<EndpointDriver>> EndpointDriver::server(net::io_context& io,
                                                               std::shared_ptr<TlsContext> tls,
                                                               EndpointConfig endpoint,
                                                               DriverConfig config) {
  auto sock = open_socket(config);
  if (!sock) return sock.error();
  auto d = std::make_shared<DriverState>(io, std::move(*sock));
  d->tls = tls;
  d->endpoint = std::make_unique<Endpoint>(std::move(tls), std::move(endpoint));
  net::co_spawn(io, d->run(), net::detached);
  return std::unique_ptr<EndpointDriver>(new EndpointDriver(std::move(d)));
}

Result<std::unique_ptr<EndpointDriver>> EndpointDriver::client(net::io_context& io,
                                                               DriverConfig config) {
  auto sock = open_socket(config);
  if (!sock) return sock.error();
  auto d = std::make_shared<DriverState>(io, std::move(*sock));
  return std::unique_ptr<EndpointDriver>(new EndpointDriver(std::move(d)));
}

EndpointDriver::~EndpointDriver() { d_->stop(); }

void EndpointDriver::stop() { d_->stop(); }

void EndpointDriver::register_metrics(observability::MetricsCollector& c, std::string name,
                                      Duration interval, std::size_t max_connection_series) {
  namespace obs = observability;
  auto m = std::make_unique<detail::DriverMetrics>();
  m->name = std::move(name);
  m->interval = interval;
  m->max_series = max_connection_series;
  m->f.srtt = c.gauge("gquic_quic_connection_smoothed_rtt_seconds",
                      "Smoothed RTT of a QUIC connection", {"endpoint", "connection"});
  m->f.rttvar = c.gauge("gquic_quic_connection_rtt_variance_seconds",
                        "RTT variance of a QUIC connection", {"endpoint", "connection"});
  m->f.cwnd = c.gauge("gquic_quic_connection_cwnd_bytes",
                      "Congestion window of a QUIC connection", {"endpoint", "connection"});
  m->f.in_flight = c.gauge("gquic_quic_connection_bytes_in_flight",
                           "Unacknowledged bytes in flight of a QUIC connection",
                           {"endpoint", "connection"});
  m->f.sent = c.counter("gquic_quic_connection_packets_sent_total",
                        "UDP datagrams sent by a QUIC connection", {"endpoint", "connection"});
  m->f.received = c.counter("gquic_quic_connection_packets_received_total",
                            "UDP datagrams received by a QUIC connection",
                            {"endpoint", "connection"});
  m->f.key_updates = c.counter("gquic_quic_connection_key_updates_total",
                               "1-RTT key generations installed by a QUIC connection",
                               {"endpoint", "connection"});
  auto conns = c.gauge("gquic_quic_connections", "Open QUIC connections", {"endpoint"});
  auto dsent = c.counter("gquic_quic_datagrams_sent_total", "UDP datagrams sent", {"endpoint"});
  auto drecv = c.counter("gquic_quic_datagrams_received_total", "UDP datagrams received",
                         {"endpoint"});
  auto bsent = c.counter("gquic_quic_sent_bytes_total", "UDP payload bytes sent", {"endpoint"});
  auto brecv = c.counter("gquic_quic_received_bytes_total", "UDP payload bytes received",
                         {"endpoint"});
  auto tdrop = c.counter("gquic_quic_send_drops_total",
                         "Packets the socket refused (recovered by QUIC)", {"endpoint"});
  auto drops = c.counter("gquic_quic_drops_total", "Datagrams dropped by the endpoint",
                         {"endpoint", "reason"});
  const std::string& n = m->name;
  m->connections = obs::series_or_null(conns, {n});
  m->datagrams_sent = obs::CounterMirror(obs::series_or_null(dsent, {n}));
  m->datagrams_received = obs::CounterMirror(obs::series_or_null(drecv, {n}));
  m->bytes_sent = obs::CounterMirror(obs::series_or_null(bsent, {n}));
  m->bytes_received = obs::CounterMirror(obs::series_or_null(brecv, {n}));
  m->transmits_dropped = obs::CounterMirror(obs::series_or_null(tdrop, {n}));
  for (std::size_t r = 0; r < m->drops.size(); ++r) {
    m->drops[r] = obs::CounterMirror(
        obs::series_or_null(drops, {n, detail::drop_name(static_cast<DropReason>(r))}));
  }
  d_->metrics = std::move(m);
}

SocketAddress EndpointDriver::local_address() const { return d_->sock.local_address(); }

Endpoint* EndpointDriver::endpoint() const { return d_->endpoint.get(); }

DriverStats EndpointDriver::stats() const {
  return {d_->sock.counters(), d_->iterations, d_->transmits_dropped};
}

awaitable<Result<QuicConnection>> EndpointDriver::accept() {
  auto d = d_;
  if (!d->endpoint) co_return Errc::unsupported;
  for (;;) {
    while (!d->accept_queue.empty()) {
      const auto h = d->accept_queue.front();
      d->accept_queue.pop_front();
      if (d->conn(h) != nullptr) co_return QuicConnection(d, h);
    }
    if (d->stopped) co_return Errc::closed;
    co_await d->wait_progress();
  }
}

awaitable<Result<QuicConnection>> EndpointDriver::connect(const std::shared_ptr<TlsContext>& tls,
                                                          const ConnectionConfig& config,
                                                          SocketAddress remote) {
  auto d = d_;
  if (d->endpoint || d->client) co_return Errc::unsupported;  // one connection per client
  const auto now = d->clock().now();
  Path path{d->sock.local_address(), remote};
  if (path.local.ip() == IpAddress::any(path.local.ip().family())) {
    // ngtcp2 needs a concrete local address on the path; loopback peers use loopback.
    path.local = SocketAddress(remote.ip(), path.local.port());
  }
  auto c = Connection::connect(tls, config, path, now);
  if (!c) co_return c.error();
  d->client = std::move(*c);
  d->slots[1].started = now;
  net::co_spawn(d->io, d->run(), net::detached);
  auto ec = co_await d->wait_for(1, [&] { return d->slots[1].handshake; });
  if (ec) co_return ec;
  co_return QuicConnection(d, 1);
}

// --- QuicConnection ---

Connection* QuicConnection::core() const { return d_ ? d_->conn(h_) : nullptr; }

Duration QuicConnection::handshake_time() const {
  auto* s = d_ ? d_->slot(h_) : nullptr;
  return s ? s->handshake_time : Duration{};
}

namespace {

// Retries `op` (returning Result<T>) until it stops answering would_block. `d` is a raw
// pointer on purpose: GCC 12 destroys by-value class arguments of a coroutine called inside a
// co_await expression twice, so coroutine parameters here are pointers, references or trivial.
template <typename T, typename Op>
awaitable<Result<T>> retry(DriverState* d, std::uint64_t h, Op op) {
  for (;;) {
    Connection* c = d->conn(h);
    if (c == nullptr || c->is_closed()) {
      auto* s = d->slot(h);
      co_return s != nullptr && s->close_error ? s->close_error : make_error_code(Errc::closed);
    }
    Result<T> r = op(*c);
    if (r || r.error() != Errc::would_block) {
      d->kick();
      co_return r;
    }
    if (d->stopped) co_return Errc::closed;
    auto* s = d->slot(h);
    if (s == nullptr || s->closed) continue;  // reported at the top
    co_await d->wait_progress();
  }
}

}  // namespace

awaitable<Result<std::int64_t>> QuicConnection::open_bidi_stream() const {
  co_return co_await retry<std::int64_t>(d_.get(), h_, [](Connection& c) { return c.open_bidi_stream(); });
}

awaitable<Result<std::int64_t>> QuicConnection::open_uni_stream() const {
  co_return co_await retry<std::int64_t>(d_.get(), h_, [](Connection& c) { return c.open_uni_stream(); });
}

awaitable<Result<std::int64_t>> QuicConnection::accept_stream() const {
  auto d = d_;
  const auto h = h_;
  auto ec = co_await d->wait_for(h, [&] {
    auto* s = d->slot(h);
    return s != nullptr && !s->incoming.empty();
  });
  auto* s = d->slot(h);
  if (s != nullptr && !s->incoming.empty()) {  // streams that came before the close still count
    const auto id = s->incoming.front();
    s->incoming.pop_front();
    co_return id;
  }
  co_return ec;
}

awaitable<Result<void>> QuicConnection::write(std::int64_t id, std::span<const std::uint8_t> data,
                                              bool fin) const {
  auto d = d_;
  const auto h = h_;
  do {
    auto r = co_await retry<std::size_t>(
        d.get(), h, [&](Connection& c) { return c.write_stream(id, data, fin); });
    if (!r) co_return r.error();
    data = data.subspan(*r);
  } while (!data.empty());
  co_return Result<void>{};
}

awaitable<Result<ReadResult>> QuicConnection::read(std::int64_t id, std::span<std::uint8_t> buf) const {
  auto d = d_;
  const auto h = h_;
  for (;;) {
    Connection* c = d->conn(h);
    if (c == nullptr) co_return Errc::closed;
    auto r = c->read_stream(id, buf);
    if (!r) co_return r.error();
    if (r->size > 0 || r->fin) {
      d->kick();  // window updates
      co_return r;
    }
    auto* s = d->slot(h);
    if (s == nullptr || s->closed || d->stopped || c->is_closed()) {
      co_return s != nullptr && s->close_error ? s->close_error : make_error_code(Errc::closed);
    }
    co_await d->wait_progress();
  }
}

awaitable<Result<void>> QuicConnection::flush(std::int64_t id) const {
  auto d = d_;
  const auto h = h_;
  auto ec = co_await d->wait_for(h, [&] {
    Connection* c = d->conn(h);
    return c != nullptr && c->stream_send_buffered(id) == 0;
  });
  if (ec) co_return ec;
  co_return Result<void>{};
}

awaitable<Result<void>> QuicConnection::send_datagram(std::span<const std::uint8_t> data) const {
  auto r = co_await retry<bool>(d_.get(), h_, [&](Connection& c) -> Result<bool> {
    auto s = c.send_datagram(data);
    if (!s) return s.error();
    return true;
  });
  if (!r) co_return r.error();
  co_return Result<void>{};
}

awaitable<Result<std::vector<std::uint8_t>>> QuicConnection::recv_datagram() const {
  auto d = d_;
  const auto h = h_;
  auto ec = co_await d->wait_for(h, [&] {
    auto* s = d->slot(h);
    return s != nullptr && !s->datagrams.empty();
  });
  auto* s = d->slot(h);
  if (s != nullptr && !s->datagrams.empty()) {
    auto v = std::move(s->datagrams.front());
    s->datagrams.pop_front();
    co_return v;
  }
  co_return ec;
}

void QuicConnection::close(std::uint64_t code, std::string_view reason) const {
  if (Connection* c = core(); c != nullptr && !c->is_closed()) {
    c->close(d_->clock().now(), code, reason);
    d_->kick();
  }
}

awaitable<std::error_code> QuicConnection::wait_closed() const {
  auto d = d_;
  const auto h = h_;
  co_await d->wait_for(h, [] { return false; });
  auto* s = d->slot(h);
  co_return s != nullptr ? s->close_error : make_error_code(Errc::closed);
}

}  // namespace gquic::quic
