#include "gquic/derp/derp_client.h"

#include <random>

#include <boost/asio/this_coro.hpp>

#include "derp_stream_io.h"
#include "gquic/core/log.h"
#include "gquic/derp/stun.h"

namespace gquic::derp {

using namespace detail;

namespace {

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

struct Relay {
  explicit Relay(net::any_io_executor ex) : wake(ex, net::steady_timer::time_point::max()) {}
  std::string url_text;
  http::RelayUrl url;
  std::string region;
  std::shared_ptr<RelayConnection> conn;
  bool connected = false;
  bool wanted = true;       // keep (re)connecting
  bool first_done = false;  // the first attempt finished (connected and RTT measured, or failed)
  std::optional<Duration> rtt;
  std::array<std::uint8_t, 8> ping{};
  TimePoint ping_sent{};
  std::uint64_t connects = 0;
  std::uint64_t failures = 0;
  net::steady_timer wake;  // a relay that is not wanted sleeps on it
};

}  // namespace

struct DerpClient::State : std::enable_shared_from_this<State> {
  State(net::io_context& io_ctx, DerpClientConfig cfg, DerpNodeInfo n, Clock& c)
      : io(io_ctx),
        config(std::move(cfg)),
        node(std::move(n)),
        clock(c),
        outbound(config.send_queue),
        changed(io_ctx, net::steady_timer::time_point::max()),
        log(log::get("derp")) {}

  // Wakes every coroutine waiting for a change (home relay, queue, received messages).
  void notify() { changed.cancel(); }
  awaitable<void> wait_change() { co_await changed.async_wait(nothrow); }

  void count(MessageDrop d) { ++drops[static_cast<std::size_t>(d)]; }
  void choose_home();
  Relay* home_relay() { return home >= 0 ? relays[static_cast<std::size_t>(home)].get() : nullptr; }

  static awaitable<void> relay_loop(std::shared_ptr<State> self, std::size_t index);
  static awaitable<void> send_loop(std::shared_ptr<State> self);

