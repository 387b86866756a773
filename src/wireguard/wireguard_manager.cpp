// WireGuardManager; see wireguard_manager.h.
#include "gquic/wireguard/wireguard_manager.h"

#include <algorithm>
#include <unordered_map>

#include "gquic/core/log.h"
#include "gquic/observability/metrics.h"
#include "gquic/wireguard/netlink_io.h"

namespace gquic::wireguard {

namespace net = asio::net;

namespace {

// Dispatches to the filter registered for the packet's peer; other peers pass.
class PeerFilters final : public PacketFilter {
 public:
  FilterVerdict filter(PacketDirection d, const PublicKey& peer,
                       std::span<const std::uint8_t> packet) override {
    auto it = filters.find(peer);
    return it == filters.end() ? FilterVerdict::pass : it->second->filter(d, peer, packet);
  }
  std::unordered_map<PublicKey, std::shared_ptr<PacketFilter>> filters;
};

struct Interface {
  std::unique_ptr<DeviceDriver> driver;
  PeerFilters filters;
};

Result<PublicKey> parse_public(const std::string& text) {
  auto k = key_from_base64(text);
  if (!k) return Errc::invalid_argument;
  return PublicKey{*k};
}

}  // namespace

struct WireGuardManager::Impl {
  Impl(net::io_context& io_, WireGuardConfig cfg, RandomSource& r)
      : io(io_),
        config(std::move(cfg)),
        rng(r),
        engine(std::make_shared<policy::Engine>()),
        policy_filter(std::make_shared<ContainerPolicyFilter>(engine, clock)),
        rotation_timer(io_) {
    key = config.private_key ? *config.private_key : generate_private_key(rng);
  }

  net::io_context& io;
  WireGuardConfig config;
  RandomSource& rng;
  // Container peers: one engine and one filter shared by every interface (one io_context).
  // Declared before the interfaces, whose peer filters share the filter: it outlives them.
  SteadyClock clock;
  std::shared_ptr<policy::Engine> engine;
  std::shared_ptr<ContainerPolicyFilter> policy_filter;
  PrivateKey key;
  std::map<std::string, Interface> interfaces;
  std::uint16_t next_port_offset = 0;
  net::steady_timer rotation_timer;
  bool rotation_started = false;
  std::uint64_t rotations = 0;

  // Metrics: counters advance by the change of the core's cumulative values at each export.
  observability::MetricsCollector* collector = nullptr;
  observability::MetricsCollector::CollectHookId hook = 0;
  std::map<std::string, std::uint64_t> exported;

  Interface* find(const std::string& name) {
    auto it = interfaces.find(name);
    return it == interfaces.end() ? nullptr : &it->second;
  }

  void schedule_rotation(WireGuardManager& self) {
    rotation_timer.expires_after(config.key_rotation_interval);
    rotation_timer.async_wait([this, &self](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto pub = self.rotate_private_key()) {
        log::get("wireguard")->info("rotated the static key; new public key {}", *pub);
      }
      schedule_rotation(self);
    });
  }

  void collect();
  template <typename Bump>
  void collect_policy(const Bump& bump);
};

template <typename Bump>
void WireGuardManager::Impl::collect_policy(const Bump& bump) {
  auto& c = *collector;
  auto verdicts = c.counter("gquic_policy_verdicts_total",
                            "Policy verdicts on container peers' packets by deciding policy",
                            {"policy", "action"});
  auto reasons = c.counter("gquic_policy_packets_total",
                           "Packets of container peers checked by the policy engine, by reason",
                           {"reason", "action"});
  auto entries = c.gauge("gquic_policy_conntrack_entries",
                         "Flows in the policy engine's connection tracking table");
  if (!verdicts || !reasons || !entries) return;
  for (const auto& pc : engine->policy_counters()) {
    bump(verdicts->get(), {pc.policy, "allow"}, pc.allowed);
    bump(verdicts->get(), {pc.policy, "deny"}, pc.denied);
  }
  const auto& counters = engine->counters();
  const auto& st = policy_filter->stats();
  for (std::size_t r = 0; r < counters.by_reason.size(); ++r) {
    const auto reason = policy::verdict_reason_name(static_cast<policy::VerdictReason>(r));
    const std::uint64_t denied = st.dropped_by_reason[r];
    const std::uint64_t total = counters.by_reason[r];
    bump(reasons->get(), {reason, "deny"}, denied);
    bump(reasons->get(), {reason, "allow"}, total > denied ? total - denied : 0);
  }
  if (auto g = entries->get().with({}))
    g->get().set(static_cast<double>(engine->conntrack().size()));
}

