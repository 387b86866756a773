#include "gquic/derp/derp_server.h"

#include <unordered_map>
#include <unordered_set>

#include <boost/asio/this_coro.hpp>

#include "derp_stream_io.h"
#include "gquic/core/log.h"
#include "gquic/derp/http_upgrade.h"
#include "gquic/derp/key_file.h"
#include "gquic/derp/relay_client.h"
#include "gquic/derp/stun.h"
#include "gquic/observability/metrics.h"

namespace gquic::derp {

using namespace detail;

std::string_view to_string(DriverDrop d) noexcept {
  switch (d) {
    case DriverDrop::connection_limit: return "connection_limit";
    case DriverDrop::tls_handshake: return "tls_handshake";
    case DriverDrop::header_timeout: return "header_timeout";
    case DriverDrop::bad_request: return "bad_request";
    case DriverDrop::header_too_large: return "header_too_large";
    case DriverDrop::write_timeout: return "write_timeout";
    case DriverDrop::stun_malformed: return "stun_malformed";
    case DriverDrop::count_: break;
  }
  return "unknown";
}

Result<void> validate(const DerpServerConfig& c) {
  if (c.dev) {
    if (!c.listen_addr.ip().is_loopback()) return Errc::invalid_argument;
  } else if (c.tls_cert.empty() || c.tls_key.empty()) {
    return Errc::invalid_argument;
  }
  if (c.enable_persistence && c.state_dir.empty()) return Errc::invalid_argument;
  if (!c.mesh_peers.empty() && !c.mesh_key) return Errc::invalid_argument;
  for (const auto& p : c.mesh_peers) {
    if (!http::parse_relay_url(p)) return Errc::invalid_argument;
  }
  if (c.max_clients == 0 || c.max_connections == 0 || c.queue_packets == 0) {
    return Errc::invalid_argument;
  }
  return {};
}

namespace {

struct Session {
  Session(std::shared_ptr<Stream> s, ConnId i, net::any_io_executor ex)
      : stream(std::move(s)), id(i), wake(ex) {}
  std::shared_ptr<Stream> stream;
  ConnId id;
  net::steady_timer wake;  // the writer sleeps on it; cancel() wakes it
  bool closed = false;
  bool writing = false;
  TimePoint write_started{};
};

struct Link {
  std::shared_ptr<RelayConnection> conn;
};

struct Metrics {
  observability::Gauge* clients = nullptr;
  observability::Gauge* connections = nullptr;
  observability::Gauge* mesh_peers = nullptr;
  observability::Counter* packets = nullptr;
  observability::Counter* bytes = nullptr;
  observability::Counter* forwarded = nullptr;
  observability::Counter* stun = nullptr;
  std::array<observability::Counter*, static_cast<std::size_t>(DropReason::count_)> core_drops{};
  std::array<observability::Counter*, static_cast<std::size_t>(DriverDrop::count_)> driver_drops{};
  std::array<observability::Counter*, static_cast<std::size_t>(CloseReason::count_)> closes{};
};

template <typename Fam>
auto* child(Fam& fam, std::initializer_list<std::string_view> labels) {
  auto c = fam.with(labels);
  return c ? &c->get() : nullptr;
}

}  // namespace

struct DerpServer::State : std::enable_shared_from_this<State> {
  State(net::io_context& io_ctx, DerpServerConfig cfg, ServerCoreConfig core_cfg,
        observability::MetricsCollector* m, Clock& c)
      : io(io_ctx),
        config(std::move(cfg)),
        clock(c),
        core(std::move(core_cfg)),
        acceptor(io_ctx),
        tick(io_ctx),
        log(log::get("derp")) {
    if (m != nullptr) register_metrics(*m);
  }

  void register_metrics(observability::MetricsCollector& m);
  void publish();
  void count(DriverDrop d) { ++driver_drops[static_cast<std::size_t>(d)]; }

  // Acts on what the core decided: closes, wakes writers, flushes mesh links.
  void process();
  void flush_link(LinkId link);

