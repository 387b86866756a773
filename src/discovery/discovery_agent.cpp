#include "gquic/discovery/discovery_agent.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "gquic/core/asio.h"
#include "gquic/core/log.h"
#include "gquic/discovery/agent_http_server.h"
#include "gquic/discovery/dns_server.h"
#include "gquic/discovery/health.h"
#include "health_check_driver.h"
#include "lan_backend_agent.h"

namespace gquic::discovery {
namespace {

namespace net = boost::asio;
using gquic::asio::awaitable;
using gquic::asio::nothrow;

}  // namespace

struct ServiceDiscoveryManager::Impl {
  Impl(net::io_context& io_ctx, DiscoveryConfig cfg, const Clock& c)
      : io(io_ctx), config(std::move(cfg)), clock(c), registry(config.registry),
        responder(registry, config.dns), expiry_timer(io_ctx), log(log::get("discovery")) {}

  // After any change of the registry: wake watchers and re-arm the expiry timer.
  void changed() {
    expiry_timer.cancel();
    if (registry.last_sequence() == notified) return;
    notified = registry.last_sequence();
    auto callbacks = std::move(waiters);
    waiters.clear();
    for (auto& [token, cb] : callbacks) net::post(io, std::move(cb));
  }

  static awaitable<void> expiry_loop(std::shared_ptr<Impl> self) {
    Impl& m = *self;
    while (!m.stopped) {
      const auto next = m.registry.next_deadline();
      m.expiry_timer.expires_at(next ? *next : m.clock.now() + std::chrono::hours(1));
      co_await m.expiry_timer.async_wait(nothrow);
      if (m.stopped) break;
      if (m.registry.handle_timeout(m.clock.now()) > 0) {
        m.withdraw_expired();
        m.changed();
      }
    }
  }

  // Health checks: wake when due, launch the due probes, feed results back.
  static awaitable<void> health_loop(std::shared_ptr<Impl> self) {
    Impl& m = *self;
    while (!m.stopped) {
      const auto next = m.health.next_deadline();
      m.health_timer.expires_at(next ? *next : m.clock.now() + std::chrono::hours(1));
      co_await m.health_timer.async_wait(nothrow);
      if (m.stopped) break;
      for (HealthProbe& p : m.health.poll_due(m.clock.now())) {
        if (m.registry.find(p.service) == nullptr) {  // expired or removed meanwhile
          m.health.remove_service(p.service);
          continue;
        }
        net::co_spawn(m.io, probe(self, std::move(p)), net::detached);
      }
    }
  }
  static awaitable<void> probe(std::shared_ptr<Impl> self, HealthProbe p) {
    const std::uint64_t target = p.target;
    const bool ok = co_await detail::run_probe(self->io, std::move(p));
    Impl& m = *self;
    if (m.stopped) co_return;
    if (auto t = m.health.on_result(target, ok, m.clock.now())) {
      m.log->info("health: {} {} is {}", t->service.to_string(), t->address, to_string(t->health));
      if (m.registry.set_endpoint_health(t->service, t->address, t->health)) m.changed();
    }
    m.health_timer.cancel();  // re-arm for the next due probe
  }

  // Local registrations the backends publish; withdrawn when they leave the registry.
  void publish(const ServiceInfo& s) {
    published.insert(s.id);
    if (gossip) gossip->publish(s);
    if (mdns) mdns->publish(s);
  }
  void withdraw(const ServiceId& id) {
    if (published.erase(id) == 0) return;
    if (gossip) gossip->withdraw(id);
    if (mdns) mdns->withdraw(id);
  }
  void withdraw_expired() {
    std::vector<ServiceId> gone;
    for (const ServiceId& id : published) {
      const ServiceInfo* s = registry.find(id);
      if (s == nullptr || s->source != ServiceSource::local) gone.push_back(id);
    }
    for (const ServiceId& id : gone) withdraw(id);
  }