WireGuardManager::WireGuardManager(net::io_context& io, WireGuardConfig config, RandomSource& rng)
    : impl_(std::make_unique<Impl>(io, std::move(config), rng)) {}

WireGuardManager::~WireGuardManager() {
  if (impl_->collector != nullptr) impl_->collector->remove_collect_hook(impl_->hook);
  impl_->rotation_timer.cancel();
  for (auto& [name, iface] : impl_->interfaces) {
    iface.driver->core().set_packet_filter(nullptr);
    iface.driver->stop();
  }
}

std::string WireGuardManager::public_key() const {
  auto pub = public_key_from_private(impl_->key);
  return pub ? to_base64(*pub) : std::string();
}

Result<void> WireGuardManager::create_interface(const std::string& name,
                                                const std::string& address,
                                                const std::string& subnet) {
  if (impl_->interfaces.count(name) != 0) return Errc::already_exists;
  auto ip = IpAddress::parse(address);
  auto net_prefix = IpPrefix::parse(subnet);
  if (!ip || !net_prefix || ip->is_v4() != net_prefix->address.is_v4())
    return Errc::invalid_argument;
  DeviceDriverConfig dc;
  dc.ifname = name;
  dc.mtu = impl_->config.mtu;
  dc.uapi_dir = impl_->config.uapi_dir;
  dc.listen_port = impl_->config.wireguard_port == 0
                       ? 0
                       : static_cast<std::uint16_t>(impl_->config.wireguard_port +
                                                    impl_->next_port_offset);
  auto driver = DeviceDriver::open(impl_->io, dc, impl_->rng);
  if (!driver) return driver.error();
  if (auto r = netlink::add_address(name, IpPrefix{*ip, net_prefix->length}); !r) {
    (*driver)->stop();
    return r.error();
  }
  ++impl_->next_port_offset;
  (*driver)->core().set_private_key(impl_->key);
  Interface& iface = impl_->interfaces[name];
  iface.driver = std::move(*driver);
  iface.driver->core().set_packet_filter(&iface.filters);
  iface.driver->start();
  if (impl_->config.enable_key_rotation && !impl_->rotation_started) {
    impl_->rotation_started = true;
    impl_->schedule_rotation(*this);
  }
  return {};
}

Result<void> WireGuardManager::remove_interface(const std::string& name) {
  Interface* iface = impl_->find(name);
  if (iface == nullptr) return Errc::not_found;
  iface->driver->core().set_packet_filter(nullptr);
  iface->driver->stop();
  (void)netlink::delete_link(name);
  impl_->interfaces.erase(name);  // the driver's coroutines finish on the io_context
  return {};
}

Result<void> WireGuardManager::add_peer(const std::string& ifname, const WireGuardPeer& peer) {
  Interface* iface = impl_->find(ifname);
  if (iface == nullptr) return Errc::not_found;
  auto pub = parse_public(peer.public_key);
  if (!pub) return pub.error();
  std::optional<SocketAddress> endpoint;
  if (!peer.endpoint.empty()) {
    auto ep = SocketAddress::parse(peer.endpoint);
    if (!ep) return Errc::invalid_argument;
    endpoint = *ep;
  }
  std::optional<PresharedKey> psk;
  if (!peer.preshared_key.empty()) {
    auto k = key_from_base64(peer.preshared_key);
    if (!k) return Errc::invalid_argument;
    psk = PresharedKey(*k);
  }
  std::vector<IpPrefix> prefixes;
  for (const auto& text : peer.allowed_ips) {
    auto p = IpPrefix::parse(text);
    if (!p) return Errc::invalid_argument;
    prefixes.push_back(*p);
  }
  DeviceCore& core = iface->driver->core();
  std::optional<Duration> keepalive;
  if (peer.persistent_keepalive.count() > 0) keepalive = peer.persistent_keepalive;
  PeerId id = 0;
  if (auto existing = core.find_peer(*pub)) {
    id = *existing;
    if (endpoint) (void)core.set_endpoint(id, *endpoint);
    (void)core.set_preshared_key(id, psk);
    (void)core.set_persistent_keepalive(id, keepalive);
    (void)core.clear_allowed_ips(id);
    for (const auto& p : prefixes) (void)core.add_allowed_ip(id, p);
  } else {
    auto added = core.add_peer({*pub, psk, endpoint, prefixes, keepalive});
    if (!added) return added.error();
    id = *added;
  }
  for (const auto& p : prefixes) {
    if (p.length == 0) continue;  // a default route needs policy routing: the caller's choice
    if (auto r = netlink::add_route(ifname, p); !r) {
      log::get("wireguard")->warn("{}: route {}: {}", ifname, p.to_string(),
                                  r.error().message());
    }
  }
  iface->driver->wake();  // re-arm timers, flush a first keepalive
  return {};
}

