#pragma once
// The etcd backend of the discovery agent: shares registrations between agents through an
// etcd cluster (v3 JSON gateway over HTTP/1.1, Boost.Beast). Message layout: etcd_codec.h.
//
// One session per connection to an endpoint:
//   1. grant a lease of `lease_ttl`;
//   2. put every local registration under `<prefix>/services/...` with that lease;
//   3. range over the prefix and apply what other agents registered (ServiceSource::etcd;
//      entries that vanished while disconnected are removed);
//   4. watch the prefix from the range's revision + 1: PUTs of other agents are applied,
//      DELETEs (deregistration, or an agent whose lease expired) removed;
//   meanwhile keep the lease alive every lease_ttl/3 and mirror local changes (registered,
//   changed, deregistered, expired) as puts and deletes.
// Any failure (etcd down or restarted, lease lost, one of our own keys deleted under us) ends
// the session; the next one starts after `retry` on the next endpoint and re-puts every local
// registration with a fresh lease, so none is lost. A stopped agent stops renewing its lease:
// its services disappear from every other agent when the lease expires.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gquic::discovery {

class ServiceDiscoveryManager;

struct EtcdOptions {
  std::vector<std::string> endpoints;  // "http://127.0.0.1:2379" (IP literals)
  std::string prefix = "/gquic/discovery";
  std::chrono::seconds lease_ttl{10};
  std::chrono::milliseconds retry{500};
  std::chrono::milliseconds request_timeout{5'000};
};

struct EtcdStats {
  std::uint64_t sessions = 0;       // sessions started (1 + reconnects)
  std::uint64_t failures = 0;       // sessions ended by an error
  std::uint64_t puts = 0;
  std::uint64_t deletes = 0;
  std::uint64_t applied = 0;        // remote services added or changed
  std::uint64_t removed = 0;        // remote services removed
  std::uint64_t bad_values = 0;     // values under the prefix that are not services (dropped)
  bool connected = false;
};

class EtcdBackend {
 public:
  EtcdBackend(boost::asio::io_context& io, ServiceDiscoveryManager& manager, EtcdOptions options);
  ~EtcdBackend();
  EtcdBackend(const EtcdBackend&) = delete;
  EtcdBackend& operator=(const EtcdBackend&) = delete;

  void start();
  void stop();
  EtcdStats stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gquic::discovery
