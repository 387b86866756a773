#pragma once
// ServiceDiscoveryManager: the discovery agent of one node. It owns the registry and runs, on
// one io_context, what feeds and serves it: TTL expiry, the DNS interface (UDP+TCP), the HTTP
// API, and (later) health checks and backends. Everything happens on the io_context's thread;
// methods must be called there (or before it runs).
//
// Backends (etcd, mDNS, gossip) push what they learn through apply_remote()/remove_remote(),
// which tag the service with its ServiceSource; local registrations come through
// register_service(). Watchers use watch(query): a ServiceWatch whose next() waits for and
// returns the following added/changed/removed events relevant to the query, in order (built
// on events_since() and on_next_change(), which remain available).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gquic/core/asio.h"
#include "gquic/core/clock.h"
#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"
#include "gquic/discovery/dns_responder.h"
#include "gquic/discovery/etcd_client.h"
#include "gquic/discovery/registry.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gquic::discovery {

class ServiceDiscoveryManager;

// A stream of registry events relevant to one query, from the moment watch() made it.
class ServiceWatch {
 public:
  // The next events (never empty), in registry order; waits while there are none. Errors:
  // Errc::exhausted when the watcher fell so far behind that the registry's bounded event log
  // no longer holds what it missed (re-query with discover_services() and watch again);
  // Errc::closed once the manager stopped. Call on the manager's io_context; the manager
  // must outlive the watch.
  gquic::asio::awaitable<Result<std::vector<WatchEvent>>> next();
  // The registry sequence number up to which events were delivered (or skipped as
  // irrelevant).
  std::uint64_t position() const noexcept { return since_; }

 private:
  friend class ServiceDiscoveryManager;
  ServiceWatch(ServiceDiscoveryManager* manager, ServiceQuery query, std::uint64_t since)
      : manager_(manager), query_(std::move(query)), since_(since) {}
  ServiceDiscoveryManager* manager_;
  ServiceQuery query_;
  std::uint64_t since_;
};

struct DiscoveryConfig {
  std::string node_id = "node";
  bool enable_mdns = false;     // LAN backends: see docs/discovery.md
  bool enable_dns_sd = false;   // the same mDNS/DNS-SD backend as enable_mdns
  bool enable_gossip = false;
  // mDNS/DNS-SD backend: publishes local registrations, browses `mdns_browse` types
  // ("_http._tcp" or "_http._tcp.local.") and feeds what it finds with source "mdns".
  bool mdns_ipv4 = true;
  bool mdns_ipv6 = false;
  std::optional<IpAddress> mdns_interface;  // IPv4 address of the interface (none: default)
  unsigned mdns_interface_index = 0;        // IPv6 interface index (0: default)
  std::uint16_t mdns_port = 5353;
  std::string mdns_host;                    // host label <host>.local. (empty: node_id)
  std::vector<std::string> mdns_browse;
  // Gossip backend: SWIM on UDP+TCP `gossip_bind` (port 0: a free one), joining `gossip_seeds`;
  // `gossip_keys` (64 hex digits or 44 base64 characters, the first seals) encrypt it.
  // node_id is the member name and must be unique in the cluster.
  std::optional<SocketAddress> gossip_bind;
  std::vector<SocketAddress> gossip_seeds;
  std::vector<std::string> gossip_keys;
  std::chrono::milliseconds gossip_probe_interval{1000};  // probe timeout is half of it
  std::chrono::milliseconds gossip_interval{200};
  std::chrono::milliseconds gossip_push_pull_interval{0};  // 0: the gossip default (30 s)
  std::vector<std::string> etcd_endpoints;  // "http://IP:PORT"; empty: no etcd backend
  std::string etcd_prefix = "/gquic/discovery";
  std::chrono::seconds etcd_lease_ttl{10};
  bool container_mode = false;
  std::optional<SocketAddress> http_listen;  // the HTTP API; none: off
  std::optional<SocketAddress> dns_listen;   // the DNS interface; none: off
  DnsOptions dns;
  RegistryOptions registry;
};

struct DiscoveryStats {
  RegistryStats registry;
  DnsStats dns;
  std::uint64_t cache_hits = 0;    // discover_services() answered from the query cache
  std::uint64_t cache_misses = 0;  // ... computed from the registry's indexes (and cached)
};

// One gossip member as the agent reports it (GET /v1/members).
struct GossipMemberInfo {
  std::string name;
  std::string address;  // IP:PORT
  std::string state;    // alive, suspect, dead, left
  std::uint32_t incarnation = 0;
};

class ServiceDiscoveryManager {
 public:
  ServiceDiscoveryManager(boost::asio::io_context& io, DiscoveryConfig config,
                          const Clock& clock = SteadyClock::instance());
  ~ServiceDiscoveryManager();
  ServiceDiscoveryManager(const ServiceDiscoveryManager&) = delete;
  ServiceDiscoveryManager& operator=(const ServiceDiscoveryManager&) = delete;

  // Starts expiry, the configured listeners and backends. OS errors (address in use, ...) and
  // bad backend options (`why` says which) as values.
  Result<void> start(std::string* why = nullptr);
  void stop();

  Result<void> register_service(ServiceInfo s, std::string* why = nullptr);
  Result<void> deregister_service(const ServiceId& id);
  Result<void> renew(const ServiceId& id);
  Result<void> set_endpoint_health(const ServiceId& id, std::string_view address, Health h);
  std::vector<ServiceInfo> discover_services(const ServiceQuery& q);

  // Backend feed.
  Result<std::optional<EventKind>> apply_remote(ServiceInfo s, ServiceSource source,
                                                std::string* why = nullptr);
  Result<void> remove_remote(const ServiceId& id, ServiceSource source);

  // Watching: events after `since` relevant to `q` (Errc::exhausted: re-query), and a way to
  // be called back once on the next change (or when stopped). Returns a token for
  // cancel_change_callback().
  Result<std::vector<WatchEvent>> events_since(std::uint64_t since, const ServiceQuery& q) const;
  std::uint64_t last_sequence() const noexcept;
  std::uint64_t on_next_change(std::function<void()> callback);
  void cancel_change_callback(std::uint64_t token);
  ServiceWatch watch(ServiceQuery q);

  DiscoveryStats stats() const;
  const ServiceRegistry& registry() const noexcept;
  const DiscoveryConfig& config() const noexcept;
  std::optional<SocketAddress> http_address() const;
  std::optional<SocketAddress> dns_address() const;
  bool stopped() const noexcept;
  // The etcd backend's counters (all zero without one).
  EtcdStats etcd_stats() const;
  // Gossip members including this node, by name (empty without the gossip backend).
  std::vector<GossipMemberInfo> gossip_members() const;
  std::optional<SocketAddress> gossip_address() const;
  bool gossip_enabled() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gquic::discovery