  net::io_context& io;
  DerpClientConfig config;
  DerpNodeInfo node;
  Clock& clock;
  std::vector<std::unique_ptr<Relay>> relays;
  int home = -1;
  bool started = false;
  bool closed = false;
  OutboundQueue outbound;
  std::deque<DerpMessage> inbound;
  net::steady_timer changed;
  std::shared_ptr<spdlog::logger> log;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t failovers = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(MessageDrop::count_)> drops{};
  std::optional<SocketAddress> public_address;
  std::mt19937_64 rng{std::random_device{}()};
};

void DerpClient::State::choose_home() {
  const int before = home;
  int best = -1;
  auto better = [&](const Relay& a, const Relay& b) {
    if (!config.home_region.empty()) {
      const bool ra = a.region == config.home_region, rb = b.region == config.home_region;
      if (ra != rb) return ra;
    }
    const Duration inf = Duration::max();
    return a.rtt.value_or(inf) < b.rtt.value_or(inf);
  };
  for (std::size_t i = 0; i < relays.size(); ++i) {
    const Relay& r = *relays[i];
    if (!r.connected) continue;
    if (best < 0 || better(r, *relays[static_cast<std::size_t>(best)])) best = static_cast<int>(i);
  }
  home = best;
  if (before >= 0 && home != before && started) ++failovers;
  if (home >= 0) {
    Relay& h = *relays[static_cast<std::size_t>(home)];
    if (home != before && h.conn) {
      const std::uint8_t one = 1;
      net::co_spawn(io, [c = h.conn, one]() -> awaitable<void> {
        (void)co_await c->send_frame(FrameType::note_preferred, std::span(&one, 1));
      }, net::detached);
    }
  }
  // Without mesh mode only the home relay stays wanted; with no home, every relay is.
  for (std::size_t i = 0; i < relays.size(); ++i) {
    Relay& r = *relays[i];
    const bool want = config.enable_mesh_mode || home < 0 || static_cast<int>(i) == home;
    if (want && !r.wanted) {
      r.wanted = true;
      r.wake.cancel();
    } else if (!want && r.wanted && started) {
      r.wanted = false;
      if (r.conn) r.conn->close();
    }
  }
  notify();
}

awaitable<void> DerpClient::State::relay_loop(std::shared_ptr<State> self, std::size_t index) {
  State& st = *self;
  Relay& r = *st.relays[index];
  Duration backoff = st.config.reconnect_min;
  while (!st.closed) {
    if (!r.wanted) {
      r.wake.expires_at(net::steady_timer::time_point::max());
      co_await r.wake.async_wait(nothrow);
      continue;
    }
    RelayConnectOptions opts = st.config.connect;
    auto conn = co_await RelayConnection::connect(st.io.get_executor(), r.url, st.node.key, opts);
    if (st.closed) {
      if (conn) (*conn)->close();
      break;
    }
    if (!conn) {
      ++r.failures;
      st.log->debug("derp client: {}: {}", r.url_text, conn.error().message());
    } else {
      r.conn = *conn;
      r.connected = true;
      ++r.connects;
      backoff = st.config.reconnect_min;
      // Measure the RTT with a Ping; its Pong arrives in the read loop below.
      for (auto& b : r.ping) b = static_cast<std::uint8_t>(st.rng());
      r.ping_sent = st.clock.now();
      (void)co_await r.conn->send_frame(FrameType::ping, r.ping);
      for (;;) {
        auto f = co_await r.conn->read_frame();
        if (!f) break;
        switch (static_cast<FrameType>(f->type)) {
          case FrameType::recv_packet: {
            auto p = parse_keyed_packet(f->payload);
            if (!p) break;
            auto m = decode_envelope(p->packet);
            if (!m) {
              st.count(MessageDrop::malformed);
              break;
            }
            if (expired(*m, unix_ms())) {
              st.count(MessageDrop::expired);
              break;
            }
            m->source = p->key;
            m->destination = st.node.key.public_key;
            if (st.inbound.size() >= st.config.receive_queue) {
              st.inbound.pop_front();
              st.count(MessageDrop::queue_full);
            }
            st.inbound.push_back(std::move(*m));
            ++st.received;
            st.notify();
            break;
          }
          case FrameType::pong: {
            auto data = parse_ping(f->payload);
            if (data && *data == r.ping) {
              r.rtt = st.clock.now() - r.ping_sent;
              r.first_done = true;
              st.choose_home();  // a measured relay may become home (first time, or failover)
            }
            break;
          }
          case FrameType::ping: {
            auto data = parse_ping(f->payload);
            if (data) {
              net::co_spawn(st.io, [c = r.conn, d = *data]() -> awaitable<void> {
                (void)co_await c->send_frame(FrameType::pong, d);
              }, net::detached);
            }
            break;
          }
          default:
            break;  // keepalive, peer gone, health, restarting: nothing to do
        }
      }
      r.conn->close();
      r.conn.reset();
      r.connected = false;
      st.choose_home();  // failover when this was the home relay
    }
    if (!r.first_done) {
      r.first_done = true;
      st.notify();
    }
    if (st.closed) break;
    // Back-off with jitter: [backoff/2, backoff], doubling up to reconnect_max.
    const auto jitter = std::uniform_int_distribution<Duration::rep>(backoff.count() / 2,
                                                                      backoff.count())(st.rng);
    r.wake.expires_after(Duration(jitter));
    co_await r.wake.async_wait(nothrow);
    backoff = std::min(backoff * 2, st.config.reconnect_max);
  }
}

awaitable<void> DerpClient::State::send_loop(std::shared_ptr<State> self) {
  State& st = *self;
  while (!st.closed) {
    Relay* h = st.home_relay();
    if (st.outbound.empty() || h == nullptr || !h->conn) {
      co_await st.wait_change();
      continue;
    }
    auto m = st.outbound.pop(unix_ms());
    if (!m) continue;
    const auto envelope = encode_envelope(*m);
    auto conn = h->conn;
    auto r = co_await conn->send_packet(m->destination, envelope);
    if (r) {
      ++st.sent;
    } else {
      st.count(MessageDrop::queue_full);  // the relay connection failed under it
    }
  }
}

DerpClient::DerpClient(net::io_context& io, DerpClientConfig config, DerpNodeInfo node, Clock& clock)
    : state_(std::make_shared<State>(io, std::move(config), std::move(node), clock)) {}

DerpClient::~DerpClient() { close(); }

asio::awaitable<Result<void>> DerpClient::connect_to_relays() {
  auto self = state_;
  State& st = *self;
  if (st.started) co_return Errc::already_exists;
  if (st.config.preferred_relays.empty()) co_return Errc::invalid_argument;
  for (const auto& text : st.config.preferred_relays) {
    auto r = std::make_unique<Relay>(st.io.get_executor());
    std::string_view t = text;
    if (auto eq = t.find('='); eq != std::string_view::npos && t.find("://") > eq) {
      r->region = std::string(t.substr(0, eq));
      t.remove_prefix(eq + 1);
    }
    auto url = http::parse_relay_url(t);
    if (!url) co_return Errc::invalid_argument;
    r->url = *url;
    r->url_text = std::string(t);
    st.relays.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < st.relays.size(); ++i) {
    net::co_spawn(st.io, State::relay_loop(self, i), net::detached);
  }
  net::co_spawn(st.io, State::send_loop(self), net::detached);
  // Wait for every relay's first attempt (bounded), then settle the home relay.
  auto guard = std::make_shared<net::steady_timer>(st.io, st.config.first_connect_timeout);
  auto timed_out = std::make_shared<bool>(false);
  net::co_spawn(st.io, [guard, timed_out, self]() -> awaitable<void> {
    auto [ec] = co_await guard->async_wait(nothrow);
    if (!ec) {
      *timed_out = true;
      self->notify();
    }
  }, net::detached);
  auto all_done = [&] {
    return std::all_of(st.relays.begin(), st.relays.end(),
                       [](const auto& r) { return r->first_done; });
  };
  while (!all_done() && !*timed_out && !st.closed) co_await st.wait_change();
  guard->cancel();
  st.started = true;
  st.choose_home();
  co_return st.home >= 0 ? Result<void>{} : Result<void>(Errc::closed);
}

Result<void> DerpClient::send_message(DerpMessage m) {
  State& st = *state_;
  if (st.closed) return Errc::closed;
  if (m.payload.size() > kMaxMessagePayload) {
    st.count(MessageDrop::too_large);
    return Errc::message_too_large;
  }
  if (m.timestamp == 0) m.timestamp = unix_ms();
  m.source = st.node.key.public_key;
  const std::size_t full_before = st.outbound.dropped(MessageDrop::queue_full);
  const bool queued = st.outbound.push(std::move(m));
  if (st.outbound.dropped(MessageDrop::queue_full) != full_before) st.count(MessageDrop::queue_full);
  st.notify();
  return queued ? Result<void>{} : Result<void>(Errc::exhausted);
}

asio::awaitable<std::optional<DerpMessage>> DerpClient::receive() {
  auto self = state_;
  State& st = *self;
  while (st.inbound.empty() && !st.closed) co_await st.wait_change();
  co_return try_receive();
}

std::optional<DerpMessage> DerpClient::try_receive() {
  State& st = *state_;
  if (st.inbound.empty()) return std::nullopt;
  DerpMessage m = std::move(st.inbound.front());
  st.inbound.pop_front();
  return m;
}

asio::awaitable<Result<SocketAddress>> DerpClient::discover_public_address() {
  auto self = state_;
  State& st = *self;
  if (!st.config.stun_server) co_return Errc::invalid_argument;
  const auto server = to_endpoint<udp::endpoint>(*st.config.stun_server);
  auto sock = std::make_shared<udp::socket>(st.io);
  error_code ec;
  sock->open(server.protocol(), ec);
  if (ec) co_return to_std(ec);
  struct Close {
    std::shared_ptr<udp::socket> s;
    ~Close() {
      error_code ignored;
      s->close(ignored);
    }
  } close_sock{sock};
  std::vector<std::uint8_t> buf(2048);
  for (int attempt = 0; attempt < 3; ++attempt) {
    stun::TransactionId txid;
    for (auto& b : txid) b = static_cast<std::uint8_t>(st.rng());
    const auto req = stun::binding_request(txid);
    if (auto [sec, n] = co_await sock->async_send_to(net::buffer(req), server, nothrow); sec) {
      co_return to_std(sec);
    }
    auto timer = std::make_shared<net::steady_timer>(st.io, st.config.nat_traversal_timeout);
    auto answered = std::make_shared<bool>(false);
    net::co_spawn(st.io, [timer, sock, answered]() -> awaitable<void> {
      auto [tec] = co_await timer->async_wait(nothrow);
      if (!tec && !*answered) sock->cancel();
    }, net::detached);
    for (;;) {
      udp::endpoint from;
      auto [rec, n] = co_await sock->async_receive_from(net::buffer(buf), from, nothrow);
      if (rec == net::error::operation_aborted) break;  // this attempt timed out
      if (rec) continue;
      auto resp = stun::parse_binding_response(std::span(buf).first(n));
      if (!resp || resp->txid != txid) continue;
      *answered = true;
      timer->cancel();
      st.public_address = resp->mapped;
      co_return resp->mapped;
    }
  }
  co_return make_error_code(std::errc::timed_out);
}

std::optional<std::string> DerpClient::home_relay() const {
  const State& st = *state_;
  if (st.home < 0) return std::nullopt;
  return st.relays[static_cast<std::size_t>(st.home)]->url_text;
}

const Key& DerpClient::public_key() const noexcept { return state_->node.key.public_key; }

DerpClientStats DerpClient::stats() const {
  const State& st = *state_;
  DerpClientStats s;
  for (std::size_t i = 0; i < st.relays.size(); ++i) {
    const Relay& r = *st.relays[i];
    s.relays.push_back(RelayStatus{r.url_text, r.region, r.connected,
                                   static_cast<int>(i) == st.home, r.rtt, r.connects, r.failures});
    if (r.connected) ++s.connected_relays;
  }
  s.messages_sent = st.sent;
  s.messages_received = st.received;
  s.drops = st.drops;
  s.drops[static_cast<std::size_t>(MessageDrop::expired)] += st.outbound.dropped(MessageDrop::expired);
  for (auto d : s.drops) s.messages_dropped += d;
  s.failovers = st.failovers;
  s.public_address = st.public_address;
  return s;
}

void DerpClient::close() {
  if (!state_) return;
  State& st = *state_;
  if (st.closed) return;
  st.closed = true;
  for (auto& r : st.relays) {
    if (r->conn) r->conn->close();
    r->wake.cancel();
  }
  st.notify();
}

}  // namespace gquic::derp
