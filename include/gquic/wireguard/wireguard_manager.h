#pragma once
// WireGuardManager: WireGuard interfaces for an application (the node, the mesh), on one
// io_context. Every interface shares the manager's static key; each gets its own DeviceDriver
// (TUN, UDP port, UAPI socket, so `wg show` works on them too).
//
//   WireGuardManager wg(io, {.wireguard_port = 51820});
//   wg.create_interface("gq0", "10.0.0.1", "10.0.0.0/24");
//   wg.add_peer("gq0", {.public_key = "...", .endpoint = "192.0.2.7:51820",
//                       .allowed_ips = {"10.0.0.7/32"}, .persistent_keepalive = 25s});
//   wg.rotate_private_key();   // new handshakes use the new key; sessions drain
//   wg.register_metrics(collector);
//
// The data path has a policy hook: add_container_peer(ifname, peer, filter) installs a
// PacketFilter (device_core.h) that sees every packet to and from that peer and may drop it.
// add_container_peer(ifname, container, peer) does so with the manager's policy engine
// (container_policy.h): the container is registered in the engine, and every packet from or
// to it is checked against the loaded NetworkPolicies (set_policies / policy_engine()).
//
//   wg.set_policies(policy::ManifestLoader{...}.cluster().policies);
//   wg.add_container_peer("gq0", {.container_id = "web", .namespace_ = "shop",
//                                 .assigned_ip = *IpAddress::parse("10.0.0.3"),
//                                 .labels = {{"app", "web"}}},
//                         {.public_key = "...", .allowed_ips = {"10.0.0.3/32"}});

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gquic/core/asio.h"
#include "gquic/core/error.h"
#include "gquic/policy/engine.h"
#include "gquic/wireguard/container_policy.h"
#include "gquic/wireguard/device_driver.h"

namespace gquic::observability {
class MetricsCollector;
}

namespace gquic::wireguard {

struct WireGuardConfig {
  std::uint16_t wireguard_port = 51820;  // the first interface; the next ones count up
  bool enable_key_rotation = false;
  std::chrono::seconds key_rotation_interval{std::chrono::hours(24)};
  std::size_t mtu = 1420;
  std::string uapi_dir = "/var/run/wireguard";  // empty: no UAPI sockets
  std::optional<PrivateKey> private_key;        // nullopt: a fresh one
};

// Keys in base64 (as `wg` prints them); endpoint "ip:port" or "[v6]:port"; prefixes "a/len".
struct WireGuardPeer {
  std::string public_key;
  std::string endpoint;
  std::vector<std::string> allowed_ips;
  std::chrono::seconds persistent_keepalive{0};
  std::string preshared_key;  // empty: none
};

struct WireGuardPeerStatus {
  std::string interface;
  WireGuardPeer peer;  // the preshared key is never reported
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t handshakes = 0;
  std::optional<std::chrono::system_clock::time_point> last_handshake;
};

class WireGuardManager {
 public:
  WireGuardManager(asio::net::io_context& io, WireGuardConfig config,
                   RandomSource& rng = SodiumRandom::instance());
  ~WireGuardManager();
  WireGuardManager(const WireGuardManager&) = delete;
  WireGuardManager& operator=(const WireGuardManager&) = delete;

  std::string public_key() const;

  // Creates the TUN interface `name`, gives it `address` with the prefix length of `subnet`
  // ("10.0.0.1", "10.0.0.0/24"), brings it up and starts its driver.
  Result<void> create_interface(const std::string& name, const std::string& address,
                                const std::string& subnet);
  Result<void> remove_interface(const std::string& name);
  // Adds the peer, or updates it if its key is known (endpoint, keepalive, PSK; allowed IPs
  // are replaced). Routes each allowed prefix into the interface.
  Result<void> add_peer(const std::string& ifname, const WireGuardPeer& peer);
  // add_peer plus a packet filter for this peer's traffic (the policy engine's hook).
  Result<void> add_container_peer(const std::string& ifname, const WireGuardPeer& peer,
                                  std::shared_ptr<PacketFilter> filter);
  // add_peer for a container: registers `container` in the policy engine (replacing a
  // container of the same namespace and id) and filters the peer's packets through it.
  Result<void> add_container_peer(const std::string& ifname,
                                  const policy::ContainerPeerInfo& container,
                                  const WireGuardPeer& peer);
  // Removes the peer (and its filter); remove_container_peer also forgets the container.
  Result<void> remove_peer(const std::string& ifname, const std::string& public_key);
  Result<void> remove_container_peer(const std::string& ifname, const std::string& public_key,
                                     const std::string& namespace_,
                                     const std::string& container_id);

  // The policy engine of the container peers (created with the manager). Its control plane
  // is thread-safe; its data plane runs on the io_context.
  policy::Engine& policy_engine();
  // Replaces the NetworkPolicies: upserts every one of `policies` and removes the others.
  void set_policies(const std::vector<policy::NetworkPolicy>& policies);
  void upsert_policy(policy::NetworkPolicy p);
  // The filter installed on container peers: drops by policy and by reason.
  const ContainerPolicyFilter& container_policy_filter() const;
  // A new static key for every interface: new handshakes use it at once, established
  // sessions keep carrying traffic until they rekey. Returns the new public key (base64).
  Result<std::string> rotate_private_key();
  std::vector<WireGuardPeerStatus> peers() const;
  DeviceDriver* interface(const std::string& name);

  // Exports per-peer bytes, handshakes, last handshake time and per-interface drops, cookie
  // replies and handshake counts, and the policy engine's verdicts by policy and action
  // (gquic_policy_verdicts_total{policy,action}), its drops by reason and its conntrack
  // entries (gquic_policy_conntrack_entries), refreshed by a collect hook run on the
  // io_context's thread. The collector must outlive
  // this manager or be unregistered with it.
  Result<void> register_metrics(observability::MetricsCollector& collector);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gquic::wireguard
