#include "lan_backend_agent.h"

#include <algorithm>
#include <cctype>

#include <boost/asio/steady_timer.hpp>

#include "gquic/core/log.h"
#include "gquic/gossip/keyring.h"

namespace gquic::discovery::detail {
namespace {

namespace net = boost::asio;

bool is_local(ServiceDiscoveryManager& m, const ServiceId& id) {
  const ServiceInfo* s = m.registry().find(id);
  return s != nullptr && s->source == ServiceSource::local;
}

// Runs `fn` after `delay` on `io` (holding `keep` alive until then).
template <typename Keep, typename Fn>
void after(net::io_context& io, Duration delay, Keep keep, Fn fn) {
  auto timer = std::make_shared<net::steady_timer>(io, delay);
  timer->async_wait([timer, keep = std::move(keep), fn = std::move(fn)](const boost::system::error_code&) {
    fn(*keep);
  });
}

// A DNS host label from a node id: letters, digits and '-', at most 63.
std::string host_label(std::string_view id) {
  std::string out;
  for (char c : id) {
    if (out.size() == 63) break;
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '-');
  }
  return out.empty() ? std::string("gquic") : out;
}

mdns::Name browse_type(std::string t) {
  while (!t.empty() && t.back() == '.') t.pop_back();
  std::string lower = t;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!lower.ends_with(".local")) t += ".local";
  return mdns::Name::from_dotted(t);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Gossip

Result<std::unique_ptr<GossipBackend>> GossipBackend::open(net::io_context& io,
                                                           ServiceDiscoveryManager& manager,
                                                           const DiscoveryConfig& config,
                                                           const Clock& clock, std::string* why) {
  auto fail = [&](std::string msg) -> Result<std::unique_ptr<GossipBackend>> {
    if (why != nullptr) *why = std::move(msg);
    return Errc::invalid_argument;
  };
  if (!config.gossip_bind) return fail("enable_gossip needs gossip_bind (ADDR:PORT)");
  std::unique_ptr<GossipBackend> b(new GossipBackend(io, manager));
  gossip::GossipDriverConfig dc;
  dc.swim.name = config.node_id;
  dc.swim.advertise = *config.gossip_bind;
  dc.swim.probe_interval = config.gossip_probe_interval;
  dc.swim.probe_timeout = config.gossip_probe_interval / 2;
  dc.swim.gossip_interval = config.gossip_interval;
  if (config.gossip_push_pull_interval.count() > 0) {
    dc.swim.push_pull_interval = config.gossip_push_pull_interval;
  }
  for (const std::string& text : config.gossip_keys) {
    auto k = gossip::Keyring::parse_key(text);
    if (!k) return fail("gossip key is not 64 hex digits or 44 base64 characters");
    dc.swim.keyring.add(*k);
  }
  dc.seeds = config.gossip_seeds;
  b->linger_ = std::min<Duration>(config.gossip_interval * 3, std::chrono::seconds(1));
  // The process-wide source: the driver may outlive this backend while it lingers.
  auto d = gossip::GossipDriver::open(io, std::move(dc), gossip::OsRandom::instance(), clock);
  if (!d) {
    if (why != nullptr) *why = "gossip: cannot bind " + config.gossip_bind->to_string() + ": " + d.error().message();
    return d.error();
  }
  b->driver_ = std::shared_ptr<gossip::GossipDriver>(std::move(*d));
  b->driver_->on_event = [self = b.get()](const gossip::GossipEvent& e) { self->on_event(e); };
  return b;
}

void GossipBackend::start() { driver_->start(); }

void GossipBackend::publish(const ServiceInfo& s) {
  withdraw(s.id);
  auto& keys = published_[s.id];
  const TimePoint now = driver_->now();
  for (const gossip::ServiceRecord& r : to_gossip_records(s)) {
    auto bytes = gossip::encode(r);
    const std::string key = gossip_key(r);
    if (!bytes || !driver_->core().register_service(now, key, *bytes)) {
      ++dropped_;
      log::get("discovery")->warn("gossip: cannot publish {} ({})", s.id.to_string(), key);
      continue;
    }
    keys.push_back(key);
  }
  driver_->poke();
}

void GossipBackend::withdraw(const ServiceId& id) {
  auto it = published_.find(id);
  if (it == published_.end()) return;
  const TimePoint now = driver_->now();
  for (const std::string& key : it->second) (void)driver_->core().deregister_service(now, key);
  published_.erase(it);
  driver_->poke();
}

void GossipBackend::stop() {
  driver_->on_event = nullptr;
  driver_->core().leave(driver_->now());
  driver_->poke();
  after(io_, linger_, driver_, [](gossip::GossipDriver& d) { d.stop(); });
}

std::vector<GossipMemberInfo> GossipBackend::members() const {
  std::vector<GossipMemberInfo> out;
  for (const gossip::MemberInfo& m : driver_->core().members()) {
    out.push_back({m.name, m.address.to_string(), std::string(gossip::to_string(m.state)), m.incarnation});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

SocketAddress GossipBackend::local_address() const { return driver_->local_address(); }

void GossipBackend::apply(std::optional<ServiceInfo> s, const ServiceId& id) {
  if (is_local(manager_, id)) return;  // a local registration of the same id wins
  if (!s) {
    (void)manager_.remove_remote(id, ServiceSource::gossip);
    return;
  }
  std::string why;
  if (!manager_.apply_remote(std::move(*s), ServiceSource::gossip, &why)) {
    ++dropped_;
    log::get("discovery")->warn("gossip: refused {}: {}", id.to_string(), why);
  }
}

void GossipBackend::drop_origin(const std::string& origin) {
  for (const std::string& part : remote_.parts_with_prefix(origin + '\x1f')) {
    if (auto r = remote_.erase(part)) apply(std::move(r->left), r->id);
  }
}

void GossipBackend::on_event(const gossip::GossipEvent& e) {
  using K = gossip::GossipEvent::Kind;
  switch (e.kind) {
    case K::registration_set: {
      auto rec = gossip::decode_service_record(e.payload);
      if (!rec) {
        ++dropped_;
        return;
      }
      ServiceInfo s = from_gossip_record(*rec, e.member.name);
      const ServiceId id = s.id;
      apply(remote_.set(e.member.name + '\x1f' + e.key, std::move(s)), id);
      return;
    }
    case K::registration_removed:
      if (auto r = remote_.erase(e.member.name + '\x1f' + e.key)) apply(std::move(r->left), r->id);
      return;
    case K::member_dead:
    case K::member_left:
      log::get("discovery")->info("gossip: member {} {}", e.member.name,
                                  e.kind == K::member_dead ? "dead" : "left");
      drop_origin(e.member.name);
      return;
    case K::member_joined:
      log::get("discovery")->info("gossip: member {} joined ({})", e.member.name,
                                  e.member.address.to_string());
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// mDNS / DNS-SD

Result<std::unique_ptr<MdnsBackend>> MdnsBackend::open(net::io_context& io,
                                                       ServiceDiscoveryManager& manager,
                                                       const DiscoveryConfig& config,
                                                       const Clock& clock, std::string* why) {
  std::unique_ptr<MdnsBackend> b(new MdnsBackend(io, manager));
  mdns::MdnsDriverConfig dc;
  dc.ipv4 = config.mdns_ipv4;
  dc.ipv6 = config.mdns_ipv6;
  if (config.mdns_interface) dc.interface_address = *config.mdns_interface;
  dc.interface_index = config.mdns_interface_index;
  dc.port = config.mdns_port;
  dc.responder.host = host_label(config.mdns_host.empty() ? config.node_id : config.mdns_host);
  std::uint64_t seed = 0;
  gossip::OsRandom::instance().fill({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed});
  dc.responder.seed = seed | 1;
  dc.browser.seed = seed ^ 0x5bd1e995u;
  auto d = mdns::MdnsDriver::open(io, std::move(dc), clock);
  if (!d) {
    if (why != nullptr) *why = "mdns: cannot open the multicast sockets: " + d.error().message();
    return d.error();
  }
  b->driver_ = std::shared_ptr<mdns::MdnsDriver>(std::move(*d));
  b->browse_ = config.mdns_browse;
  b->driver_->on_browser_event = [self = b.get()](const mdns::BrowserEvent& e) { self->on_browser_event(e); };
  b->driver_->on_responder_event = [](const mdns::ResponderEvent& e) {
    log::get("discovery")->info("mdns: instance '{}' {}", e.instance,
                                e.kind == mdns::ResponderEvent::Kind::registered ? "announced" : "renamed");
  };
  return b;
}

void MdnsBackend::start() {
  driver_->start();
  for (const std::string& t : browse_) {
    if (!driver_->browser().browse(driver_->now(), browse_type(t))) {
      ++dropped_;
      log::get("discovery")->warn("mdns: cannot browse '{}'", t);
    }
  }
  driver_->poke();
}

void MdnsBackend::publish(const ServiceInfo& s) {
  withdraw(s.id);
  auto& ids = published_[s.id];
  for (mdns::ServiceInstance& inst : to_mdns_instances(s)) {
    auto id = driver_->responder().register_service(driver_->now(), std::move(inst));
    if (!id) {
      ++dropped_;
      log::get("discovery")->warn("mdns: cannot publish {}", s.id.to_string());
      continue;
    }
    ids.push_back(*id);
  }
  driver_->poke();
}

void MdnsBackend::withdraw(const ServiceId& id) {
  auto it = published_.find(id);
  if (it == published_.end()) return;
  for (std::uint64_t rid : it->second) (void)driver_->responder().deregister_service(driver_->now(), rid);
  published_.erase(it);
  driver_->poke();
}

void MdnsBackend::stop() {
  driver_->on_browser_event = nullptr;
  driver_->on_responder_event = nullptr;
  while (!published_.empty()) withdraw(published_.begin()->first);
  after(io_, std::chrono::milliseconds(200), driver_, [](mdns::MdnsDriver& d) { d.stop(); });
}

void MdnsBackend::on_browser_event(const mdns::BrowserEvent& e) {
  const mdns::ServiceInstance& m = e.service;
  std::string part = m.instance + "._" + m.name + (mdns::is_udp_protocol(m.protocol) ? "._udp" : "._tcp");
  std::transform(part.begin(), part.end(), part.begin(), [](unsigned char c) { return std::tolower(c); });
  std::optional<ServiceInfo> merged;
  ServiceId id;
  if (e.kind == mdns::BrowserEvent::Kind::left) {
    auto r = remote_.erase(part);
    if (!r) return;
    id = r->id;
    merged = std::move(r->left);
  } else {
    ServiceInfo s = from_mdns_instance(m);
    id = s.id;
    merged = remote_.set(part, std::move(s));
  }
  if (is_local(manager_, id)) return;  // our own announcement, or a local id that wins
  if (!merged) {
    (void)manager_.remove_remote(id, ServiceSource::mdns);
    return;
  }
  std::string why;
  if (!manager_.apply_remote(std::move(*merged), ServiceSource::mdns, &why)) {
    ++dropped_;
    log::get("discovery")->warn("mdns: refused {}: {}", id.to_string(), why);
  }
}

}  // namespace gquic::discovery::detail