  static awaitable<void> accept_loop(std::shared_ptr<State> self);
  static awaitable<void> serve(std::shared_ptr<State> self, tcp::socket socket);
  static awaitable<void> relay(std::shared_ptr<State> self, std::shared_ptr<Stream> stream,
                               http::RouteDecision decision, std::vector<std::uint8_t> leftover);
  static awaitable<void> writer(std::shared_ptr<State> self, std::shared_ptr<Session> s);
  static awaitable<void> tick_loop(std::shared_ptr<State> self);
  static awaitable<void> stun_loop(std::shared_ptr<State> self);
  static awaitable<void> mesh_loop(std::shared_ptr<State> self, http::RelayUrl url);

  net::io_context& io;
  DerpServerConfig config;
  Clock& clock;
  ServerCore core;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  std::optional<udp::socket> stun;
  net::steady_timer tick;
  std::shared_ptr<spdlog::logger> log;
  bool stopped = false;
  bool started = false;

  std::unordered_set<Stream*> streams;  // every TCP connection, for stop()
  std::unordered_map<ConnId, std::shared_ptr<Session>> sessions;
  std::map<LinkId, Link> links;
  std::unordered_set<net::steady_timer*> timers;  // mesh retry timers, for stop()

  std::uint64_t http_requests = 0;
  std::uint64_t stun_requests = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(DriverDrop::count_)> driver_drops{};
  std::optional<Metrics> metrics;
  DerpServerStats published;  // what the counters already carry
};

void DerpServer::State::register_metrics(observability::MetricsCollector& m) {
  Metrics mt;
  if (auto f = m.gauge("gquic_derp_clients", "DERP clients registered (distinct keys)")) {
    mt.clients = child(f->get(), {});
  }
  if (auto f = m.gauge("gquic_derp_connections", "DERP connections upgraded and open")) {
    mt.connections = child(f->get(), {});
  }
  if (auto f = m.gauge("gquic_derp_mesh_peers", "Mesh links to other relays that are up")) {
    mt.mesh_peers = child(f->get(), {});
  }
  if (auto f = m.counter("gquic_derp_packets_relayed_total", "Packets queued for local clients")) {
    mt.packets = child(f->get(), {});
  }
  if (auto f = m.counter("gquic_derp_bytes_relayed_total", "Packet bytes queued for local clients")) {
    mt.bytes = child(f->get(), {});
  }
  if (auto f = m.counter("gquic_derp_packets_forwarded_total", "Packets forwarded to mesh peers")) {
    mt.forwarded = child(f->get(), {});
  }
  if (auto f = m.counter("gquic_derp_stun_requests_total", "STUN Binding requests answered")) {
    mt.stun = child(f->get(), {});
  }
  if (auto f = m.counter("gquic_derp_drops_total", "Packets and connections dropped, by reason",
                         {"reason"})) {
    for (std::size_t i = 0; i < mt.core_drops.size(); ++i) {
      mt.core_drops[i] = child(f->get(), {to_string(static_cast<DropReason>(i))});
    }
    for (std::size_t i = 0; i < mt.driver_drops.size(); ++i) {
      mt.driver_drops[i] = child(f->get(), {to_string(static_cast<DriverDrop>(i))});
    }
  }
  if (auto f = m.counter("gquic_derp_closes_total", "DERP connections closed by the relay, by reason",
                         {"reason"})) {
    for (std::size_t i = 0; i < mt.closes.size(); ++i) {
      mt.closes[i] = child(f->get(), {to_string(static_cast<CloseReason>(i))});
    }
  }
  metrics = mt;
}

void DerpServer::State::publish() {
  if (!metrics) return;
  const ServerStats s = core.stats();
  auto add = [](observability::Counter* c, std::uint64_t now, std::uint64_t& before) {
    if (c != nullptr && now > before) c->inc(now - before);
    before = now;
  };
  Metrics& m = *metrics;
  if (m.clients) m.clients->set(static_cast<double>(s.clients));
  if (m.connections) m.connections->set(static_cast<double>(sessions.size()));
  if (m.mesh_peers) m.mesh_peers->set(static_cast<double>(links.size()));
  add(m.packets, s.packets_relayed, published.core.packets_relayed);
  add(m.bytes, s.bytes_relayed, published.core.bytes_relayed);
  add(m.forwarded, s.packets_forwarded, published.core.packets_forwarded);
  add(m.stun, stun_requests, published.stun_requests);
  for (std::size_t i = 0; i < s.drops.size(); ++i) {
    add(m.core_drops[i], s.drops[i], published.core.drops[i]);
  }
  for (std::size_t i = 0; i < s.closes.size(); ++i) {
    add(m.closes[i], s.closes[i], published.core.closes[i]);
  }
  for (std::size_t i = 0; i < driver_drops.size(); ++i) {
    add(m.driver_drops[i], driver_drops[i], published.drops[i]);
  }
}

void DerpServer::State::process() {
  while (auto c = core.poll_close()) {
    log->debug("derp: closing connection {}: {}", c->first, to_string(c->second));
    if (auto it = sessions.find(c->first); it != sessions.end()) it->second->stream->close();
  }
  for (ConnId id : core.take_dirty()) {
    if (auto it = sessions.find(id); it != sessions.end()) it->second->wake.cancel();
  }
  for (LinkId l : core.take_dirty_links()) flush_link(l);
}

void DerpServer::State::flush_link(LinkId link) {
  auto it = links.find(link);
  if (it == links.end()) return;
  auto bytes = core.take_link_output(link);
  if (bytes.empty()) return;
  net::co_spawn(
      io,
      [conn = it->second.conn, bytes = std::move(bytes)]() -> awaitable<void> {
        (void)co_await conn->send_frames(bytes);  // a failed link is noticed by its reader
      },
      net::detached);
}

awaitable<void> DerpServer::State::accept_loop(std::shared_ptr<State> self) {
  State& st = *self;
  for (;;) {
    auto [ec, socket] = co_await st.acceptor.async_accept(nothrow);
    if (st.stopped || ec == net::error::operation_aborted) co_return;
    if (ec) {
      st.log->warn("derp: accept failed: {}", ec.message());
      net::steady_timer backoff(st.io, std::chrono::milliseconds(100));
      co_await backoff.async_wait(nothrow);
      if (st.stopped) co_return;
      continue;
    }
    if (st.streams.size() >= st.config.max_connections) {
      st.count(DriverDrop::connection_limit);
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    net::co_spawn(st.io, serve(self, std::move(socket)), net::detached);
  }
}

awaitable<void> DerpServer::State::serve(std::shared_ptr<State> self, tcp::socket socket) {
  State& st = *self;
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto stream = st.tls ? std::make_shared<Stream>(std::move(socket), *st.tls)
                       : std::make_shared<Stream>(std::move(socket));
  st.streams.insert(stream.get());
  struct Unregister {
    State& st;
    Stream* s;
    ~Unregister() { st.streams.erase(s); }
  } unregister{st, stream.get()};

  // The TLS handshake and the request head share one deadline (slowloris).
  auto timed_out = std::make_shared<bool>(false);
  auto disarmed = std::make_shared<bool>(false);
  auto deadline = std::make_shared<net::steady_timer>(st.io, st.config.header_timeout);
  net::co_spawn(
      st.io,
      [deadline, stream, timed_out, disarmed]() -> awaitable<void> {
        auto [ec] = co_await deadline->async_wait(nothrow);
        if (!ec && !*disarmed) {
          *timed_out = true;
          stream->close();
        }
      },
      net::detached);
  struct Cancel {
    std::shared_ptr<net::steady_timer> t;
    std::shared_ptr<bool> d;
    ~Cancel() {
      *d = true;
      t->cancel();
    }
  } cancel{deadline, disarmed};

  if (stream->is_tls()) {
    auto [ec] = co_await stream->tls().async_handshake(ssl::stream_base::server, nothrow);
    if (ec) {
      st.count(*timed_out ? DriverDrop::header_timeout : DriverDrop::tls_handshake);
      stream->close();
      co_return;
    }
  }
  http::RequestReader reader(
      http::HeadLimits{.max_head_bytes = st.config.max_header_bytes, .max_headers = 64});
  std::vector<std::uint8_t> buf(4096);
  std::optional<http::Request> request;
  while (!request) {
    auto [ec, n] = co_await stream->read_some(net::buffer(buf));
    if (ec) {
      if (*timed_out) st.count(DriverDrop::header_timeout);
      stream->close();
      co_return;
    }
    auto r = reader.feed(std::span(buf).first(n));
    if (!r) {
      const bool too_large = r.error() == make_error_code(Errc::message_too_large);
      st.count(too_large ? DriverDrop::header_too_large : DriverDrop::bad_request);
      const std::string answer = too_large ? http::error_response(431, "request head too large")
                                           : http::error_response(400, "bad request");
      (void)co_await stream->write_all(net::buffer(answer));
      stream->close();
      co_return;
    }
    if (*r) request = std::move(**r);
  }
  *disarmed = true;
  deadline->cancel();
  ++st.http_requests;
  const auto decision = http::route(*request);
  if (decision.route != http::Route::derp_upgrade) {
    const std::string answer = http::simple_response(decision.route, *request);
    (void)co_await stream->write_all(net::buffer(answer));
    stream->close();
    co_return;
  }
  if (st.stopped) co_return;
  const auto left = reader.leftover();
  co_await relay(self, stream, decision, std::vector<std::uint8_t>(left.begin(), left.end()));
}

awaitable<void> DerpServer::State::relay(std::shared_ptr<State> self, std::shared_ptr<Stream> stream,
                                         http::RouteDecision decision,
                                         std::vector<std::uint8_t> leftover) {
  State& st = *self;
  const ConnId id = st.core.accept(st.clock.now());
  auto session = std::make_shared<Session>(stream, id, st.io.get_executor());
  st.sessions.emplace(id, session);
  std::string hello = decision.fast_start ? std::string() : http::upgrade_response(st.core.public_key());
  const auto first = st.core.take_output(id);
  hello.append(first.begin(), first.end());
  if (auto [ec, n] = co_await stream->write_all(net::buffer(hello)); ec) {
    stream->close();
  } else {
    net::co_spawn(st.io, writer(self, session), net::detached);
    if (!leftover.empty()) {
      st.core.handle_bytes(id, st.clock.now(), leftover);
      st.process();
    }
    std::vector<std::uint8_t> buf(64 * 1024);
    for (;;) {
      auto [rec, got] = co_await stream->read_some(net::buffer(buf));
      if (rec) break;
      st.core.handle_bytes(id, st.clock.now(), std::span(buf).first(got));
      st.process();
    }
  }
  stream->close();
  session->closed = true;
  session->wake.cancel();
  st.sessions.erase(id);
  st.core.closed(id, st.clock.now());
  st.process();
}

awaitable<void> DerpServer::State::writer(std::shared_ptr<State> self, std::shared_ptr<Session> s) {
  State& st = *self;
  std::vector<std::uint8_t> out;
  while (!s->closed) {
    if (!st.core.has_output(s->id)) {
      s->wake.expires_at(net::steady_timer::time_point::max());
      co_await s->wake.async_wait(nothrow);
      continue;
    }
    out = st.core.take_output(s->id);
    s->writing = true;
    s->write_started = st.clock.now();
    auto [ec, n] = co_await s->stream->write_all(net::buffer(out));
    s->writing = false;
    if (ec) {
      s->stream->close();
      break;
    }
  }
}

awaitable<void> DerpServer::State::tick_loop(std::shared_ptr<State> self) {
  State& st = *self;
  while (!st.stopped) {
    const TimePoint now = st.clock.now();
    st.core.handle_timeout(now);
    for (auto& [id, s] : st.sessions) {
      if (s->writing && now - s->write_started > st.config.write_timeout) {
        st.count(DriverDrop::write_timeout);
        s->stream->close();
      }
    }
    st.process();
    st.publish();
    // Sleep until the core's next deadline, at most a second (write timeouts, metrics).
    TimePoint next = now + std::chrono::seconds(1);
    if (auto d = st.core.next_deadline(); d && *d < next) next = *d;
    st.tick.expires_after(std::max(next - now, Duration(std::chrono::milliseconds(1))));
    co_await st.tick.async_wait(nothrow);
  }
}

awaitable<void> DerpServer::State::stun_loop(std::shared_ptr<State> self) {
  State& st = *self;
  std::vector<std::uint8_t> buf(2048);
  udp::endpoint from;
  while (!st.stopped && st.stun) {
    auto [ec, n] = co_await st.stun->async_receive_from(net::buffer(buf), from, nothrow);
    if (st.stopped || ec == net::error::operation_aborted) co_return;
    if (ec) continue;  // ICMP errors surface here on Linux; keep serving
    auto txid = stun::parse_binding_request(std::span(buf).first(n));
    if (!txid) {
      st.count(DriverDrop::stun_malformed);
      continue;
    }
    ++st.stun_requests;
    const auto answer = stun::binding_response(*txid, from_endpoint(from));
    (void)co_await st.stun->async_send_to(net::buffer(answer), from, nothrow);
  }
}

awaitable<void> DerpServer::State::mesh_loop(std::shared_ptr<State> self, http::RelayUrl url) {
  State& st = *self;
  RelayConnectOptions opts;
  opts.mesh_key = st.config.mesh_key;
  opts.watch_conns = true;
  opts.insecure_skip_verify = true;  // peers are authenticated by the mesh key
  opts.timeout = std::chrono::seconds(3);
  const KeyPair own = *st.config.server_key;
  net::steady_timer retry(st.io);
  st.timers.insert(&retry);
  struct Forget {
    State& st;
    net::steady_timer* t;
    ~Forget() { st.timers.erase(t); }
  } forget{st, &retry};
  while (!st.stopped) {
    auto conn = co_await RelayConnection::connect(st.io.get_executor(), url, own, opts);
    if (st.stopped) {
      if (conn) (*conn)->close();
      co_return;
    }
    if (!conn) {
      st.log->debug("derp: mesh peer {}: {}", url.to_string(), conn.error().message());
    } else if ((*conn)->server_key() == st.core.public_key()) {
      st.log->info("derp: mesh peer {} is this server; not linking", url.to_string());
      (*conn)->close();
      co_return;
    } else {
      const LinkId link = st.core.add_mesh_link();
      st.links[link] = Link{*conn};
      st.log->info("derp: mesh link to {} up", url.to_string());
      for (;;) {
        auto f = co_await (*conn)->read_frame();
        if (!f) break;
        if (f->type == static_cast<std::uint8_t>(FrameType::peer_present)) {
          if (auto pp = parse_peer_present(f->payload)) st.core.mesh_peer_present(link, pp->key);
        } else if (f->type == static_cast<std::uint8_t>(FrameType::peer_gone)) {
          if (auto pg = parse_peer_gone(f->payload)) st.core.mesh_peer_gone(link, pg->key);
        }
        st.process();
      }
      st.core.remove_mesh_link(link);
      st.links.erase(link);
      st.log->info("derp: mesh link to {} down", url.to_string());
    }
    if (st.stopped) co_return;
    retry.expires_after(st.config.mesh_retry);
    co_await retry.async_wait(nothrow);
  }
}

// ---- DerpServer ----------------------------------------------------------------------------

Result<std::unique_ptr<DerpServer>> DerpServer::create(net::io_context& io, DerpServerConfig config,
                                                       observability::MetricsCollector* metrics,
                                                       Clock& clock) {
  if (auto v = validate(config); !v) return v.error();
  if (config.enable_persistence) {
    auto key = load_or_create_key_file(config.state_dir / "derp.key");
    if (!key) return key.error();
    config.server_key = *key;
  } else if (!config.server_key) {
    config.server_key = generate_key_pair();
  }
  ServerCoreConfig core;
  core.server_key = *config.server_key;
  core.mesh_key = config.mesh_key;
  core.max_clients = config.max_clients;
  core.client_timeout = config.client_timeout;
  core.keepalive_interval = config.keepalive_interval;
  core.queue_packets = config.queue_packets;
  core.rate_bytes_per_second = config.rate_bytes_per_second;
  core.rate_burst_bytes = config.rate_burst_bytes;
  auto state = std::make_shared<State>(io, std::move(config), std::move(core), metrics, clock);
  if (!state->config.dev) {
    state->tls.emplace(ssl::context::tls_server);
    error_code ec;
    state->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                ssl::context::no_tlsv1_1, ec);
    state->tls->use_certificate_chain_file(state->config.tls_cert, ec);
    if (ec) return to_std(ec);
    state->tls->use_private_key_file(state->config.tls_key, ssl::context::pem, ec);
    if (ec) return to_std(ec);
  }
  return std::unique_ptr<DerpServer>(new DerpServer(std::move(state)));
}

DerpServer::DerpServer(std::shared_ptr<State> state) : state_(std::move(state)) {}
DerpServer::~DerpServer() { stop(); }

Result<void> DerpServer::start() {
  State& st = *state_;
  if (st.started) return Errc::already_exists;
  error_code ec;
  const auto ep = to_endpoint<tcp::endpoint>(st.config.listen_addr);
  st.acceptor.open(ep.protocol(), ec);
  if (!ec) st.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) st.acceptor.bind(ep, ec);
  if (!ec) st.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    st.acceptor.close();
    return to_std(ec);
  }
  if (st.config.stun_addr) {
    const auto sep = to_endpoint<udp::endpoint>(*st.config.stun_addr);
    st.stun.emplace(st.io);
    st.stun->open(sep.protocol(), ec);
    if (!ec) st.stun->bind(sep, ec);
    if (ec) {
      st.stun.reset();
      st.acceptor.close();
      return to_std(ec);
    }
  }
  st.started = true;
  if (st.config.dev) {
    st.log->warn("derp: --dev: serving plain HTTP on {} (no TLS)", local_address().to_string());
  }
  net::co_spawn(st.io, State::accept_loop(state_), net::detached);
  net::co_spawn(st.io, State::tick_loop(state_), net::detached);
  if (st.stun) net::co_spawn(st.io, State::stun_loop(state_), net::detached);
  for (const auto& p : st.config.mesh_peers) {
    net::co_spawn(st.io, State::mesh_loop(state_, *http::parse_relay_url(p)), net::detached);
  }
  return {};
}