  net::io_context& io;
  DiscoveryConfig config;
  const Clock& clock;
  ServiceRegistry registry;
  DnsResponder responder;
  net::steady_timer expiry_timer;
  net::steady_timer health_timer{io};
  HealthScheduler health;
  std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<DnsServer> dns;
  std::unique_ptr<AgentHttpServer> http;
  std::unique_ptr<EtcdBackend> etcd;
  std::unique_ptr<detail::GossipBackend> gossip;
  std::unique_ptr<detail::MdnsBackend> mdns;
  std::set<ServiceId> published;
  std::map<std::uint64_t, std::function<void()>> waiters;
  std::uint64_t next_token = 1;
  std::uint64_t notified = 0;
  // Query result cache: answers keyed by the query, valid while the registry's event
  // sequence is unchanged (every change a query can see logs an event).
  struct CachedAnswer {
    std::uint64_t sequence = 0;
    std::vector<ServiceInfo> services;
  };
  std::unordered_map<std::string, CachedAnswer> query_cache;
  std::uint64_t hits = 0, misses = 0;
  bool started = false;
  bool stopped = false;
};

ServiceDiscoveryManager::ServiceDiscoveryManager(boost::asio::io_context& io,
                                                 DiscoveryConfig config, const Clock& clock)
    : impl_(std::make_shared<Impl>(io, std::move(config), clock)) {}

ServiceDiscoveryManager::~ServiceDiscoveryManager() { stop(); }

Result<void> ServiceDiscoveryManager::start(std::string* why) {
  Impl& m = *impl_;
  if (m.stopped) return Errc::closed;
  if (m.started) return Errc::already_exists;
  // Backends first: they may refuse their options or fail to bind before anything listens.
  if (m.config.enable_gossip) {
    auto g = detail::GossipBackend::open(m.io, *this, m.config, m.clock, why);
    if (!g) return g.error();
    m.gossip = std::move(*g);
  }
  if (m.config.enable_mdns || m.config.enable_dns_sd) {
    auto d = detail::MdnsBackend::open(m.io, *this, m.config, m.clock, why);
    if (!d) {
      if (m.gossip) m.gossip->stop();
      m.gossip.reset();
      return d.error();
    }
    m.mdns = std::move(*d);
  }
  auto close_backends = [&m] {
    if (m.gossip) m.gossip->stop();
    if (m.mdns) m.mdns->stop();
    m.gossip.reset();
    m.mdns.reset();
  };
  if (m.config.dns_listen) {
    m.dns = std::make_unique<DnsServer>(m.io, m.responder, *m.config.dns_listen, m.clock);
    if (auto r = m.dns->start(); !r) {
      close_backends();
      return r;
    }
  }
  if (m.config.http_listen) {
    m.http = std::make_unique<AgentHttpServer>(m.io, *this, *m.config.http_listen);
    if (auto r = m.http->start(); !r) {
      if (m.dns) m.dns->stop();
      close_backends();
      return r;
    }
  }
  m.started = true;
  if (!m.config.etcd_endpoints.empty()) {
    EtcdOptions eo;
    eo.endpoints = m.config.etcd_endpoints;
    eo.prefix = m.config.etcd_prefix;
    eo.lease_ttl = m.config.etcd_lease_ttl;
    m.etcd = std::make_unique<EtcdBackend>(m.io, *this, eo);
    m.etcd->start();
  }
  if (m.gossip) m.gossip->start();
  if (m.mdns) m.mdns->start();
  net::co_spawn(m.io, Impl::expiry_loop(impl_), net::detached);
  net::co_spawn(m.io, Impl::health_loop(impl_), net::detached);
  return {};
}

void ServiceDiscoveryManager::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  if (m.http) m.http->stop();
  if (m.dns) m.dns->stop();
  if (m.etcd) m.etcd->stop();
  // Gossip leaves (its registrations go with it); mDNS sends goodbyes. Both linger briefly on
  // the io_context to get that out, holding their drivers alive.
  if (m.gossip) m.gossip->stop();
  if (m.mdns) m.mdns->stop();
  m.published.clear();
  net::dispatch(m.io, [impl = impl_] {
    impl->expiry_timer.cancel();
    impl->health_timer.cancel();
    auto callbacks = std::move(impl->waiters);
    impl->waiters.clear();
    for (auto& [token, cb] : callbacks) cb();
  });
}

Result<void> ServiceDiscoveryManager::register_service(ServiceInfo s, std::string* why) {
  s.origin_node = impl_->config.node_id;
  const ServiceInfo copy = s;
  auto r = impl_->registry.register_service(std::move(s), impl_->clock.now(), why);
  if (r) {
    if (const ServiceInfo* stored = impl_->registry.find(copy.id)) {
      impl_->health.add_service(*stored, impl_->clock.now());
      impl_->health_timer.cancel();
    }
    if (const ServiceInfo* stored = impl_->registry.find(copy.id); stored && !impl_->stopped) {
      impl_->publish(*stored);
    }
    impl_->changed();
  }
  return r;
}

Result<void> ServiceDiscoveryManager::deregister_service(const ServiceId& id) {
  auto r = impl_->registry.deregister(id);
  impl_->health.remove_service(id);
  if (r) {
    impl_->withdraw(id);
    impl_->changed();
  }
  return r;
}

Result<void> ServiceDiscoveryManager::renew(const ServiceId& id) {
  auto r = impl_->registry.renew(id, impl_->clock.now());
  if (r) impl_->changed();
  return r;
}

Result<void> ServiceDiscoveryManager::set_endpoint_health(const ServiceId& id,
                                                         std::string_view address, Health h) {
  auto r = impl_->registry.set_endpoint_health(id, address, h);
  if (r) impl_->changed();
  return r;
}

namespace {
// The cache key of a query: every field in a fixed order (tags sorted), each string
// length-prefixed, so two different queries never share a key.
std::string query_key(const ServiceQuery& q) {
  std::string k;
  auto put = [&k](std::string_view v) {
    k += std::to_string(v.size());
    k += ':';
    k += v;
  };
  put(q.name_pattern);
  put(q.ns);
  std::vector<std::string> tags = q.required_tags;
  std::sort(tags.begin(), tags.end());
  k += 'T' + std::to_string(tags.size());
  for (const auto& t : tags) put(t);
  k += 'M' + std::to_string(q.metadata_filters.size());
  for (const auto& [key, value] : q.metadata_filters) {
    put(key);
    put(value);
  }
  k += q.require_healthy ? 'H' : 'h';
  k += std::to_string(q.limit);
  return k;
}
constexpr std::size_t kMaxCachedQueries = 1024;
}  // namespace

