#include "gquic/discovery/etcd_client.h"

#include <map>
#include <set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "gquic/discovery/discovery_agent.h"
#include "gquic/discovery/etcd_codec.h"
#include "gquic/discovery/service_json.h"
#include "net_util_io.h"

namespace gquic::discovery {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using gquic::asio::awaitable;
using gquic::asio::nothrow;

Result<SocketAddress> endpoint_address(std::string url) {
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return SocketAddress::parse(url);
}

// A session's shared flags: the first failure ends it everywhere.
struct Session {
  std::int64_t lease = 0;
  bool dead = false;
  beast::tcp_stream* watch = nullptr;
  std::uint64_t cursor = 0;  // registry events mirrored so far
  std::shared_ptr<net::steady_timer> wake;
  void kill() {
    if (dead) return;
    dead = true;
    if (watch != nullptr) {
      boost::system::error_code ignored;
      watch->socket().close(ignored);
    }
    if (wake) wake->cancel();
  }
};

}  // namespace

struct EtcdBackend::State : std::enable_shared_from_this<EtcdBackend::State> {
  State(net::io_context& io_ctx, ServiceDiscoveryManager& m, EtcdOptions o)
      : io(io_ctx), manager(m), options(std::move(o)), log(log::get("discovery")) {}

  awaitable<Result<std::string>> post(const SocketAddress& to, const std::string& path,
                                      std::string body) {
    beast::tcp_stream stream(io);
    stream.expires_after(options.request_timeout);
    auto [ec] = co_await stream.async_connect(detail::to_endpoint<tcp::endpoint>(to), nothrow);
    if (ec) co_return detail::to_std(ec);
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, to.to_string());
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    req.keep_alive(false);
    std::size_t n = 0;
    std::tie(ec, n) = co_await http::async_write(stream, req, nothrow);
    if (ec) co_return detail::to_std(ec);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    std::tie(ec, n) = co_await http::async_read(stream, buf, parser, nothrow);
    if (ec) co_return detail::to_std(ec);
    if (parser.get().result_int() != 200) co_return Errc::closed;
    co_return std::move(parser.get().body());
  }

  bool is_own(const ServiceInfo& s) const { return s.origin_node == manager.config().node_id; }

  // Applies one key/value seen in etcd; returns false when the session must restart.
  bool on_put(const etcd::KeyValue& kv, std::set<ServiceId>* seen) {
    auto s = service_from_json(kv.value);
    auto id = etcd::id_from_key(options.prefix, kv.key);
    if (!s || !id || !(s->id == *id)) {
      ++stats.bad_values;
      return true;
    }
    if (seen != nullptr) seen->insert(*id);
    if (is_own(*s)) return true;
    s->ttl = std::chrono::seconds(0);  // etcd's lease decides its lifetime
    auto r = manager.apply_remote(std::move(*s), ServiceSource::etcd);
    if (r && r->has_value()) {
      ++stats.applied;
      remote.insert(*id);
    } else if (r) {
      remote.insert(*id);
    }
    return true;
  }

  bool on_delete(const std::string& key) {
    auto id = etcd::id_from_key(options.prefix, key);
    if (!id) return true;
    if (remote.erase(*id) != 0 && manager.remove_remote(*id, ServiceSource::etcd)) ++stats.removed;
    const ServiceInfo* local = manager.registry().find(*id);
    // One of our registrations vanished from etcd (its lease expired while we were cut off):
    // restart the session, which puts it again.
    return !(local != nullptr && local->source == ServiceSource::local);
  }

  awaitable<void> keepalive(std::shared_ptr<State> keep, std::shared_ptr<Session> s, SocketAddress to) {
    (void)keep;
    net::steady_timer t(io);
    while (!s->dead && !stopped) {
      t.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(options.lease_ttl) / 3);
      co_await t.async_wait(nothrow);
      if (s->dead || stopped) break;
      auto r = co_await post(to, "/v3/lease/keepalive", etcd::keepalive_request(s->lease));
      if (s->dead || stopped) break;
      auto ttl = r ? etcd::parse_keepalive(*r) : Result<std::int64_t>(r.error());
      if (!ttl || *ttl <= 0) {
        log->warn("etcd: lease keep-alive failed; reconnecting");
        s->kill();
      }
    }
  }

  // Mirrors local registry changes into etcd.
  awaitable<void> mirror(std::shared_ptr<State> keep, std::shared_ptr<Session> s, SocketAddress to) {
    (void)keep;
    s->wake = std::make_shared<net::steady_timer>(io);
    while (!s->dead && !stopped) {
      auto events = manager.events_since(s->cursor, ServiceQuery{});
      if (!events) {  // fell behind the log: put everything again
        s->kill();
        break;
      }
      for (const WatchEvent& e : *events) {
        s->cursor = e.sequence;
        if (e.service.source != ServiceSource::local) continue;
        const std::string key = etcd::service_key(options.prefix, e.service.id);
        Result<std::string> r = Errc::closed;
        if (e.kind == EventKind::removed) {
          r = co_await post(to, "/v3/kv/deleterange", etcd::delete_request(key));
          ++stats.deletes;
        } else {
          r = co_await post(to, "/v3/kv/put", etcd::put_request(key, to_json(e.service), s->lease));
          ++stats.puts;
        }
        if (stopped) co_return;
        if (!r) {
          s->kill();
          co_return;
        }
      }
      if (s->dead || stopped) break;
      if (!events->empty()) continue;
      auto wake = s->wake;
      wake->expires_after(std::chrono::hours(1));
      const auto token = manager.on_next_change([wake] { wake->cancel(); });
      co_await wake->async_wait(nothrow);
      manager.cancel_change_callback(token);
    }
  }

  awaitable<bool> watch(std::shared_ptr<Session> s, SocketAddress to, std::int64_t from) {
    beast::tcp_stream stream(io);
    stream.expires_after(options.request_timeout);
    auto [ec] = co_await stream.async_connect(detail::to_endpoint<tcp::endpoint>(to), nothrow);
    if (ec) co_return false;
    http::request<http::string_body> req{http::verb::post, "/v3/watch", 11};
    req.set(http::field::host, to.to_string());
    req.set(http::field::content_type, "application/json");
    req.body() = etcd::watch_request(options.prefix, from);
    req.prepare_payload();
    std::size_t n = 0;
    std::tie(ec, n) = co_await http::async_write(stream, req, nothrow);
    if (ec) co_return false;
    s->watch = &stream;
    struct Forget {
      Session& s;
      ~Forget() { s.watch = nullptr; }
    } forget{*s};
    stream.expires_never();
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    std::string pending;
    bool ok = true;
    auto on_chunk = [&](std::uint64_t, beast::string_view body, boost::system::error_code&) {
      pending.append(body.data(), body.size());
      return body.size();
    };
    parser.on_chunk_body(on_chunk);
    connected = true;
    while (ok && !s->dead && !stopped) {
      std::tie(ec, n) = co_await http::async_read_some(stream, buf, parser, nothrow);
      if (ec) break;
      std::size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        const std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
        auto m = etcd::parse_watch_message(line);
        if (!m || m->canceled) {
          ok = false;
          break;
        }
        if (stopped) break;
        for (const auto& e : m->events) {
          if (!(e.deleted ? on_delete(e.kv.key) : on_put(e.kv, nullptr))) ok = false;
        }
      }
      if (parser.is_done()) break;
    }
    connected = false;
    co_return ok;
  }

  awaitable<void> session(SocketAddress to) {
    ++stats.sessions;
    auto s = std::make_shared<Session>();
    current = s;
    auto lease = co_await post(to, "/v3/lease/grant",
                               etcd::lease_grant_request(options.lease_ttl.count()));
    if (stopped) co_return;
    auto id = lease ? etcd::parse_lease_grant(*lease) : Result<std::int64_t>(lease.error());
    if (!id) co_return;
    s->lease = *id;
    // Every local registration, with the new lease.
    s->cursor = manager.last_sequence();
    ServiceQuery all;
    for (const ServiceInfo& info : manager.discover_services(all)) {
      if (info.source != ServiceSource::local) continue;
      auto r = co_await post(to, "/v3/kv/put",
                             etcd::put_request(etcd::service_key(options.prefix, info.id),
                                               to_json(info), s->lease));
      ++stats.puts;
      if (!r || stopped) co_return;
    }
    // What the others registered.
    auto range = co_await post(to, "/v3/kv/range", etcd::range_request(options.prefix + "/services/"));
    if (stopped) co_return;
    auto parsed = range ? etcd::parse_range(*range) : Result<etcd::RangeResponse>(range.error());
    if (!parsed) co_return;
    std::set<ServiceId> seen;
    for (const auto& kv : parsed->kvs) on_put(kv, &seen);
    for (auto it = remote.begin(); it != remote.end();) {
      if (seen.count(*it) == 0) {
        if (manager.remove_remote(*it, ServiceSource::etcd)) ++stats.removed;
        it = remote.erase(it);
      } else {
        ++it;
      }
    }
    log->info("etcd: session on {} (lease {}, {} keys at revision {})", to.to_string(), s->lease,
              parsed->kvs.size(), parsed->revision);
    net::co_spawn(io, keepalive(shared_from_this(), s, to), net::detached);
    net::co_spawn(io, mirror(shared_from_this(), s, to), net::detached);
    co_await watch(s, to, parsed->revision + 1);
    s->kill();
  }

  static awaitable<void> run(std::shared_ptr<State> self) {
    State& st = *self;
    std::size_t next = 0;
    net::steady_timer& backoff = st.backoff;
    while (!st.stopped) {
      if (st.options.endpoints.empty()) break;
      const std::string url = st.options.endpoints[next++ % st.options.endpoints.size()];
      auto to = endpoint_address(url);
      if (!to) {
        st.log->error("etcd: endpoint '{}' is not http://IP:PORT", url);
      } else {
        co_await st.session(*to);
      }
      if (st.stopped) break;
      ++st.stats.failures;
      backoff.expires_after(st.options.retry);
      co_await backoff.async_wait(nothrow);
    }
  }

  net::io_context& io;
  ServiceDiscoveryManager& manager;
  EtcdOptions options;
  std::shared_ptr<spdlog::logger> log;
  EtcdStats stats;
  std::set<ServiceId> remote;  // services this backend put into the registry
  std::shared_ptr<Session> current;
  net::steady_timer backoff{io};
  bool connected = false;
  bool stopped = false;
  bool started = false;
};

EtcdBackend::EtcdBackend(boost::asio::io_context& io, ServiceDiscoveryManager& manager,
                         EtcdOptions options)
    : state_(std::make_shared<State>(io, manager, std::move(options))) {}

EtcdBackend::~EtcdBackend() { stop(); }

void EtcdBackend::start() {
  if (state_->started || state_->stopped) return;
  state_->started = true;
  net::co_spawn(state_->io, State::run(state_), net::detached);
}

void EtcdBackend::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  net::dispatch(state_->io, [st = state_] {
    if (st->current) st->current->kill();
    st->backoff.cancel();
  });
}

EtcdStats EtcdBackend::stats() const {
  EtcdStats s = state_->stats;
  s.connected = state_->connected;
  return s;
}

}  // namespace gquic::discovery