void DerpServer::stop() {
  if (!state_) return;
  State& st = *state_;
  if (st.stopped) return;
  st.stopped = true;
  error_code ignored;
  st.acceptor.close(ignored);
  if (st.stun) st.stun->close(ignored);
  st.tick.cancel();
  for (Stream* s : st.streams) s->close();
  for (auto& [id, s] : st.sessions) {
    s->stream->close();
    s->closed = true;
    s->wake.cancel();
  }
  for (auto& [id, l] : st.links) l.conn->close();
  for (auto* t : st.timers) t->cancel();
}

SocketAddress DerpServer::local_address() const {
  error_code ec;
  auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? SocketAddress() : from_endpoint(ep);
}

std::optional<SocketAddress> DerpServer::stun_address() const {
  if (!state_->stun) return std::nullopt;
  error_code ec;
  auto ep = state_->stun->local_endpoint(ec);
  if (ec) return std::nullopt;
  return from_endpoint(ep);
}

const Key& DerpServer::public_key() const noexcept { return state_->core.public_key(); }

DerpServerStats DerpServer::stats() const {
  const State& st = *state_;
  DerpServerStats s;
  s.core = st.core.stats();
  s.tcp_connections = st.streams.size();
  s.mesh_links_up = st.links.size();
  s.http_requests = st.http_requests;
  s.stun_requests = st.stun_requests;
  s.drops = st.driver_drops;
  return s;
}

}  // namespace gquic::derp