std::vector<ServiceInfo> ServiceDiscoveryManager::discover_services(const ServiceQuery& q) {
  const std::uint64_t sequence = impl_->registry.last_sequence();
  const std::string key = query_key(q);
  auto it = impl_->query_cache.find(key);
  if (it != impl_->query_cache.end() && it->second.sequence == sequence) {
    ++impl_->hits;
    return it->second.services;
  }
  ++impl_->misses;
  std::vector<ServiceInfo> out;
  for (const ServiceInfo* s : impl_->registry.query(q)) out.push_back(*s);
  if (impl_->query_cache.size() >= kMaxCachedQueries && it == impl_->query_cache.end()) {
    impl_->query_cache.clear();
  }
  impl_->query_cache[key] = Impl::CachedAnswer{sequence, out};
  return out;
}

Result<std::optional<EventKind>> ServiceDiscoveryManager::apply_remote(ServiceInfo s,
                                                                       ServiceSource source,
                                                                       std::string* why) {
  s.source = source;
  auto r = impl_->registry.apply(std::move(s), impl_->clock.now(), why);
  if (r) impl_->changed();
  return r;
}

Result<void> ServiceDiscoveryManager::remove_remote(const ServiceId& id, ServiceSource source) {
  auto r = impl_->registry.remove(id, source);
  if (r) impl_->changed();
  return r;
}

Result<std::vector<WatchEvent>> ServiceDiscoveryManager::events_since(std::uint64_t since,
                                                                      const ServiceQuery& q) const {
  return impl_->registry.events_since(since, q);
}

std::uint64_t ServiceDiscoveryManager::last_sequence() const noexcept {
  return impl_->registry.last_sequence();
}

std::uint64_t ServiceDiscoveryManager::on_next_change(std::function<void()> callback) {
  const std::uint64_t token = impl_->next_token++;
  if (impl_->stopped) {
    net::post(impl_->io, std::move(callback));
    return token;
  }
  impl_->waiters.emplace(token, std::move(callback));
  return token;
}

void ServiceDiscoveryManager::cancel_change_callback(std::uint64_t token) {
  impl_->waiters.erase(token);
}

ServiceWatch ServiceDiscoveryManager::watch(ServiceQuery q) {
  return ServiceWatch(this, std::move(q), impl_->registry.last_sequence());
}

awaitable<Result<std::vector<WatchEvent>>> ServiceWatch::next() {
  for (;;) {
    const std::uint64_t upto = manager_->last_sequence();
    auto events = manager_->events_since(since_, query_);
    if (!events) co_return events.error();
    if (!events->empty()) {
      since_ = events->back().sequence;
      co_return std::move(*events);
    }
    since_ = upto;  // nothing relevant up to here
    if (manager_->stopped()) co_return make_error_code(Errc::closed);
    // (co_await kept out of call arguments: GCC 12 miscompiles that.)
    auto executor = co_await net::this_coro::executor;
    auto timer = std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
    manager_->on_next_change([timer] { timer->cancel(); });
    co_await timer->async_wait(gquic::asio::nothrow);
  }
}

DiscoveryStats ServiceDiscoveryManager::stats() const {
  DiscoveryStats s;
  s.registry = impl_->registry.stats();
  s.dns = impl_->responder.stats();
  s.cache_hits = impl_->hits;
  s.cache_misses = impl_->misses;
  return s;
}

const ServiceRegistry& ServiceDiscoveryManager::registry() const noexcept { return impl_->registry; }
const DiscoveryConfig& ServiceDiscoveryManager::config() const noexcept { return impl_->config; }

std::optional<SocketAddress> ServiceDiscoveryManager::http_address() const {
  if (!impl_->http) return std::nullopt;
  return impl_->http->local_address();
}

std::optional<SocketAddress> ServiceDiscoveryManager::dns_address() const {
  if (!impl_->dns) return std::nullopt;
  return impl_->dns->local_address();
}

bool ServiceDiscoveryManager::stopped() const noexcept { return impl_->stopped; }

EtcdStats ServiceDiscoveryManager::etcd_stats() const {
  return impl_->etcd ? impl_->etcd->stats() : EtcdStats{};
}

}  // namespace gquic::discovery

namespace gquic::discovery {

std::vector<GossipMemberInfo> ServiceDiscoveryManager::gossip_members() const {
  if (!impl_->gossip || impl_->stopped) return {};
  return impl_->gossip->members();
}

std::optional<SocketAddress> ServiceDiscoveryManager::gossip_address() const {
  if (!impl_->gossip) return std::nullopt;
  return impl_->gossip->local_address();
}

bool ServiceDiscoveryManager::gossip_enabled() const noexcept { return impl_->gossip != nullptr; }

}  // namespace gquic::discovery
