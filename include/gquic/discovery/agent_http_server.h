#pragma once
// The agent's HTTP API (JSON over HTTP/1.1, Boost.Beast), so programs in any language can use
// the registry:
//   PUT    /v1/services                               register a ServiceInfo (JSON body);
//                                                     200, 400 invalid, 409 duplicate id
//   PUT    /v1/services?replace=true                  register or replace
//   DELETE /v1/services/{namespace}/{name}/{version}  deregister; 200 or 404
//   POST   /v1/services/{namespace}/{name}/{version}/renew   restart the TTL
//   PUT    /v1/health/{namespace}/{name}/{version}?address=IP:PORT&status=healthy|unhealthy
//   GET    /v1/services?pattern=web-*&namespace=prod&tag=api&tag=eu&meta=k:v&healthy=true
//   GET    /v1/watch?<same filters>&index=N&wait=SECONDS
//            long poll: answers {"index", "events"} as soon as an event after N matches the
//            filters, or with no events after `wait` (default 30, at most 300). Without
//            `index` it answers at once with the current index. "reset": true when N is older
//            than the event log keeps (re-query, then watch from the new index).
//   GET    /v1/stats
//   GET    /v1/members                                gossip members: {"node", "members": [{"name",
//                                                     "address", "state", "incarnation"}]};
//                                                     404 when gossip is off
// Errors are {"error": "..."}. Limits as in the metrics endpoint: bounded request sizes,
// deadlines on every read and write, a connection cap.

#include <chrono>
#include <cstddef>
#include <memory>

#include "gquic/core/error.h"
#include "gquic/core/socket_address.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gquic::discovery {

class ServiceDiscoveryManager;

struct AgentHttpServerOptions {
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 256 * 1024;
  std::chrono::milliseconds io_timeout{10'000};
  std::size_t max_connections = 256;
};

class AgentHttpServer {
 public:
  AgentHttpServer(boost::asio::io_context& io, ServiceDiscoveryManager& manager,
                  SocketAddress listen, AgentHttpServerOptions options = {});
  ~AgentHttpServer();
  AgentHttpServer(const AgentHttpServer&) = delete;
  AgentHttpServer& operator=(const AgentHttpServer&) = delete;

  Result<void> start();
  SocketAddress local_address() const;
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gquic::discovery