Result<void> WireGuardManager::add_container_peer(const std::string& ifname,
                                                  const WireGuardPeer& peer,
                                                  std::shared_ptr<PacketFilter> filter) {
  auto pub = parse_public(peer.public_key);
  if (!pub) return pub.error();
  if (auto r = add_peer(ifname, peer); !r) return r;
  Interface* iface = impl_->find(ifname);
  if (filter) {
    iface->filters.filters[*pub] = std::move(filter);
  } else {
    iface->filters.filters.erase(*pub);
  }
  return {};
}

Result<void> WireGuardManager::add_container_peer(const std::string& ifname,
                                                  const policy::ContainerPeerInfo& container,
                                                  const WireGuardPeer& peer) {
  if (container.container_id.empty() || container.namespace_.empty())
    return Errc::invalid_argument;
  if (impl_->find(ifname) == nullptr) return Errc::not_found;
  // The container first: its first packet must already find its identity.
  const auto known = impl_->engine->cluster().containers;
  const bool existed = std::any_of(known.begin(), known.end(), [&](const auto& c) {
    return c.namespace_ == container.namespace_ && c.container_id == container.container_id;
  });
  impl_->engine->upsert_container(container);
  if (auto r = add_container_peer(ifname, peer, impl_->policy_filter); !r) {
    if (!existed) {
      (void)impl_->engine->remove_container(container.namespace_, container.container_id);
    }
    return r;
  }
  return {};
}

Result<void> WireGuardManager::remove_container_peer(const std::string& ifname,
                                                     const std::string& public_key,
                                                     const std::string& namespace_,
                                                     const std::string& container_id) {
  auto r = remove_peer(ifname, public_key);
  (void)impl_->engine->remove_container(namespace_, container_id);
  return r;
}

policy::Engine& WireGuardManager::policy_engine() { return *impl_->engine; }

void WireGuardManager::set_policies(const std::vector<policy::NetworkPolicy>& policies) {
  for (const auto& old : impl_->engine->cluster().policies) {
    const bool kept = std::any_of(policies.begin(), policies.end(), [&](const auto& p) {
      return p.namespace_ == old.namespace_ && p.name == old.name;
    });
    if (!kept) (void)impl_->engine->remove_policy(old.namespace_, old.name);
  }
  for (const auto& p : policies) impl_->engine->upsert_policy(p);
}

void WireGuardManager::upsert_policy(policy::NetworkPolicy p) {
  impl_->engine->upsert_policy(std::move(p));
}

const ContainerPolicyFilter& WireGuardManager::container_policy_filter() const {
  return *impl_->policy_filter;
}

Result<void> WireGuardManager::remove_peer(const std::string& ifname,
                                           const std::string& public_key) {
  Interface* iface = impl_->find(ifname);
  if (iface == nullptr) return Errc::not_found;
  auto pub = parse_public(public_key);
  if (!pub) return pub.error();
  auto id = iface->driver->core().find_peer(*pub);
  if (!id) return Errc::not_found;
  iface->filters.filters.erase(*pub);
  return iface->driver->core().remove_peer(*id);
}

Result<std::string> WireGuardManager::rotate_private_key() {
  PrivateKey next = generate_private_key(impl_->rng);
  auto pub = public_key_from_private(next);
  if (!pub) return pub.error();
  impl_->key = next;
  for (auto& [name, iface] : impl_->interfaces) {
    iface.driver->core().set_private_key(next);
    iface.driver->wake();
  }
  ++impl_->rotations;
  return to_base64(*pub);
}

