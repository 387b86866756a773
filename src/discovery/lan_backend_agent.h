#pragma once
// The LAN (mDNS/DNS-SD) and gossip backends of the discovery agent (internal). Each publishes
// the agent's local registrations through its protocol driver and feeds what it learns into
// the registry with ServiceDiscoveryManager::apply_remote()/remove_remote(). Everything runs
// on the agent's io_context thread.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gquic/core/asio.h"
#include "gquic/discovery/discovery_agent.h"
#include "gquic/discovery/lan_mapping.h"
#include "gquic/gossip/gossip_driver.h"
#include "gquic/mdns/mdns_driver.h"

namespace gquic::discovery::detail {

class GossipBackend {
 public:
  static Result<std::unique_ptr<GossipBackend>> open(asio::net::io_context& io,
                                                     ServiceDiscoveryManager& manager,
                                                     const DiscoveryConfig& config, const Clock& clock,
                                                     std::string* why);
  void start();
  void publish(const ServiceInfo& s);
  void withdraw(const ServiceId& id);
  // Leaves the cluster, keeps gossiping for a short while, then closes the sockets.
  void stop();
  std::vector<GossipMemberInfo> members() const;
  SocketAddress local_address() const;
  std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  GossipBackend(asio::net::io_context& io, ServiceDiscoveryManager& manager)
      : io_(io), manager_(manager) {}
  void on_event(const gossip::GossipEvent& e);
  void apply(std::optional<ServiceInfo> s, const ServiceId& id);
  void drop_origin(const std::string& origin);

  asio::net::io_context& io_;
  ServiceDiscoveryManager& manager_;
  std::shared_ptr<gossip::GossipDriver> driver_;
  std::map<ServiceId, std::vector<std::string>> published_;  // local id -> gossip keys
  RemoteServices remote_;  // parts keyed "<origin>\x1f<key>"
  std::uint64_t dropped_ = 0;
  Duration linger_{};
};

class MdnsBackend {
 public:
  static Result<std::unique_ptr<MdnsBackend>> open(asio::net::io_context& io,
                                                   ServiceDiscoveryManager& manager,
                                                   const DiscoveryConfig& config, const Clock& clock,
                                                   std::string* why);
  void start();
  void publish(const ServiceInfo& s);
  void withdraw(const ServiceId& id);
  // Sends goodbyes for everything published, then closes the sockets shortly after.
  void stop();
  std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  MdnsBackend(asio::net::io_context& io, ServiceDiscoveryManager& manager)
      : io_(io), manager_(manager) {}
  void on_browser_event(const mdns::BrowserEvent& e);

  asio::net::io_context& io_;
  ServiceDiscoveryManager& manager_;
  std::shared_ptr<mdns::MdnsDriver> driver_;
  std::vector<std::string> browse_;
  std::map<ServiceId, std::vector<std::uint64_t>> published_;  // local id -> responder ids
  RemoteServices remote_;  // parts keyed by "<instance>.<type>"
  std::uint64_t dropped_ = 0;
};

}  // namespace gquic::discovery::detail