std::vector<WireGuardPeerStatus> WireGuardManager::peers() const {
  std::vector<WireGuardPeerStatus> out;
  for (const auto& [name, iface] : impl_->interfaces) {
    const DeviceCore& core = iface.driver->core();
    for (PeerId id : core.peer_ids()) {
      auto info = core.peer_info(id);
      if (!info) continue;
      WireGuardPeerStatus s;
      s.interface = name;
      s.peer.public_key = to_base64(info->public_key);
      if (info->endpoint) s.peer.endpoint = info->endpoint->to_string();
      for (const auto& p : info->allowed_ips) s.peer.allowed_ips.push_back(p.to_string());
      if (info->persistent_keepalive) {
        s.peer.persistent_keepalive =
            std::chrono::duration_cast<std::chrono::seconds>(*info->persistent_keepalive);
      }
      s.rx_bytes = info->stats.rx_bytes;
      s.tx_bytes = info->stats.tx_bytes;
      s.handshakes = info->stats.handshakes_completed;
      if (info->stats.last_handshake) {
        const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              info->stats.last_handshake->time_since_epoch()) +
                          core.unix_time_offset();
        s.last_handshake = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(wall));
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

DeviceDriver* WireGuardManager::interface(const std::string& name) {
  Interface* iface = impl_->find(name);
  return iface == nullptr ? nullptr : iface->driver.get();
}

void WireGuardManager::Impl::collect() {
  auto& c = *collector;
  auto bump = [this](observability::CounterFamily& family,
                     std::initializer_list<std::string_view> labels, std::uint64_t value) {
    std::string id = family.name();
    for (auto l : labels) {
      id.push_back('\x1f');
      id.append(l);
    }
    auto& last = exported[id];
    auto child = family.with(labels);
    if (child && value > last) child->get().inc(value - last);
    last = std::max(last, value);
  };
  auto rx = c.counter("gquic_wireguard_peer_rx_bytes_total",
                      "Bytes decrypted from a WireGuard peer", {"interface", "peer"});
  auto tx = c.counter("gquic_wireguard_peer_tx_bytes_total", "Bytes encrypted to a WireGuard peer",
                      {"interface", "peer"});
  auto hs = c.counter("gquic_wireguard_peer_handshakes_total",
                      "Completed WireGuard handshakes with a peer", {"interface", "peer"});
  auto last = c.gauge("gquic_wireguard_peer_last_handshake_seconds",
                      "Unix time of the last completed handshake with a peer",
                      {"interface", "peer"});
  auto drops = c.counter("gquic_wireguard_dropped_total",
                         "Packets and datagrams a WireGuard interface dropped, by reason",
                         {"interface", "reason"});
  auto cookies = c.counter("gquic_wireguard_cookie_replies_sent_total",
                           "Cookie replies a WireGuard interface sent under load", {"interface"});
  if (!rx || !tx || !hs || !last || !drops || !cookies) return;
  collect_policy(bump);
  for (const auto& [name, iface] : interfaces) {
    const DeviceCore& core = iface.driver->core();
    for (PeerId id : core.peer_ids()) {
      auto info = core.peer_info(id);
      if (!info) continue;
      const std::string peer = to_base64(info->public_key);
      bump(rx->get(), {name, peer}, info->stats.rx_bytes);
      bump(tx->get(), {name, peer}, info->stats.tx_bytes);
      bump(hs->get(), {name, peer}, info->stats.handshakes_completed);
      if (info->stats.last_handshake) {
        const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              info->stats.last_handshake->time_since_epoch()) +
                          core.unix_time_offset();
        if (auto g = last->get().with({name, peer}))
          g->get().set(std::chrono::duration<double>(wall).count());
      }
    }
    const auto& st = core.stats();
    for (std::size_t r = 0; r < kDropReasonCount; ++r) {
      bump(drops->get(), {name, to_string(static_cast<DropReason>(r))}, st.drops[r]);
    }
    bump(cookies->get(), {name}, st.cookie_replies_sent);
  }
}

Result<void> WireGuardManager::register_metrics(observability::MetricsCollector& collector) {
  if (impl_->collector != nullptr) return Errc::already_exists;
  impl_->collector = &collector;
  impl_->hook = collector.add_collect_hook([impl = impl_.get()] { impl->collect(); });
  return {};
}

}  // namespace gquic::wireguard
